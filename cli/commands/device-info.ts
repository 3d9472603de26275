/**
 * `stalela device info | status | time [--set ISO|now] | self-test`: installation checks of the DEF.
 * With a daemon answering on the state directory's admin.sock they go through it (it holds the port);
 * otherwise they open the device directly. The JSON is built by the same functions either way
 * (daemon/admin/device-routes.ts), plus `via`. Every device refusal exits 3.
 */
import type { Command } from "commander";
import {
  type ClockReading,
  clockReport,
  infoReport,
  selfTestReport,
  setClock,
  statusReport,
} from "../../daemon/admin/device-routes.js";
import { CLOCK_SKEW_WARN_MS } from "../../daemon/config.js";
import { t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { FiscalError } from "../../protocol/index.js";
import { formatDecimal, formatSkew } from "../doctor/report.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import {
  type DeviceFlags,
  type DeviceRoute,
  viaDaemonOrDevice,
  withDeviceOptions,
} from "./device-connect.js";

type Flags = DeviceFlags & OutputOptions;

type Values = Record<string, string | number>;

/** A line of the device commands' human output, `cli.device.<key>`, in the reader's language. */
function say(key: string, values?: Values): string {
  return t(readerLang(), `cli.device.${key}`, values);
}

/** An ISO 8601 UTC time as both forms a technician compares: the shop's local time, and UTC. */
function bothForms(iso: string): Values {
  return { local: formatLocalTime(Date.parse(iso), readerTimeZone(), readerLang()), utc: iso };
}

function clockLines(clock: ClockReading): string[] {
  const lines = [
    say(clock.valid ? "clock.device" : "clock.device_invalid", bothForms(clock.device_time)),
    say("clock.host", bothForms(clock.host_time)),
    say("clock.skew", { skew: formatSkew(clock.skew_ms, readerLang()) }),
  ];
  if (Math.abs(clock.skew_ms) > CLOCK_SKEW_WARN_MS) lines.push(say("clock.warning"));
  return lines;
}

function viaLine(via: DeviceRoute): string {
  return say("via", { via });
}

/**
 * An ISO 8601 time with its zone, `Z` or an offset (`+01:00`, `+0100`): `YYYY-MM-DDTHH:MM`, seconds
 * and a fraction optional. A time without a zone is not accepted: it would be read in some zone.
 */
const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i;
/** The largest UTC offset in use (Kiribati, UTC+14:00), in hours. */
const MAX_OFFSET_HOURS = 14;

/** The instant of an ISO time with a zone, or undefined when it is not one (or names no real date). */
function instantOf(text: string): number | undefined {
  const m = ISO_WITH_ZONE.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const milliseconds = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds);
  const back = new Date(wall);
  // Date.UTC rolls 30 February over into March: a date that does not come back as written is refused.
  const real =
    back.getUTCFullYear() === year &&
    back.getUTCMonth() === month - 1 &&
    back.getUTCDate() === day &&
    back.getUTCHours() === hour &&
    back.getUTCMinutes() === minute &&
    back.getUTCSeconds() === second;
  if (!real) return undefined;
  if (m[8] !== undefined) return wall;
  const [offsetHours, offsetMinutes] = [Number(m[10]), Number(m[11])];
  if (offsetHours > MAX_OFFSET_HOURS || offsetMinutes > 59) return undefined;
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return m[9] === "+" ? wall - offset : wall + offset;
}

/**
 * Parses `--set`: `now`, or an ISO-8601 time with a zone, `Z` (`2026-12-01T13:05:33Z`) or an offset
 * (`2026-12-01T14:05:33+01:00`, Kinshasa's time as a technician reads it off a clock).
 */
export function parseSetTime(text: string, now: number = Date.now()): number {
  if (text === "now") return now;
  const ms = instantOf(text);
  if (ms === undefined) {
    throw new FiscalError(
      "FIELD_TYPE",
      `--set must be "now" or an ISO time with a zone (Z or an offset such as +01:00), got ${text}`,
    );
  }
  return ms;
}

async function info(flags: Flags): Promise<void> {
  const { result, via } = await viaDaemonOrDevice(flags, {
    daemon: (admin) => admin.deviceInfo(),
    device: (d) => infoReport(d),
  });
  const { identity, limits } = result;
  printResult(flags, { ...result, via }, () => [
    say("info.heading", {
      device: result.device_id,
      model: result.model,
      firmware: result.firmware,
      protocol: String(result.protocol),
    }),
    say("info.state", { state: result.state }),
    identity === null
      ? say("info.identity_none")
      : say("info.identity", {
          nif: identity.merchant_nif,
          outlet: identity.outlet_id,
          authority: identity.fiscal_authority_id,
        }),
    say("info.public_key", { key: result.public_key }),
    say("info.tax_table", { table: result.tax_table }),
    say("info.limits", {
      capacity: String(limits.journal_capacity),
      pending: String(limits.max_pending),
      ttl: String(limits.nonce_ttl_ms),
      payload: String(limits.max_payload),
    }),
    viaLine(via),
  ]);
}

async function status(flags: Flags): Promise<void> {
  const { result, via } = await viaDaemonOrDevice(flags, {
    daemon: (admin) => admin.deviceStatus(),
    device: (d) => statusReport(d),
  });
  const percent = result.journal_capacity === 0 ? 100 : (100 * result.journal_used) / result.journal_capacity;
  printResult(flags, { ...result, via }, () => [
    result.lock_reason === null
      ? say("status.state", { state: result.state })
      : say("status.state_locked", { state: result.state, reason: result.lock_reason }),
    say("status.last_number", {
      number: String(result.last_fiscal_number),
      counters: Object.entries(result.type_counters)
        .map(([type, n]) => `${type} ${n}`)
        .join(", "),
    }),
    say("status.journal", {
      used: String(result.journal_used),
      capacity: String(result.journal_capacity),
      percent: formatDecimal(percent, 1, readerLang()),
    }),
    say("status.pending", { pending: result.pending }),
    say("status.clock"),
    ...clockLines(result.clock_check),
    result.warnings.length === 0
      ? say("status.warnings_none")
      : say("status.warnings", { warnings: result.warnings.join(", ") }),
    viaLine(via).trimStart(),
  ]);
}

async function time(flags: Flags & { readonly set?: string }): Promise<void> {
  // "now" is taken just before sending (by whoever sends), so no connect delay is set as skew.
  const target = flags.set === undefined ? undefined : flags.set === "now" ? "now" : parseSetTime(flags.set);
  const { result, via } = await viaDaemonOrDevice(flags, {
    daemon: (admin) => (target === undefined ? admin.deviceTime() : admin.setDeviceTime(target)),
    device: (d) => (target === undefined ? clockReport(d) : setClock(d, target)),
  });
  printResult(flags, { ...result, via }, () => [
    say(result.set ? "time.heading_set" : "time.heading"),
    ...clockLines(result),
    viaLine(via),
  ]);
}

async function selfTest(flags: Flags): Promise<void> {
  const { result, via } = await viaDaemonOrDevice(flags, {
    daemon: (admin) => admin.deviceSelfTest(),
    device: (d) => selfTestReport(d),
  });
  printResult(flags, { ...result, via }, () => [
    say(result.passed ? "self_test.passed" : "self_test.failed"),
    ...result.checks.map((c) =>
      say(c.passed ? "self_test.check_ok" : "self_test.check_failed", {
        name: c.name,
        detail: c.detail ? `: ${c.detail}` : "",
      }),
    ),
    ...(result.passed ? [] : [say("self_test.locked")]),
    viaLine(via),
  ]);
  if (!result.passed) process.exitCode = EXIT.DEVICE;
}

/** Registers `info`, `status`, `time` and `self-test` under the `device` group. */
export function registerDeviceInfoCommands(device: Command): void {
  withDeviceOptions(device.command("info").description("help.device.info"))
    .addHelpText("after", afterHelp("help.exits.device"))
    .action((flags: Flags) => runAction(flags, () => info(flags)));
  withDeviceOptions(device.command("status").description("help.device.status"))
    .addHelpText("after", afterHelp("help.exits.device"))
    .action((flags: Flags) => runAction(flags, () => status(flags)));
  withDeviceOptions(
    device.command("time").description("help.device.time").option("--set <time>", "help.device.time.set"),
  )
    .addHelpText("after", afterHelp("help.device.time.after"))
    .action((flags: Flags & { set?: string }) => runAction(flags, () => time(flags)));
  withDeviceOptions(device.command("self-test").description("help.device.self-test"))
    .addHelpText("after", afterHelp("help.device.self-test.after"))
    .action((flags: Flags) => runAction(flags, () => selfTest(flags)));
}
