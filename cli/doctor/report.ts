/**
 * `stalela doctor`'s judgement, as pure functions: observations in (what the probes saw on this
 * machine), a report out (each check ok / warn / fail, what is wrong, the command that fixes it) and
 * an exit code. No I/O here, so every verdict is tested without a device, a daemon or root. The texts
 * come from the catalogues (`cli.doctor.*`), in the language of the report's reader.
 */
import { CLOCK_SKEW_WARN_MS } from "../../daemon/config.js";
import { type Lang, t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";

/** How a check can come out. */
export const CHECK_LEVELS = ["ok", "warn", "fail"] as const;
/** How a check came out. */
export type CheckLevel = (typeof CHECK_LEVELS)[number];
/** What the checks are about, in report order. */
export const CHECK_AREAS = ["device", "udev", "clock", "disk", "database", "daemon", "cloud"] as const;
/** What a check is about; `device` failures exit 3, `cloud`-only failures exit 4. */
export type CheckArea = (typeof CHECK_AREAS)[number];

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
 * Who a report is written for: the language of its texts, and the zone its times are shown in. The
 * human report reads in the reader's language and the shop's zone; `doctor --json` keeps its stable
 * form, English texts and UTC ISO 8601 times (JSON_READER).
 */
export interface ReportReader {
  readonly lang: Lang;
  /** The IANA zone times are shown in, with their offset; undefined for UTC ISO 8601. */
  readonly timeZone?: string;
}

/** The reader `doctor --json` writes for, and the default of every check. */
export const JSON_READER: ReportReader = { lang: "en" };

/**
 * How a user gets the DEF's device node (doctor and the device commands): group stalela-dev owns it
 * (mode 0660) once the udev rule is installed and applied, so the user joins stalela-dev, never
 * stalela, the group of the fiscal state. No sudo: technicians run as root, and Debian has no sudo
 * by default. In English: it also goes into error details, which are English (cli/output.ts).
 */
export const DEVICE_ACCESS_FIX = t("en", "cli.doctor.fix.device_access");
/** How the daemon is started, and where it says why it stopped (the unit's own name, enabled or not). */
export const START_DAEMON_FIX = t("en", "cli.doctor.fix.start_daemon");

/** A decimal number as `lang` writes it: `79.07` in English, `79,07` in French. */
export function formatDecimal(value: number, digits: number, lang: Lang = "en"): string {
  const text = value.toFixed(digits);
  return lang === "fr" ? text.replace(".", ",") : text;
}

/**
 * `+2.3 s`, `-15.0 min`: a clock difference a person reads at a glance (under 50 ms reads 0.0 s);
 * French writes the decimal comma (`-15,0 min`).
 */
export function formatSkew(ms: number, lang: Lang = "en"): string {
  const abs = Math.abs(ms);
  const sign = abs < 50 ? "" : ms < 0 ? "-" : "+";
  if (abs < 60_000) return `${sign}${formatDecimal(abs / 1000, 1, lang)} s`;
  if (abs < 3_600_000) return `${sign}${formatDecimal(abs / 60_000, 1, lang)} min`;
  return `${sign}${formatDecimal(abs / 3_600_000, 1, lang)} h`;
}

/**
 * The emulator's own port (`stalela emulator`, emulator/process.ts DEFAULT_LINK_PATH; not imported, so
 * that doctor does not load node-pty): when it is missing, no emulator runs. The daemon's default is
 * `auto`, never this path.
 */
export const EMULATOR_DEVICE_URI = "serial:/tmp/stalela-def";

type Values = Record<string, string | number>;

/** A check's result with its message (and fix) from the catalogue: `cli.doctor.<key>` (and `.fix`). */
function result(
  reader: ReportReader,
  area: CheckArea,
  level: CheckLevel,
  key: string,
  values?: Values,
  fixKey?: string,
): CheckResult {
  const message = t(reader.lang, `cli.doctor.${key}`, values);
  return fixKey === undefined
    ? { area, level, message }
    : { area, level, message, fix: t(reader.lang, `cli.doctor.${fixKey}`) };
}

/** An instant for the reader: in their zone with its offset, or UTC ISO 8601. */
function timeFor(reader: ReportReader, ms: number): string {
  return reader.timeZone === undefined
    ? new Date(ms).toISOString()
    : formatLocalTime(ms, reader.timeZone, reader.lang);
}

/** The device path, its permissions and whether the device answers. */
export function checkDevice(d: DeviceObservation, reader: ReportReader = JSON_READER): CheckResult {
  const say = (level: CheckLevel, key: string, values?: Values, fix?: string): CheckResult =>
    result(reader, "device", level, `device.${key}`, values, fix);
  if (d.path !== undefined && d.exists === false) {
    return d.uri === EMULATOR_DEVICE_URI
      ? say("fail", "emulator_missing", { path: d.path }, "device.emulator_missing.fix")
      : say("fail", "missing", { path: d.path }, "device.missing.fix");
  }
  const where = d.path ?? d.uri;
  if (d.accessError !== undefined) {
    return say("fail", "access", { path: where, error: d.accessError }, "fix.device_access");
  }
  if (d.heldByDaemon) return say("ok", "held", { path: where });
  if (d.answer === undefined) {
    return d.error
      ? say("fail", "no_answer_error", { uri: d.uri, error: d.error }, "device.no_answer.fix")
      : say("fail", "no_answer", { uri: d.uri }, "device.no_answer.fix");
  }
  const { deviceId, state, warnings } = d.answer;
  const answered = { device: deviceId, uri: d.uri, state };
  if (state === "UNACTIVATED") return say("warn", "unactivated", answered, "device.unactivated.fix");
  if (state === "LOCKED") return say("fail", "answered", answered, "device.locked.fix");
  return warnings.length === 0
    ? say("ok", "answered", answered)
    : say("warn", "warnings", { ...answered, warnings: warnings.join(", ") }, "device.warnings.fix");
}

/** Whether the udev rule that gives the DEF to group stalela-dev is installed. */
export function checkUdev(rule: string | null, reader: ReportReader = JSON_READER): CheckResult {
  return rule === null
    ? result(reader, "udev", "warn", "udev.missing", undefined, "udev.missing.fix")
    : result(reader, "udev", "ok", "udev.installed", { path: rule });
}

/** This computer's clock is plausible, and the device's agrees with it. */
export function checkClock(
  o: Pick<DoctorObservations, "hostNow" | "deviceClock">,
  reader: ReportReader = JSON_READER,
): CheckResult {
  const say = (level: CheckLevel, key: string, values?: Values, fix?: string): CheckResult =>
    result(reader, "clock", level, `clock.${key}`, values, fix);
  const host = timeFor(reader, o.hostNow);
  if (o.hostNow < SANE_CLOCK_AFTER_MS) return say("fail", "reset", { host }, "clock.reset.fix");
  if (o.deviceClock === undefined) return say("ok", "host", { host });
  if (!o.deviceClock.valid) return say("fail", "invalid", undefined, "clock.invalid.fix");
  const delta = o.deviceClock.now - o.hostNow;
  const skew = formatSkew(delta, reader.lang);
  return Math.abs(delta) > CLOCK_SKEW_WARN_MS
    ? say("warn", "skewed", { skew }, "clock.skewed.fix")
    : say("ok", "ok", { skew, host });
}

/** Free space where the store lives. */
export function checkDisk(disk: DoctorObservations["disk"], reader: ReportReader = JSON_READER): CheckResult {
  if (disk.freeBytes === undefined) {
    return result(reader, "disk", "fail", "disk.unreadable", { path: disk.path, error: disk.error ?? "?" });
  }
  const level: CheckLevel =
    disk.freeBytes < DISK_FAIL_BYTES ? "fail" : disk.freeBytes < DISK_WARN_BYTES ? "warn" : "ok";
  const values = { gib: formatDecimal(disk.freeBytes / 1024 ** 3, 2, reader.lang), path: disk.path };
  return result(reader, "disk", level, "disk.free", values, level === "ok" ? undefined : "disk.free.fix");
}

/** The store opens, passes quick_check and has a schema this version understands. */
export function checkDatabase(
  db: DoctorObservations["database"],
  reader: ReportReader = JSON_READER,
): CheckResult {
  const say = (level: CheckLevel, key: string, values?: Values, fix?: string): CheckResult =>
    result(reader, "database", level, `database.${key}`, values, fix);
  const { path } = db;
  if (!db.exists) return say("warn", "missing", { path }, "database.missing.fix");
  if (db.error !== undefined) {
    return say("fail", "unopenable", { path, error: db.error }, "database.unopenable.fix");
  }
  if (db.quickCheck !== "ok") {
    const answer = db.quickCheck ?? t(reader.lang, "cli.doctor.database.no_answer");
    return say("fail", "corrupt", { path, result: answer }, "database.corrupt.fix");
  }
  const version = String(db.schemaVersion ?? 0);
  const expected = String(db.expectedVersion);
  const v = db.schemaVersion ?? 0;
  if (v > db.expectedVersion) return say("fail", "newer", { version, expected }, "database.newer.fix");
  if (v < db.expectedVersion) return say("warn", "older", { version, expected }, "database.older.fix");
  return say("ok", "ok", { path, version });
}

/** The daemon's liveness endpoint. Not running is a warning: installation tasks need it stopped. */
export function checkDaemon(
  daemon: DoctorObservations["daemon"],
  reader: ReportReader = JSON_READER,
): CheckResult {
  const { url } = daemon;
  if (daemon.version !== undefined) {
    return result(reader, "daemon", "ok", "daemon.ok", { version: daemon.version, url });
  }
  return daemon.error
    ? result(reader, "daemon", "warn", "daemon.none_error", { url, error: daemon.error }, "fix.start_daemon")
    : result(reader, "daemon", "warn", "daemon.none", { url }, "fix.start_daemon");
}

/** Whether the Stalela Cloud answers at all (any HTTP status counts: it is reachability). */
export function checkCloud(
  cloud: DoctorObservations["cloud"],
  reader: ReportReader = JSON_READER,
): CheckResult {
  const { url } = cloud;
  if (url === null) return result(reader, "cloud", "ok", "cloud.skipped");
  if (cloud.status !== undefined) {
    return result(reader, "cloud", "ok", "cloud.ok", { url, status: String(cloud.status) });
  }
  return cloud.error
    ? result(
        reader,
        "cloud",
        "fail",
        "cloud.unreachable_error",
        { url, error: cloud.error },
        "cloud.unreachable.fix",
      )
    : result(reader, "cloud", "fail", "cloud.unreachable", { url }, "cloud.unreachable.fix");
}

/** Every check, in the order a technician fixes things, written for `reader`. */
export function doctorReport(o: DoctorObservations, reader: ReportReader = JSON_READER): CheckResult[] {
  return [
    checkDevice(o.device, reader),
    checkUdev(o.udevRule, reader),
    checkClock(o, reader),
    checkDisk(o.disk, reader),
    checkDatabase(o.database, reader),
    checkDaemon(o.daemon, reader),
    checkCloud(o.cloud, reader),
  ];
}

/** 0 nothing fails, 3 the device check fails, 4 only cloud checks fail, 1 anything else fails. */
export function doctorExitCode(checks: readonly CheckResult[]): number {
  const failed = checks.filter((c) => c.level === "fail");
  if (failed.length === 0) return 0;
  if (failed.some((c) => c.area === "device")) return 3;
  return failed.every((c) => c.area === "cloud") ? 4 : 1;
}
