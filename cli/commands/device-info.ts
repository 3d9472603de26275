/**
 * `stalela device info | status | time [--set ISO|now] | self-test`: installation checks that talk to
 * the DEF directly (stop the daemon first: it holds the port). Readable lines by default, `--json` for
 * scripts; every device refusal exits 3.
 */
import type { Command } from "commander";
import { CLOCK_SKEW_WARN_MS } from "../../daemon/config.js";
import type { FiscalDevice } from "../../daemon/device/index.js";
import { FiscalError, type ResultOf, toHex } from "../../protocol/index.js";
import { formatSkew } from "../doctor/report.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import { type DeviceFlags, withDevice, withDeviceOptions } from "./device-connect.js";

type Flags = DeviceFlags & OutputOptions;

/** The device clock against this computer's: skew > 0 means the device is ahead. */
export interface ClockReading {
  readonly device_time: string;
  readonly host_time: string;
  readonly skew_ms: number;
  readonly offset_ms: number;
  readonly valid: boolean;
}

/** Turns byte arrays into hex so a protocol result prints as JSON. */
export function jsonSafe(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

/** Reads the device clock, judging skew against the midpoint of the round trip. */
export async function readClock(device: FiscalDevice): Promise<ClockReading> {
  const before = Date.now();
  const clock = await device.timeGet();
  return clockReading(clock, Math.round((before + Date.now()) / 2));
}

function clockReading(clock: ResultOf<"TIME_GET">, hostNow: number): ClockReading {
  return {
    device_time: new Date(clock.now).toISOString(),
    host_time: new Date(hostNow).toISOString(),
    skew_ms: clock.now - hostNow,
    offset_ms: clock.offset_ms,
    valid: clock.valid,
  };
}

function clockLines(clock: ClockReading): string[] {
  const lines = [
    `  device time  ${clock.device_time}${clock.valid ? "" : "  (INVALID: earlier than the last record)"}`,
    `  this PC      ${clock.host_time}`,
    `  skew         ${formatSkew(clock.skew_ms)} (device minus this PC)`,
  ];
  if (Math.abs(clock.skew_ms) > CLOCK_SKEW_WARN_MS) {
    lines.push(
      "  WARNING: the clocks differ by more than 5 min: check this PC's time (timedatectl), " +
        "then `stalela device time --set now` (at most 15 min per step once activated)",
    );
  }
  return lines;
}

/** Parses `--set`: `now` or an ISO-8601 time with a zone. */
export function parseSetTime(text: string, now: number = Date.now()): number {
  if (text === "now") return now;
  const ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new FiscalError("FIELD_TYPE", `--set must be "now" or an ISO time with a zone, got ${text}`);
  }
  return ms;
}

async function info(flags: Flags): Promise<void> {
  const result = await withDevice(flags, (d) => d.info());
  printResult(flags, jsonSafe(result), () => [
    `device ${result.device_id}  (${result.model}, firmware ${result.firmware}, protocol ${result.protocol})`,
    `  state        ${result.state}`,
    result.identity === null
      ? "  identity     none: activate with `stalela device activate --code CODE` (or --bundle FILE)"
      : `  identity     merchant ${result.identity.merchant_nif}, outlet ${result.identity.outlet_id}, authority ${result.identity.fiscal_authority_id}`,
    `  public key   ${toHex(result.public_key)}`,
    `  tax table    ${result.tax_table}`,
    `  limits       journal ${result.limits.journal_capacity} records, ${result.limits.max_pending} pending, ` +
      `nonce TTL ${result.limits.nonce_ttl_ms} ms, payload ${result.limits.max_payload} bytes`,
  ]);
}

async function status(flags: Flags): Promise<void> {
  const { status: result, clock } = await withDevice(flags, async (d) => {
    const before = Date.now();
    const s = await d.status();
    return { status: s, clock: clockReading(s.clock, Math.round((before + Date.now()) / 2)) };
  });
  const percent = result.journal_capacity === 0 ? 100 : (100 * result.journal_used) / result.journal_capacity;
  printResult(flags, { ...(jsonSafe(result) as object), clock_check: clock }, () => [
    `state        ${result.state}${result.lock_reason === null ? "" : ` (locked: ${result.lock_reason})`}`,
    `last number  ${result.last_fiscal_number}  ${Object.entries(result.type_counters)
      .map(([t, n]) => `${t} ${n}`)
      .join(", ")}`,
    `journal      ${result.journal_used} / ${result.journal_capacity} records (${percent.toFixed(1)} %)`,
    `pending      ${result.pending} prepared, not committed`,
    "clock",
    ...clockLines(clock),
    result.warnings.length === 0 ? "warnings     none" : `warnings     ${result.warnings.join(", ")}`,
  ]);
}

async function time(flags: Flags & { readonly set?: string }): Promise<void> {
  const target = flags.set === undefined ? undefined : parseSetTime(flags.set);
  const clock = await withDevice(flags, async (d) => {
    if (target !== undefined) {
      // "now" is taken again just before sending, so the connect delay is not set as skew.
      await d.timeSet(flags.set === "now" ? Date.now() : target);
    }
    return readClock(d);
  });
  printResult(flags, { set: target !== undefined, ...clock }, () => [
    target === undefined ? "device clock" : "device clock set",
    ...clockLines(clock),
  ]);
}

async function selfTest(flags: Flags): Promise<void> {
  const result = await withDevice(flags, (d) => d.selfTest());
  printResult(flags, result, () => [
    `self-test ${result.passed ? "PASSED" : "FAILED"}`,
    ...result.checks.map(
      (c) => `  ${c.passed ? "ok  " : "FAIL"}  ${c.name}${c.detail ? `: ${c.detail}` : ""}`,
    ),
    ...(result.passed
      ? []
      : ["the device locks itself until a self-test passes: call support with this output"]),
  ]);
  if (!result.passed) process.exitCode = EXIT.DEVICE;
}

/** Registers `info`, `status`, `time` and `self-test` under the `device` group. */
export function registerDeviceInfoCommands(device: Command): void {
  const exits = "\nExit codes: 0 ok, 2 bad arguments, 3 device error or refusal, 1 other failure.";
  withDeviceOptions(device.command("info").description("identity, keys, state and limits of the device"))
    .addHelpText("after", exits)
    .action((flags: Flags) => runAction(flags, () => info(flags)));
  withDeviceOptions(
    device.command("status").description("state, counters, journal use, clock skew and warnings"),
  )
    .addHelpText("after", exits)
    .action((flags: Flags) => runAction(flags, () => status(flags)));
  withDeviceOptions(
    device
      .command("time")
      .description("show the device clock against this computer's, or set it")
      .option("--set <time>", "set the device clock: `now` (this computer's time) or an ISO time"),
  )
    .addHelpText("after", `${exits} A refused --set (over 15 min once activated) exits 3.`)
    .action((flags: Flags & { set?: string }) => runAction(flags, () => time(flags)));
  withDeviceOptions(
    device
      .command("self-test")
      .description("run the device self-test (keys, journal chain, counters, storage, clock)"),
  )
    .addHelpText("after", `${exits} A failed self-test exits 3.`)
    .action((flags: Flags) => runAction(flags, () => selfTest(flags)));
}
