/**
 * `stalela --help` in English: the description of every command, option and argument, the texts after
 * a command's help, and commander's own words. protocol/i18n/fr/help.ts has the same keys; cli/help.ts
 * says how they are named and put in. A text with a value (a default) takes it as a string, as written.
 */
export const HELP_EN: Readonly<Record<string, string>> = {
  // Commander's own words (cli/help.ts)
  "help.builtin.help": "display help for command",
  "help.heading.usage": "Usage:",
  "help.heading.arguments": "Arguments:",
  "help.heading.options": "Options:",
  "help.heading.global_options": "Global Options:",
  "help.heading.commands": "Commands:",
  "help.suffix.default": "default: {value}",
  "help.suffix.choices": "choices: {values}",
  "help.suffix.preset": "preset: {value}",
  "help.suffix.env": "env: {name}",

  // Options several commands share (cli/state.ts, cli/commands/device-connect.ts withDeviceOptions)
  "help.option.json": "machine-readable output",
  "help.option.state": "daemon state directory (default $STALELA_STATE_DIR, else {dir})",
  "help.option.state.admin-sock":
    "daemon state directory (default $STALELA_STATE_DIR, else {dir}), where admin.sock is",
  "help.option.state.device":
    "daemon state directory (default $STALELA_STATE_DIR, else {dir}): a daemon answering on its " +
    "admin.sock is asked instead",
  "help.option.device": "device URI (default $STALELA_DEVICE, else auto: USB discovery)",
  "help.option.connect-timeout-ms": "wait this long for the device",
  // After texts several commands share
  "help.exits.device": "Exit codes: 0 ok, 2 bad arguments, 3 device error or refusal, 1 other failure.",
  "help.exits.queue": "Exit codes: 0 ok, 1 no daemon on the admin socket or other failure.",

  // `stalela` (cli/program.ts)
  "help.stalela": "Stalela Local Fiscal Service: DEF emulator, daemon and technician tools",
  "help.stalela.version": "print the version",
  "help.stalela.lang": "language of the human output (default: LANG, else fr)",

  // `stalela daemon` (cli/commands/daemon.ts)
  "help.daemon": "run the fiscal daemon: POS HTTP API on 127.0.0.1, device link, store",
  "help.daemon.config": "JSON configuration file",
  "help.daemon.device":
    "device: serial:PATH, hid:VID:PID[:SERIAL], usb:VID:PID[:SERIAL], tcp:HOST:PORT, auto",
  "help.daemon.state": "state directory (SQLite store)",
  "help.daemon.host": "address the POS API binds to (default 127.0.0.1)",
  "help.daemon.port": "port of the POS API (default {port})",
  "help.daemon.log-level": "fatal, error, warn, info, debug, trace or silent",
  "help.daemon.allow-emulator":
    "development mode: accept the emulator, the development cloud root and http to loopback",

  // `stalela config check` (cli/commands/config.ts)
  "help.config": "the daemon's configuration",
  "help.config.check": "validate the configuration; print every setting, its value and where it came from",
  "help.config.check.config": "JSON configuration file, as `stalela daemon --config FILE` takes it",
  "help.config.check.after": "Exit codes: 0 valid, 2 invalid or unsafe configuration (E3xx).",

  // `stalela demo` (cli/commands/demo.ts)
  "help.demo":
    "run cloud emulator + emulated device + daemon with temporary state; print a ready curl command",
  "help.demo.port": "port of the POS API (default {port}, or a free one if that is taken)",
  "help.demo.state": "keep state in this directory instead of a temporary one",

  // `stalela emulator` (cli/commands/emulator.ts)
  "help.emulator": "run the software DEF emulator on a virtual serial port (PTY) and/or TCP",
  "help.emulator.state": "state directory (fiscal memory)",
  "help.emulator.link": "PTY symlink path (default {path} unless --tcp is given)",
  "help.emulator.no-link": "do not open a PTY",
  "help.emulator.tcp": "also listen on TCP (one host at a time)",
  "help.emulator.control": "control channel (HTTP JSON), e.g. 127.0.0.1:7301",
  "help.emulator.nonce-ttl-ms": "PREPARE nonce lifetime (default {ms})",
  "help.emulator.max-pending": "most pending PREPAREs (default {count})",
  "help.emulator.journal-capacity": "journal records (default {count})",
  "help.emulator.max-time-adjust-ms": "largest TIME_SET step once active",
  "help.emulator.cloud-root-key": "Stalela Cloud root public key to trust (default: development key)",
  "help.emulator.fault-seed": "seed of every random fault decision (printed)",
  "help.emulator.fill-journal": "start with the journal full (capacity = records used)",
  "help.emulator.log-level": "stderr log level",
  // The fault flags (FAULT_FLAGS)
  "help.emulator.drop-rate": "fault: probability of losing any reply",
  "help.emulator.drop-next": "fault: lose the next N replies",
  "help.emulator.drop-commit-rate": "fault: probability of losing a sealed COMMIT's reply",
  "help.emulator.drop-commit-next": "fault: lose the next N sealed COMMIT replies",
  "help.emulator.delay-ms": "fault: hold every reply this long (device stays busy)",
  "help.emulator.corrupt-tx-rate": "fault: per-byte probability of a bit flip in what the device sends",
  "help.emulator.corrupt-rx-rate": "fault: per-byte probability of a bit flip in what it receives",
  "help.emulator.disconnect-commit-rate": "fault: probability of unplugging after sealing",
  "help.emulator.disconnect-commit-next": "fault: unplug after the next N",
  "help.emulator.busy-rate": "fault: probability of answering BUSY",
  "help.emulator.busy-next": "fault: answer BUSY to the next N requests",
  "help.emulator.clock-skew-ms": "fault: drift device time",
  "help.emulator.journal-capacity-fault": "fault: capacity in force (fault)",

  // `stalela cloud-emulator` (cli/commands/cloud-emulator.ts)
  "help.cloud-emulator": "run the reference Stalela Cloud (activation codes, uploads, fault injection)",
  "help.cloud-emulator.port": "TCP port (0 picks a free one)",
  "help.cloud-emulator.host": "listen address",
  "help.cloud-emulator.state": "state directory (SQLite)",
  "help.cloud-emulator.issue-code": "issue CODE:MERCHANT_NIF:OUTLET_ID:FISCAL_AUTHORITY_ID (repeatable)",
  "help.cloud-emulator.root-seed": "cloud root seed bundles are signed with (default: the public dev seed)",
  "help.cloud-emulator.verify-threads": "worker threads verifying record signatures (default 0)",
  "help.cloud-emulator.fault": "fault at start, e.g. fail_next=3, down=true (repeatable)",

  // `stalela device …` (cli/commands/device.ts, device-info.ts, activate.ts, export.ts)
  "help.device": "talk to the fiscal device (DEF): through the running daemon, else directly",
  "help.device.info": "identity, keys, state and limits of the device",
  "help.device.status": "state, counters, journal use, clock skew and warnings",
  "help.device.time": "show the device clock against this computer's, or set it",
  "help.device.time.set":
    "set the device clock: `now` (this computer's time) or an ISO time with Z or an offset " +
    "(2026-12-01T14:05:33+01:00)",
  "help.device.time.after":
    "Exit codes: 0 ok, 2 bad arguments, 3 device error or refusal, 1 other failure. " +
    "A refused --set (over 15 min once activated) exits 3.",
  "help.device.self-test": "run the device self-test (keys, journal chain, counters, storage, clock)",
  "help.device.self-test.after":
    "Exit codes: 0 ok, 2 bad arguments, 3 device error or refusal, 1 other failure. " +
    "A failed self-test exits 3.",
  "help.device.activate":
    "activate the device: online with a code (via the daemon) or offline with a bundle file",
  "help.device.activate.code": "activation code from the Stalela Cloud portal (needs the running daemon)",
  "help.device.activate.bundle": "signed activation bundle file (works without the daemon and offline)",
  "help.device.activate.cloud": "Stalela Cloud URL to register a bundle activation with (no daemon)",
  "help.device.activate.allow-emulator":
    "development mode without a daemon: accept an emulated device, the development root and an http " +
    "loopback cloud",
  "help.device.activate.after":
    "Exit codes: 0 activated, 2 neither or both of --code/--bundle, or no store (no daemon ever\n" +
    "started), 3 device refusal (E103 already activated, E116 bad signature, E117 another device,\n" +
    "E118 malformed bundle) or no device, 4 cloud refusal or unreachable (E500, E502 unknown code,\n" +
    "E503 code used), or no daemon for --code.",
  "help.device.export": "export the device journal (signed records) to a file an auditor can verify offline",
  "help.device.export.out": "where to write the export (JSON)",
  "help.device.export.from": "first fiscal number (default 1)",
  "help.device.export.to": "last fiscal number (default: the device's last)",
  "help.device.export.force": "overwrite --out if it exists",
  "help.device.export.after":
    "Exit codes: 0 exported, 3 device error, 2 bad arguments (--out exists, a range the device\n" +
    "does not hold), 1 other failure.",

  // `stalela verify` (cli/commands/verify.ts)
  "help.verify":
    "verify a journal export offline: signatures, codes, QR, chain, counters, time, tax and totals, " +
    "invoices, credit notes",
  "help.verify.export": "the export file (`stalela device export --out FILE`)",
  "help.verify.pubkey": "verify with this device key (the one the DGI registered), not the file's",
  "help.verify.threads":
    "worker threads checking the signatures and QR codes (1 to {max}; default one per core, {cores} " +
    "here; 1: none, all on the main thread); the report is the same whatever the number",
  "help.verify.json": "machine-readable report on stdout",
  "help.verify.after": "Exit codes: 0 verified, 5 verification failed, 2 bad arguments or unreadable file.",

  // `stalela verify-qr` (cli/commands/verify-qr.ts)
  "help.verify-qr":
    "parse a receipt QR payload (RDCDEF01;…, v1 or v2) and verify its signature with the device key",
  "help.verify-qr.payload": "the scanned QR text (quote it: it contains ';')",
  "help.verify-qr.pubkey": "the device's public key (hex); without it nothing can be verified",
  "help.verify-qr.parse-only": "only parse; exit 0 for a well-formed payload",
  "help.verify-qr.json": "machine-readable result on stdout",
  "help.verify-qr.after":
    "Exit codes: 0 verified (or parsed with --parse-only), 5 not verified, 2 bad --pubkey.",

  // `stalela keys …` (cli/commands/keys.ts)
  "help.console": "the operator console (the service's web pages, under /console)",
  "help.console.password": "set or reset the console password; asked twice, not echoed",
  "help.console.password.stdin": "read the password from the first line of standard input (scripts)",
  "help.keys": "create, list and revoke POS API keys",
  "help.keys.create": "create an API key for a cashier; the key is shown once",
  "help.keys.create.cashier": "cashier the key is bound to (goes onto every record)",
  "help.keys.create.label": "what the key is for, e.g. the till",
  "help.keys.create.key-only": "print the key alone on one line, for a script",
  "help.keys.list": "list API keys (never their secrets)",
  "help.keys.revoke": "revoke an API key; requests with it are refused from then on",
  "help.keys.revoke.after":
    "An id made by an earlier version may start with -: put it after --, as in\n" +
    "`stalela keys revoke -- -_fvRXGGTnUU`.",

  // `stalela queue …` (cli/commands/queue.ts)
  "help.queue": "the upload queue to the Stalela Cloud (needs the daemon)",
  "help.queue.status": "pending, failed and acknowledged counts, sync conditions",
  "help.queue.list": "queue entries in order, with attempts and the last error",
  "help.queue.list.failed": "only entries that gave up (FAILED)",
  "help.queue.retry": "requeue FAILED uploads: all of them, or the given invoice ids",

  // `stalela invoice …` (cli/commands/invoice.ts, receipt.ts)
  "help.invoice": "look invoices up in the daemon's store",
  "help.invoice.get": "one invoice by id, Idempotency-Key or client_ref: state, fiscal number, QR, sync",
  "help.invoice.get.json": "the API's InvoiceView as JSON",
  "help.invoice.get.after": "Exit codes: 0 found, 2 unknown (E115 RECORD_NOT_FOUND), 1 other failure.",
  "help.invoice.receipt":
    "the receipt of a sealed invoice; the first is the original, every later one a DUPLICATA",
  "help.invoice.receipt.format": "receipt format",
  "help.invoice.receipt.width": "characters per line: 32 (58 mm), 42 or 48 (80 mm)",
  "help.invoice.receipt.tz": "the shop's time zone",
  "help.invoice.receipt.preview": "a screen preview, not counted and marked as not a receipt",
  "help.invoice.receipt.out": "write to this file (required for escpos and pdf on a terminal)",
  "help.invoice.receipt.json": "a failure as JSON on stdout (the receipt itself is never JSON)",

  // `stalela journal …` (cli/commands/journal.ts)
  "help.journal": "chain breaks found in the device journal, and their acknowledgement",
  "help.journal.breaks": "list every chain break, acknowledged or not",
  "help.journal.ack":
    "acknowledge the open chain breaks after checking the device; clears the status condition",
  "help.journal.ack.by": "who checked the device (goes into the audit log)",
  "help.journal.ack.record": "only the break at this fiscal number",

  // `stalela backup` (cli/commands/backup.ts)
  "help.backup": "write a consistent copy of the daemon's store (safe while the daemon runs)",
  "help.backup.out": "the copy to write (must not exist)",

  // `stalela doctor` (cli/commands/doctor.ts)
  "help.doctor": "check device access, udev, clocks, disk, store, daemon and cloud; say how to fix each",
  "help.doctor.url": "the daemon's API",
  "help.doctor.cloud": "Stalela Cloud URL to test (default $STALELA_CLOUD_URL; skipped when neither)",
  "help.doctor.device-timeout-ms": "wait this long for the device",
  "help.doctor.json": "machine-readable report",
  "help.doctor.after":
    "Exit codes: 0 nothing failed (warnings allowed), 3 the device check failed, 4 only the cloud\n" +
    "check failed, 1 another check failed.",
  // `stalela report …` (cli/commands/report.ts)
  "help.report": "the fiscal day's reports: X, Z (closure), A (articles) (needs the running daemon)",
  "help.report.z":
    "close the fiscal day: a Z report signed by the fiscal device, with the monthly and yearly closures it brings",
  "help.report.x": "X report: the open day's figures, without closing it",
  "help.report.a":
    "A report: sales and returns per article, since the last A report (or from --from to --to)",
  "help.report.a.from": "first fiscal number covered",
  "help.report.a.to": "last fiscal number covered (default: the fiscal device's last)",
  "help.report.list": "the reports the daemon keeps, newest first",
  "help.report.list.kind": "only this kind of report",
  "help.report.list.limit": "most reports to list",
  "help.report.show": "one stored report, by kind and number (e.g. Z_REPORT 12)",
  "help.report.show.kind": "the kind: Z_REPORT, MONTH_CLOSURE, YEAR_CLOSURE or A_REPORT",
  "help.report.show.number": "its number",
  "help.option.width": "characters per line of the printed report: 32 (58 mm), 42 or 48 (80 mm)",
  "help.exits.report":
    "Exit codes: 0 ok, 2 bad arguments or unknown report, 3 fiscal device error or refusal, 1 no daemon on admin.sock or other failure.",
};
