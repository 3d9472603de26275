/**
 * The English text of every /v1/status condition the daemon raises: `condition.<CODE>.message` says what
 * is wrong, `condition.<CODE>.hint` what to do about it. The codes, their sources and their ICU
 * placeholders are listed in protocol/i18n/fr/conditions.ts. Merged into protocol/i18n/en.ts.
 */
export const CONDITIONS_EN: Readonly<Record<string, string>> = {
  "condition.DEVICE_IDENTITY_MISMATCH.message":
    "{kind, select, key {the connected device {connected} has another key than the bound device} other " +
    "{the connected device {connected} is not the bound device {bound}}}",
  "condition.DEVICE_IDENTITY_MISMATCH.hint":
    "plug the fiscal device this service is bound to back in (`stalela device info` shows which one is " +
    "connected); a device replaced on purpose needs Stalela support: two devices' journals are never mixed " +
    "in one store",
  "condition.DEVICE_UNTRUSTED.message": "device refused: {reason}. No invoice is sealed",
  "condition.DEVICE_UNTRUSTED.hint":
    "in /etc/stalela/daemon.env, check STALELA_MERCHANT_NIF and STALELA_OUTLET_ID against the values from " +
    "the Stalela back office and that STALELA_CLOUD_ROOT_KEY is set, then run " +
    "`systemctl restart stalela-daemon`; an emulator is accepted only in development mode " +
    "(STALELA_ALLOW_EMULATOR=1), never on a till; a device activated for another shop cannot be used here",
  "condition.DEVICE_MISSING.message": "the fiscal device is not connected: invoices cannot be sealed",
  "condition.DEVICE_MISSING.hint":
    "check the fiscal device's USB cable and power, then run `ls -l /dev/stalela-def` and " +
    "`stalela doctor`; STALELA_DEVICE in /etc/stalela/daemon.env must name the device " +
    "(serial:/dev/stalela-def by default)",
  "condition.DEVICE_NOT_ACTIVATED.message": "the fiscal device is not activated: no invoice can be sealed",
  "condition.DEVICE_NOT_ACTIVATED.hint":
    "activate it with `stalela device activate --code CODE` (the code from the Stalela back office), or " +
    "offline with `stalela device activate --bundle FILE`",
  "condition.DEVICE_LOCKED.message":
    "the fiscal device is locked ({reason, select, JOURNAL_FULL {journal full} SELF_TEST_FAILED {self-test " +
    "failed} none {no reason given} other {{reason}}})",
  "condition.DEVICE_LOCKED.hint":
    "after a failed self-test, run `stalela device self-test` again: the device unlocks once a self-test " +
    "passes; a full journal is never emptied: export it with `stalela device export --out FILE`, then call " +
    "Stalela support",
  "condition.CLOCK_INVALID.message":
    "the device clock is earlier than its last record: fiscalisation is refused",
  "condition.CLOCK_INVALID.hint":
    "check this computer's time (`date`), then set the device clock with `stalela device time --set now`; " +
    "once activated, the device refuses a step over 15 minutes (E107): then call Stalela support",
  "condition.CLOCK_SKEW.message": "the device clock differs from this computer's by {seconds, number} s",
  "condition.CLOCK_SKEW.hint":
    "check this computer's time (`date`), then run `stalela device time --set now`; the device seals with " +
    "its own time, so a wrong device clock prints a wrong time on the receipts",
  "condition.JOURNAL_NEARLY_FULL.message":
    "the device journal is {used, number} of {capacity, number} records full",
  "condition.JOURNAL_NEARLY_FULL.hint":
    "the device locks when its journal is full: export the journal now with " +
    "`stalela device export --out FILE`, keep the file, and call Stalela support before it is full",
  "condition.JOURNAL_CHAIN_BROKEN.message":
    "{count, plural, one {# journal record does not chain to its predecessor} other {# journal records do " +
    "not chain to their predecessor}}",
  "condition.JOURNAL_CHAIN_BROKEN.hint":
    "check the fiscal device (swapped, restored or tampered with?) and list the breaks with " +
    "`stalela journal breaks`, then acknowledge them with `stalela journal ack --by NAME`",
  "condition.RECORDS_IMPORTED.message":
    "{count, plural, one {# record was imported} other {# records were imported}} from the device journal",
  "condition.RECORDS_IMPORTED.hint":
    "nothing to do: the fiscal device held sealed records that the service's store lacked (after a restore " +
    "or a crash), and the service imported them",
  "condition.CLOUD_NOT_CONFIGURED.message": "no Stalela Cloud URL is configured: nothing is uploaded",
  "condition.CLOUD_NOT_CONFIGURED.hint":
    "in /etc/stalela/daemon.env, set STALELA_CLOUD_URL to the https:// URL from the Stalela back office, " +
    "then run `systemctl restart stalela-daemon`",
  "condition.CLOUD_ACK_MISMATCH.message":
    "the Stalela Cloud acknowledged records the daemon did not send ({count, plural, one {# ack refused} " +
    "other {# acks refused}}): the invoices stay pending",
  "condition.CLOUD_ACK_MISMATCH.hint":
    "check that STALELA_CLOUD_URL in /etc/stalela/daemon.env is this shop's Stalela Cloud URL, from the " +
    "Stalela back office, then run `systemctl restart stalela-daemon`; if it goes on, call Stalela support",
  "condition.CLOUD_NOT_ACTIVATED.message":
    "{count, plural, one {# sealed invoice waits} other {# sealed invoices wait}} for upload, but the " +
    "daemon has no cloud credential",
  "condition.CLOUD_NOT_ACTIVATED.hint":
    "activate the device with `stalela device activate --code CODE` (the code from the Stalela back " +
    "office), or run `stalela device activate --bundle FILE` with a bundle file that carries a cloud " +
    "credential; the upload then starts by itself",
  "condition.SYNC_FAILED.message":
    "{count, plural, one {# invoice failed} other {# invoices failed}} to upload",
  "condition.SYNC_FAILED.hint":
    "see why with `stalela queue list --failed`, fix the cause, then run `stalela queue retry`",
  "condition.SYNC_PENDING_TOO_LONG.message":
    "{count, plural, one {# invoice} other {# invoices}} pending upload, the oldest for more than " +
    "{minutes, number} min",
  "condition.SYNC_PENDING_TOO_LONG.hint":
    "check this PC's internet connection and STALELA_CLOUD_URL, then run `stalela queue status` and " +
    "`stalela doctor`; `journalctl -u stalela-daemon` shows the upload errors; the threshold is " +
    "STALELA_SYNC_PENDING_WARN_MS",
  "condition.CLOUD_UNREACHABLE.message":
    "the Stalela Cloud is unreachable; invoices are kept and will be uploaded when it is back",
  "condition.CLOUD_UNREACHABLE.hint":
    "check this PC's internet connection (cable, Wi-Fi or mobile modem) and STALELA_CLOUD_URL in " +
    "/etc/stalela/daemon.env; `stalela doctor` checks that the cloud answers; nothing is lost meanwhile",
  "condition.CLOUD_CREDENTIAL_REFUSED.message": "the Stalela Cloud refuses the daemon's credential",
  "condition.CLOUD_CREDENTIAL_REFUSED.hint":
    "check that STALELA_CLOUD_URL in /etc/stalela/daemon.env is this shop's Stalela Cloud URL; if it is, " +
    "the credential was revoked or rotated out: call the Stalela back office with the device number " +
    "`stalela device info` shows; the invoices wait meanwhile",
  "condition.CLOUD_OFFLINE_DAYS.message":
    "no successful contact with the Stalela Cloud for {days, plural, one {# day} other {# days}}",
  "condition.CLOUD_OFFLINE_DAYS.hint":
    "connect this PC to the internet (cable, Wi-Fi or mobile modem) so the invoices are uploaded, then " +
    "check with `stalela queue status` and `stalela doctor`; the threshold is " +
    "STALELA_SYNC_OFFLINE_WARN_DAYS",
  "condition.SFE_NOT_CONFIGURED.message":
    "the SFE identity is not configured (missing: {settings}): no invoice is sealed",
  "condition.SFE_NOT_CONFIGURED.hint":
    "set STALELA_ISF (the ISF the DGI assigned), STALELA_SELLER_NAME and STALELA_SELLER_ADDRESS in " +
    "/etc/stalela/daemon.env, then run `systemctl restart stalela-daemon` (docs/INSTALL.md §3)",
  "condition.DAY_NOT_CLOSED.message":
    "the fiscal day is not closed: its closing time ({closing}) passed {hours, plural, one {# hour} other {# hours}} ago",
  "condition.DAY_NOT_CLOSED.hint":
    "make the Z report: `stalela report z` (or POST /v1/reports/z from the till); the closing time is STALELA_DAY_CLOSING_TIME in /etc/stalela/daemon.env",
};
