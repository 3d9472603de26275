/**
 * `stalela doctor`'s judgement, as pure functions: observations in (what the probes saw on this
 * machine), a report out (each check ok / warn / fail, what is wrong, the command that fixes it) and
 * an exit code. No I/O here, so every verdict is tested without a device, a daemon or root.
 */
import { CLOCK_SKEW_WARN_MS } from "../../daemon/config.js";

/** How a check came out. */
export type CheckLevel = "ok" | "warn" | "fail";
/** What a check is about; `device` failures exit 3, `cloud`-only failures exit 4. */
export type CheckArea = "device" | "udev" | "clock" | "disk" | "database" | "daemon" | "cloud";

/** One line of the report. */
export interface CheckResult {
  readonly area: CheckArea;
  readonly level: CheckLevel;
  readonly message: string;
  /** The command (or step) that fixes it, when something is wrong. */
  readonly fix?: string;
}

/** What the device probe saw. */
export interface DeviceObservation {
  readonly uri: string;
  /** The serial port path, for `serial:` URIs. */
  readonly path?: string;
  /** For a path: whether it exists, and whether this user may read and write it. */
  readonly exists?: boolean;
  readonly accessError?: string;
  /** The device's answer when it was asked (INFO + TIME_GET), or why it did not answer. */
  readonly answer?: {
    readonly deviceId: string;
    readonly state: string;
    readonly warnings: readonly string[];
  };
  readonly error?: string;
  /** True when the device was not asked because a running daemon holds the port. */
  readonly heldByDaemon?: boolean;
}

/** Everything the probes saw. */
export interface DoctorObservations {
  readonly device: DeviceObservation;
  /** Where the udev rule was found, or null. */
  readonly udevRule: string | null;
  readonly hostNow: number;
  /** The device clock, when the device answered: its time, read at `hostNow`, and validity. */
  readonly deviceClock?: { readonly now: number; readonly valid: boolean };
  readonly disk: { readonly path: string; readonly freeBytes?: number; readonly error?: string };
  readonly database: {
    readonly path: string;
    readonly exists: boolean;
    readonly quickCheck?: string;
    readonly schemaVersion?: number;
    readonly expectedVersion: number;
    readonly error?: string;
  };
  readonly daemon: { readonly url: string; readonly version?: string; readonly error?: string };
  readonly cloud: { readonly url: string | null; readonly status?: number; readonly error?: string };
}

/** Earliest plausible system time: a clock before this was reset (dead CMOS battery, no NTP). */
export const SANE_CLOCK_AFTER_MS = Date.UTC(2024, 0, 1);
/** Free space under which the state directory warns, in bytes (1 GiB). */
export const DISK_WARN_BYTES = 1024 ** 3;
/** Free space under which it fails, in bytes (100 MiB): SQLite needs room for WAL and checkpoints. */
export const DISK_FAIL_BYTES = 100 * 1024 ** 2;

/**
 * How a user gets the DEF's device node (doctor and the device commands): group stalela owns it once
 * the udev rule is installed and applied. No sudo: technicians run as root, and Debian has no sudo
 * by default.
 */
export const DEVICE_ACCESS_FIX =
  "add the user to group stalela (`usermod -aG stalela USER`, then log out and in again), install the udev " +
  "rule (`cp udev/99-stalela-def.rules /etc/udev/rules.d/`), then `udevadm control --reload && udevadm trigger`";
/** How the daemon is started, and where it says why it stopped (the unit's own name, enabled or not). */
export const START_DAEMON_FIX =
  "`systemctl start stalela-daemon` (`journalctl -u stalela-daemon` says why it stopped), or `stalela daemon`";

/** `+2.3 s`, `-15.0 min`: a clock difference a person reads at a glance (under 50 ms reads 0.0 s). */
export function formatSkew(ms: number): string {
  const abs = Math.abs(ms);
  const sign = abs < 50 ? "" : ms < 0 ? "-" : "+";
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  if (abs < 3_600_000) return `${sign}${(abs / 60_000).toFixed(1)} min`;
  return `${sign}${(abs / 3_600_000).toFixed(1)} h`;
}

/**
 * The emulator's own port (`stalela emulator`, emulator/process.ts DEFAULT_LINK_PATH; not imported, so
 * that doctor does not load node-pty): when it is missing, no emulator runs. The daemon's default is
 * `auto`, never this path.
 */
export const EMULATOR_DEVICE_URI = "serial:/tmp/stalela-def";

/** The device path, its permissions and whether the device answers. */
export function checkDevice(d: DeviceObservation): CheckResult {
  const area = "device";
  if (d.path !== undefined && d.exists === false) {
    return d.uri === EMULATOR_DEVICE_URI
      ? {
          area,
          level: "fail",
          message: `${d.path} does not exist: it is the emulator's port, and no emulator is running`,
          fix: "start the emulator (`stalela emulator`), or plug in the DEF and use --device serial:/dev/stalela-def",
        }
      : {
          area,
          level: "fail",
          message: `${d.path} does not exist: the DEF is not plugged in, or the udev rule did not create it`,
          fix: "plug the DEF in; ls -l /dev/stalela-def*; check the udev rule (below) and --device",
        };
  }
  if (d.accessError !== undefined) {
    return {
      area,
      level: "fail",
      message: `cannot read and write ${d.path ?? d.uri}: ${d.accessError}`,
      fix: DEVICE_ACCESS_FIX,
    };
  }
  if (d.heldByDaemon) {
    return {
      area,
      level: "ok",
      message: `${d.path ?? d.uri} is accessible; not opened because the running daemon holds it`,
    };
  }
  if (d.answer === undefined) {
    return {
      area,
      level: "fail",
      message: `no device answered on ${d.uri}${d.error ? `: ${d.error}` : ""}`,
      fix: "check the cable and --device; stop any other program using the port (`stalela daemon` holds it)",
    };
  }
  const { deviceId, state, warnings } = d.answer;
  const summary = `${deviceId} answered on ${d.uri}: ${state}`;
  if (state === "UNACTIVATED") {
    return {
      area,
      level: "warn",
      message: `${summary}, not activated`,
      fix: "`stalela device activate --code CODE`",
    };
  }
  if (state === "LOCKED") {
    return {
      area,
      level: "fail",
      message: `${summary}`,
      fix: "`stalela device status`; `stalela device self-test`",
    };
  }
  return warnings.length === 0
    ? { area, level: "ok", message: summary }
    : {
        area,
        level: "warn",
        message: `${summary}, warnings ${warnings.join(", ")}`,
        fix: "`stalela device status`",
      };
}

/** Whether the udev rule that gives the DEF to group stalela is installed. */
export function checkUdev(rule: string | null): CheckResult {
  return rule === null
    ? {
        area: "udev",
        level: "warn",
        message: "the udev rule 99-stalela-def.rules is not installed: a plugged DEF belongs to root only",
        fix: "`cp udev/99-stalela-def.rules /etc/udev/rules.d/ && udevadm control --reload && udevadm trigger`",
      }
    : { area: "udev", level: "ok", message: `udev rule installed at ${rule}` };
}

/** This computer's clock is plausible, and the device's agrees with it. */
export function checkClock(o: Pick<DoctorObservations, "hostNow" | "deviceClock">): CheckResult {
  const host = new Date(o.hostNow).toISOString();
  if (o.hostNow < SANE_CLOCK_AFTER_MS) {
    return {
      area: "clock",
      level: "fail",
      message: `this computer's clock reads ${host}, before 2024: it was reset`,
      fix: "`timedatectl set-ntp true` (or `date -s 'YYYY-MM-DD HH:MM'`), then `stalela doctor` again",
    };
  }
  if (o.deviceClock === undefined) return { area: "clock", level: "ok", message: `this computer: ${host}` };
  if (!o.deviceClock.valid) {
    return {
      area: "clock",
      level: "fail",
      message: "the device clock is INVALID (earlier than its last record): it refuses to seal",
      fix: "`stalela device time --set now` (the device refuses steps over 15 min: call support)",
    };
  }
  const skew = o.deviceClock.now - o.hostNow;
  return Math.abs(skew) > CLOCK_SKEW_WARN_MS
    ? {
        area: "clock",
        level: "warn",
        message: `the device clock differs from this computer's by ${formatSkew(skew)}`,
        fix: "check this computer's time (`timedatectl`), then `stalela device time --set now`",
      }
    : {
        area: "clock",
        level: "ok",
        message: `device clock ${formatSkew(skew)} from this computer's (${host})`,
      };
}

/** Free space where the store lives. */
export function checkDisk(disk: DoctorObservations["disk"]): CheckResult {
  if (disk.freeBytes === undefined) {
    return {
      area: "disk",
      level: "fail",
      message: `cannot read free space at ${disk.path}: ${disk.error ?? "?"}`,
    };
  }
  const text = `${(disk.freeBytes / 1024 ** 3).toFixed(2)} GiB free at ${disk.path}`;
  const fix = "free space on that disk (old logs: `journalctl --vacuum-size=200M`), or move --state";
  if (disk.freeBytes < DISK_FAIL_BYTES) return { area: "disk", level: "fail", message: text, fix };
  if (disk.freeBytes < DISK_WARN_BYTES) return { area: "disk", level: "warn", message: text, fix };
  return { area: "disk", level: "ok", message: text };
}

/** The store opens, passes quick_check and has a schema this version understands. */
export function checkDatabase(db: DoctorObservations["database"]): CheckResult {
  const area = "database";
  if (!db.exists) {
    return {
      area,
      level: "warn",
      message: `no store at ${db.path} yet (the daemon creates it on first start)`,
      fix: "check --state; or start the daemon once: `systemctl start stalela-daemon`, or `stalela daemon --state DIR`",
    };
  }
  if (db.error !== undefined) {
    return {
      area,
      level: "fail",
      message: `cannot open ${db.path}: ${db.error}`,
      fix: "check its owner and mode (ls -l); restore from backup (docs/INSTALL.md)",
    };
  }
  if (db.quickCheck !== "ok") {
    return {
      area,
      level: "fail",
      message: `${db.path} failed PRAGMA quick_check: ${db.quickCheck ?? "no answer"}`,
      fix: "stop the daemon, copy the file aside, restore the last backup (docs/INSTALL.md §Backups)",
    };
  }
  const v = db.schemaVersion ?? 0;
  if (v > db.expectedVersion) {
    return {
      area,
      level: "fail",
      message: `schema version ${v} is newer than this version's ${db.expectedVersion}`,
      fix: "upgrade stalela",
    };
  }
  if (v < db.expectedVersion) {
    return {
      area,
      level: "warn",
      message: `schema version ${v}; the daemon migrates it to ${db.expectedVersion} at start`,
      fix: "back the store up, then restart the daemon",
    };
  }
  return { area, level: "ok", message: `${db.path}: quick_check ok, schema version ${v}` };
}

/** The daemon's liveness endpoint. Not running is a warning: installation tasks need it stopped. */
export function checkDaemon(daemon: DoctorObservations["daemon"]): CheckResult {
  return daemon.version !== undefined
    ? { area: "daemon", level: "ok", message: `daemon ${daemon.version} answers on ${daemon.url}` }
    : {
        area: "daemon",
        level: "warn",
        message: `no daemon answers on ${daemon.url}${daemon.error ? ` (${daemon.error})` : ""}`,
        fix: START_DAEMON_FIX,
      };
}

/** Whether the Stalela Cloud answers at all (any HTTP status counts: it is reachability). */
export function checkCloud(cloud: DoctorObservations["cloud"]): CheckResult {
  if (cloud.url === null) {
    return {
      area: "cloud",
      level: "ok",
      message: "no cloud URL given (--cloud URL or $STALELA_CLOUD_URL): skipped",
    };
  }
  return cloud.status !== undefined
    ? { area: "cloud", level: "ok", message: `${cloud.url} answered (HTTP ${cloud.status})` }
    : {
        area: "cloud",
        level: "fail",
        message: `${cloud.url} is unreachable${cloud.error ? `: ${cloud.error}` : ""}`,
        fix: "check the network, DNS and proxy (curl -I URL); invoices are kept and uploaded once it answers",
      };
}

/** Every check, in the order a technician fixes things. */
export function doctorReport(o: DoctorObservations): CheckResult[] {
  return [
    checkDevice(o.device),
    checkUdev(o.udevRule),
    checkClock(o),
    checkDisk(o.disk),
    checkDatabase(o.database),
    checkDaemon(o.daemon),
    checkCloud(o.cloud),
  ];
}

/** 0 nothing fails, 3 the device check fails, 4 only cloud checks fail, 1 anything else fails. */
export function doctorExitCode(checks: readonly CheckResult[]): number {
  const failed = checks.filter((c) => c.level === "fail");
  if (failed.length === 0) return 0;
  if (failed.some((c) => c.area === "device")) return 3;
  return failed.every((c) => c.area === "cloud") ? 4 : 1;
}
