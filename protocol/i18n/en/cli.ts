/**
 * The `stalela` CLI's human output in English (`--lang en` or an English POSIX locale): every line and
 * label of `invoice get`, `device …`, `keys`, `queue`, `journal`, `backup`, `config check`, `verify-qr`
 * and `doctor`. protocol/i18n/fr/cli.ts has the same keys. `--json` output never goes through here,
 * except `doctor --json`, whose check messages are these English texts. Lines keep their layout
 * (leading spaces, aligned labels); times come in already formatted, amounts too (formatAmount).
 */
export const CLI_EN: Readonly<Record<string, string>> = {
  // `stalela invoice get` (cli/commands/invoice.ts)
  "cli.invoice.heading": "invoice {id}  {type}  {state}",
  "cli.invoice.key": "  key          {key}",
  "cli.invoice.key_none": "  key          (none: imported from the device journal)",
  "cli.invoice.client_ref": "  client_ref   {ref}",
  "cli.invoice.cashier": "  cashier      {cashier}",
  "cli.invoice.total": "  total        {amount} ({minor} in minor units)",
  "cli.invoice.not_sealed": "  fiscal       not sealed",
  "cli.invoice.fiscal": "  fiscal no.   {number} ({type} #{typeNumber}) on {device}",
  "cli.invoice.dgi": "  DGI          {dgiType} no. {yearNumber} of {year}, ISF {isf}, rn {rn}",
  "cli.invoice.sealed_at": "  sealed at    {when}",
  "cli.invoice.auth_code": "  auth code    {code}",
  "cli.invoice.qr": "  QR           {qr}",
  "cli.invoice.error": "  error        E{code} {name}: {message}",
  "cli.invoice.receipts": "  receipts     {printed} printed, {duplicates} DUPLICATA",
  "cli.invoice.sync": "  sync         {status}, {attempts, plural, one {# attempt} other {# attempts}}",
  "cli.invoice.sync_dgi": ", DGI {status}",
  "cli.invoice.sync_last_error": ", last error: {error}",
  "cli.invoice.transitions": "  transitions",
  "cli.invoice.transition": "    {when}  {state}",
  "cli.invoice.transition_note": "    {when}  {state}  ({note})",

  // `stalela device info | status | time | self-test` (cli/commands/device-info.ts)
  "cli.device.via":
    "  via          the {via, select, daemon {daemon (its admin.sock; it holds the port)} other {device}}",
  "cli.device.info.heading": "device {device}  ({model}, firmware {firmware}, protocol {protocol})",
  "cli.device.info.state": "  state        {state}",
  "cli.device.info.identity_none":
    "  identity     none: activate with `stalela device activate --code CODE` (or --bundle FILE)",
  "cli.device.info.identity": "  identity     merchant {nif}, outlet {outlet}, authority {authority}",
  "cli.device.info.public_key": "  public key   {key}",
  "cli.device.info.tax_table": "  tax table    {table}",
  "cli.device.info.limits":
    "  limits       journal {capacity} records, {pending} pending, nonce TTL {ttl} ms, payload {payload} bytes",
  "cli.device.status.state": "state        {state}",
  "cli.device.status.state_locked": "state        {state} (locked: {reason})",
  "cli.device.status.last_number": "last number  {number}  {counters}",
  "cli.device.status.journal": "journal      {used} / {capacity} records ({percent} %)",
  "cli.device.status.pending": "pending      {pending} prepared, not committed",
  "cli.device.status.clock": "clock",
  "cli.device.status.warnings_none": "warnings     none",
  "cli.device.status.warnings": "warnings     {warnings}",
  "cli.device.clock.device": "  device time  {local} = {utc}",
  "cli.device.clock.device_invalid":
    "  device time  {local} = {utc}  (INVALID: earlier than the last record)",
  "cli.device.clock.host": "  this PC      {local} = {utc}",
  "cli.device.clock.skew": "  skew         {skew} (device minus this PC)",
  "cli.device.clock.warning":
    "  WARNING: the clocks differ by more than 5 min: check this PC's time (timedatectl), " +
    "then `stalela device time --set now` (at most 15 min per step once activated)",
  "cli.device.time.heading": "device clock",
  "cli.device.time.heading_set": "device clock set",
  "cli.device.self_test.passed": "self-test PASSED",
  "cli.device.self_test.failed": "self-test FAILED",
  "cli.device.self_test.check_ok": "  ok    {name}{detail}",
  "cli.device.self_test.check_failed": "  FAIL  {name}{detail}",
  "cli.device.self_test.locked":
    "the device locks itself until a self-test passes: call support with this output",

  // `stalela device activate` (cli/commands/activate.ts)
  "cli.device.activate.progress": "activating via the {via, select, daemon {daemon} other {device}}…",
  "cli.device.activate.done":
    "device {device} activated (via the {via, select, daemon {daemon} other {device}})",
  "cli.device.activate.resumed":
    "device {device} activation continued and completed (via the {via, select, daemon {daemon} other {device}})",
  "cli.device.activate.merchant": "  merchant    {nif}",
  "cli.device.activate.outlet": "  outlet      {outlet}",
  "cli.device.activate.authority": "  authority   {authority}",
  "cli.device.activate.public_key": "  public key  {key}",
  "cli.device.activate.write_down":
    "              write it down: the DGI registers it, and auditors verify exports and receipts with it",
  "cli.device.activate.registered": "  registered with the Stalela Cloud",
  "cli.device.activate.not_registered":
    "  NOT yet registered with the Stalela Cloud: run the same command again when online",

  // `stalela keys create | list | revoke` (cli/commands/keys.ts)
  "cli.console.ask": "Console password (at least 10 characters): ",
  "cli.console.again": "The same once more: ",
  "cli.console.differ": "the two passwords differ: nothing changed",
  "cli.console.set": "console password set: open http://127.0.0.1:8765/console/ and log in",
  "cli.console.reset":
    "console password reset: the old one no longer works; open sessions stay until they log out or the service restarts",
  "cli.keys.created": "API key for cashier {cashier} (id {id}):",
  "cli.keys.shown_once": "It is shown only now: store it in the POS configuration.",
  "cli.keys.none": "no API keys yet: `stalela keys create --cashier ID`",
  "cli.keys.active": "{id}  cashier {cashier}  created {created}  active  {label}",
  "cli.keys.revoked_line": "{id}  cashier {cashier}  created {created}  REVOKED {revoked}  {label}",
  "cli.keys.revoked": "revoked {id} (cashier {cashier}) at {when}",

  // `stalela queue status | list | retry` (cli/commands/queue.ts)
  "cli.queue.pending": "pending  {count}",
  "cli.queue.pending_oldest": "pending  {count} (oldest since {when})",
  "cli.queue.failed": "failed   {count}",
  "cli.queue.failed_hint":
    "failed   {count}  (see: `stalela queue list --failed`; retry: `stalela queue retry`)",
  "cli.queue.acked": "acked    {count}",
  "cli.queue.conditions_none": "conditions  none",
  "cli.queue.condition": "{severity} {code}: {message} (since {since})",
  "cli.queue.no_failed": "no failed uploads",
  "cli.queue.empty": "the queue is empty",
  "cli.queue.entry": "{invoice}  {device} #{number}  {status}  attempts {attempts}",
  "cli.queue.entry_error":
    "{invoice}  {device} #{number}  {status}  attempts {attempts}  last error: {error}",
  "cli.queue.requeued": "requeued {count, plural, one {# failed upload} other {# failed uploads}}",

  // `stalela journal breaks | ack` (cli/commands/journal.ts)
  "cli.journal.no_breaks": "no chain break: every imported record chains to the one before it",
  "cli.journal.break_open": "{device} record {number}  found {found}  NOT ACKNOWLEDGED",
  "cli.journal.break_acknowledged": "{device} record {number}  found {found}  acknowledged {at} by {by}",
  "cli.journal.nothing_to_acknowledge": "nothing to acknowledge",
  "cli.journal.acknowledged":
    "{count, plural, one {# chain break} other {# chain breaks}} acknowledged by {by}",

  // `stalela backup` (cli/commands/backup.ts)
  "cli.backup.written":
    "backup written: {path} ({bytes} bytes, {invoices, plural, one {# invoice} other {# invoices}}, integrity ok)",

  // `stalela config check` (cli/commands/config.ts)
  "cli.config.valid": "configuration is valid",
  "cli.config.setting": "setting",
  "cli.config.value": "value",
  "cli.config.source": "source",
  "cli.config.not_set": "(not set)",
  "cli.config.warning": "warning: {warning}",

  // `stalela verify-qr` (cli/commands/verify-qr.ts)
  "cli.verify_qr.verified": "QR VERIFIED: signed by the device key",
  "cli.verify_qr.parsed": "QR PARSED (signature not checked)",
  "cli.verify_qr.not_verified": "QR NOT VERIFIED: no --pubkey given",
  "cli.verify_qr.invalid": "QR INVALID: {reason}",
  "cli.verify_qr.v2": "  QR v2: device {device}, fiscal number {number}, {type}, issued {when}",
  "cli.verify_qr.v2_total": "  total {total} centimes = {amount} (tax {tax}), merchant NIF {nif}",
  "cli.verify_qr.v2_code": "  Code DEF/DGI {code}",
  "cli.verify_qr.v1": "  QR v1: device {device}, fiscal number {number}, {type}, issued {when}",
  "cli.verify_qr.v1_total": "  total {total} {currency} minor units (tax {tax}), merchant NIF {nif}",
  "cli.verify_qr.v1_code": "  auth code {code}",
  "cli.verify_qr.key_needed":
    "  Only the device's public key proves a receipt genuine: pass --pubkey HEX, or --parse-only.",

  // `stalela doctor` (cli/commands/doctor.ts, cli/doctor/report.ts)
  "cli.doctor.progress": "checking device, store, daemon and cloud…",
  "cli.doctor.level.ok": "ok",
  "cli.doctor.level.warn": "WARN",
  "cli.doctor.level.fail": "FAIL",
  "cli.doctor.area.device": "device",
  "cli.doctor.area.udev": "udev",
  "cli.doctor.area.clock": "clock",
  "cli.doctor.area.disk": "disk",
  "cli.doctor.area.database": "database",
  "cli.doctor.area.daemon": "daemon",
  "cli.doctor.area.cloud": "cloud",
  "cli.doctor.fix": "fix: {fix}",
  "cli.doctor.all_ok": "no problems found",
  "cli.doctor.some_failed": "fix the FAIL lines above, then run `stalela doctor` again",
  "cli.doctor.fix.device_access":
    "add the user to group stalela-dev (`usermod -aG stalela-dev USER`, then log out and in again), " +
    "install the udev rule (`cp udev/99-stalela-def.rules /etc/udev/rules.d/`), " +
    "then `udevadm control --reload && udevadm trigger`",
  "cli.doctor.fix.start_daemon":
    "`systemctl start stalela-daemon` (`journalctl -u stalela-daemon` says why it stopped), or `stalela daemon`",
  "cli.doctor.device.emulator_missing":
    "{path} does not exist: it is the emulator's port, and no emulator is running",
  "cli.doctor.device.emulator_missing.fix":
    "start the emulator (`stalela emulator`), or plug in the DEF and use --device serial:/dev/stalela-def",
  "cli.doctor.device.missing":
    "{path} does not exist: the DEF is not plugged in, or the udev rule did not create it",
  "cli.doctor.device.missing.fix":
    "plug the DEF in; ls -l /dev/stalela-def*; check the udev rule (below) and --device",
  "cli.doctor.device.access": "cannot read and write {path}: {error}",
  "cli.doctor.device.held": "{path} is accessible; not opened because the running daemon holds it",
  "cli.doctor.device.no_answer": "no device answered on {uri}",
  "cli.doctor.device.no_answer_error": "no device answered on {uri}: {error}",
  "cli.doctor.device.no_answer.fix":
    "check the cable and --device; stop any other program using the port (`stalela daemon` holds it)",
  "cli.doctor.device.answered": "{device} answered on {uri}: {state}",
  "cli.doctor.device.unactivated": "{device} answered on {uri}: {state}, not activated",
  "cli.doctor.device.unactivated.fix": "`stalela device activate --code CODE`",
  "cli.doctor.device.locked.fix": "`stalela device status`; `stalela device self-test`",
  "cli.doctor.device.warnings": "{device} answered on {uri}: {state}, warnings {warnings}",
  "cli.doctor.device.warnings.fix": "`stalela device status`",
  "cli.doctor.udev.missing":
    "the udev rule 99-stalela-def.rules is not installed: a plugged DEF belongs to root only",
  "cli.doctor.udev.missing.fix":
    "`cp udev/99-stalela-def.rules /etc/udev/rules.d/ && udevadm control --reload && udevadm trigger`",
  "cli.doctor.udev.installed": "udev rule installed at {path}",
  "cli.doctor.clock.reset": "this computer's clock reads {host}, before 2024: it was reset",
  "cli.doctor.clock.reset.fix":
    "`timedatectl set-ntp true` (or `date -s 'YYYY-MM-DD HH:MM'`), then `stalela doctor` again",
  "cli.doctor.clock.host": "this computer: {host}",
  "cli.doctor.clock.invalid":
    "the device clock is INVALID (earlier than its last record): it refuses to seal",
  "cli.doctor.clock.invalid.fix":
    "`stalela device time --set now` (the device refuses steps over 15 min: call support)",
  "cli.doctor.clock.skewed": "the device clock differs from this computer's by {skew}",
  "cli.doctor.clock.skewed.fix":
    "check this computer's time (`timedatectl`), then `stalela device time --set now`",
  "cli.doctor.clock.ok": "device clock {skew} from this computer's ({host})",
  "cli.doctor.disk.unreadable": "cannot read free space at {path}: {error}",
  "cli.doctor.disk.free": "{gib} GiB free at {path}",
  "cli.doctor.disk.free.fix":
    "free space on that disk (old logs: `journalctl --vacuum-size=200M`), or move --state",
  "cli.doctor.database.missing": "no store at {path} yet (the daemon creates it on first start)",
  "cli.doctor.database.missing.fix":
    "check --state; or start the daemon once: `systemctl start stalela-daemon`, or `stalela daemon --state DIR`",
  "cli.doctor.database.unopenable": "cannot open {path}: {error}",
  "cli.doctor.database.unopenable.fix":
    "check its owner and mode (ls -l); restore from backup (docs/INSTALL.md)",
  "cli.doctor.database.corrupt": "{path} failed PRAGMA quick_check: {result}",
  "cli.doctor.database.no_answer": "no answer",
  "cli.doctor.database.corrupt.fix":
    "stop the daemon, copy the file aside, restore the last backup (docs/INSTALL.md §Backups)",
  "cli.doctor.database.newer": "schema version {version} is newer than this version's {expected}",
  "cli.doctor.database.newer.fix": "upgrade stalela",
  "cli.doctor.database.older": "schema version {version}; the daemon migrates it to {expected} at start",
  "cli.doctor.database.older.fix": "back the store up, then restart the daemon",
  "cli.doctor.database.ok": "{path}: quick_check ok, schema version {version}",
  "cli.doctor.daemon.ok": "daemon {version} answers on {url}",
  "cli.doctor.daemon.none": "no daemon answers on {url}",
  "cli.doctor.daemon.none_error": "no daemon answers on {url} ({error})",
  "cli.doctor.cloud.skipped": "no cloud URL given (--cloud URL or $STALELA_CLOUD_URL): skipped",
  "cli.doctor.cloud.ok": "{url} answered (HTTP {status})",
  "cli.doctor.cloud.unreachable": "{url} is unreachable",
  "cli.doctor.cloud.unreachable_error": "{url} is unreachable: {error}",
  "cli.doctor.cloud.unreachable.fix":
    "check the network, DNS and proxy (curl -I URL); invoices are kept and uploaded once it answers",
};
