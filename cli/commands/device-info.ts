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
import { FiscalError } from "../../protocol/index.js";
import { formatSkew } from "../doctor/report.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import {
  type DeviceFlags,
  type DeviceRoute,
  viaDaemonOrDevice,
  withDeviceOptions,
} from "./device-connect.js";

type Flags = DeviceFlags & OutputOptions;

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

function viaLine(via: DeviceRoute): string {
  return `  via          the ${via}${via === "daemon" ? " (its admin.sock; it holds the port)" : ""}`;
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
  const { result, via } = await viaDaemonOrDevice(flags, {
    daemon: (admin) => admin.deviceInfo(),
    device: (d) => infoReport(d),
  });
  printResult(flags, { ...result, via }, () => [
    `device ${result.device_id}  (${result.model}, firmware ${result.firmware}, protocol ${result.protocol})`,
    `  state        ${result.state}`,
    result.identity === null
      ? "  identity     none: activate with `stalela device activate --code CODE` (or --bundle FILE)"
      : `  identity     merchant ${result.identity.merchant_nif}, outlet ${result.identity.outlet_id}, authority ${result.identity.fiscal_authority_id}`,
    `  public key   ${result.public_key}`,
    `  tax table    ${result.tax_table}`,
    `  limits       journal ${result.limits.journal_capacity} records, ${result.limits.max_pending} pending, ` +
      `nonce TTL ${result.limits.nonce_ttl_ms} ms, payload ${result.limits.max_payload} bytes`,
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
    `state        ${result.state}${result.lock_reason === null ? "" : ` (locked: ${result.lock_reason})`}`,
    `last number  ${result.last_fiscal_number}  ${Object.entries(result.type_counters)
      .map(([t, n]) => `${t} ${n}`)
      .join(", ")}`,
    `journal      ${result.journal_used} / ${result.journal_capacity} records (${percent.toFixed(1)} %)`,
    `pending      ${result.pending} prepared, not committed`,
    "clock",
    ...clockLines(result.clock_check),
    result.warnings.length === 0 ? "warnings     none" : `warnings     ${result.warnings.join(", ")}`,
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
    result.set ? "device clock set" : "device clock",
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
    `self-test ${result.passed ? "PASSED" : "FAILED"}`,
    ...result.checks.map(
      (c) => `  ${c.passed ? "ok  " : "FAIL"}  ${c.name}${c.detail ? `: ${c.detail}` : ""}`,
    ),
    ...(result.passed
      ? []
      : ["the device locks itself until a self-test passes: call support with this output"]),
    viaLine(via),
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
