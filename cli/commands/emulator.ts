/**
 * `stalela emulator`: runs the software DEF on a virtual serial port (and/or TCP), with its faults
 * switchable from flags at start and over the control channel at run time (docs/EMULATOR.md).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { CONFIG_BOUNDS, JOURNAL_CAPACITY, MAX_PENDING, NONCE_TTL_MS } from "../../emulator/config.js";
import { type FaultPatch, parseFaultPatch } from "../../emulator/faults.js";
import type { LogLevel } from "../../emulator/log.js";
import { SEED_LIMIT } from "../../emulator/prng.js";
import {
  type BindAddress,
  DEFAULT_LINK_PATH,
  DEFAULT_STATE_DIR,
  runEmulatorProcess,
} from "../../emulator/process.js";
import { fromHex } from "../../protocol/index.js";
import { helpKey } from "../help.js";

function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^-?\d+$/.test(text)) throw new InvalidArgumentError("not an integer");
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be from ${min} to ${max}`);
    }
    return value;
  };
}

function rate(text: string): number {
  if (!/^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(text))
    throw new InvalidArgumentError("must be a number from 0 to 1");
  return Number(text);
}

function bindAddress(text: string): BindAddress {
  const colon = text.lastIndexOf(":");
  const host = colon > 0 ? text.slice(0, colon).replace(/^\[|\]$/g, "") : "";
  const port = colon > 0 ? text.slice(colon + 1) : "";
  if (host === "" || !/^\d{1,5}$/.test(port) || Number(port) > 65_535) {
    throw new InvalidArgumentError("must be HOST:PORT (port 0 picks a free one)");
  }
  return { host, port: Number(port) };
}

function publicKeyHex(text: string): Uint8Array {
  try {
    const key = fromHex(text);
    if (key.length === 32) return key;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError("must be a 32-byte Ed25519 public key in hex (64 characters)");
}

/** Fault flags: flag name, fault setting, parser, help key (its text says "fault: …"). */
const FAULT_FLAGS: readonly (readonly [string, keyof FaultPatch, (text: string) => number, string])[] = [
  ["--drop-rate <r>", "drop_rate", rate, "help.emulator.drop-rate"],
  ["--drop-next <n>", "drop_next", integer(0, 1_000_000), "help.emulator.drop-next"],
  ["--drop-commit-rate <r>", "drop_commit_rate", rate, "help.emulator.drop-commit-rate"],
  ["--drop-commit-next <n>", "drop_commit_next", integer(0, 1_000_000), "help.emulator.drop-commit-next"],
  ["--delay-ms <ms>", "delay_ms", integer(0, 60_000), "help.emulator.delay-ms"],
  ["--corrupt-tx-rate <r>", "corrupt_tx_rate", rate, "help.emulator.corrupt-tx-rate"],
  ["--corrupt-rx-rate <r>", "corrupt_rx_rate", rate, "help.emulator.corrupt-rx-rate"],
  ["--disconnect-commit-rate <r>", "disconnect_commit_rate", rate, "help.emulator.disconnect-commit-rate"],
  [
    "--disconnect-commit-next <n>",
    "disconnect_commit_next",
    integer(0, 1_000_000),
    "help.emulator.disconnect-commit-next",
  ],
  ["--busy-rate <r>", "busy_rate", rate, "help.emulator.busy-rate"],
  ["--busy-next <n>", "busy_next", integer(0, 1_000_000), "help.emulator.busy-next"],
  [
    "--clock-skew-ms <ms>",
    "clock_skew_ms",
    integer(-316_224_000_000, 316_224_000_000),
    "help.emulator.clock-skew-ms",
  ],
  [
    "--journal-capacity-fault <n>",
    "journal_capacity",
    integer(0, 100_000_000),
    "help.emulator.journal-capacity-fault",
  ],
];

interface EmulatorFlags {
  state: string;
  link: string | boolean | undefined;
  tcp?: BindAddress;
  control?: BindAddress;
  nonceTtlMs?: number;
  maxPending?: number;
  journalCapacity?: number;
  maxTimeAdjustMs?: number;
  cloudRootKey?: Uint8Array;
  faultSeed?: number;
  fillJournal?: boolean;
  logLevel: LogLevel;
  [flag: string]: unknown;
}

function camel(setting: string): string {
  return setting.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Registers `stalela emulator` on `program`. */
export function registerEmulatorCommand(program: Command): void {
  const b = CONFIG_BOUNDS;
  const command = program
    .command("emulator")
    .description("help.emulator")
    .option("--state <dir>", "help.emulator.state", DEFAULT_STATE_DIR)
    .option("--link <path>", helpKey("help.emulator.link", { path: DEFAULT_LINK_PATH }))
    .option("--no-link", "help.emulator.no-link")
    .option("--tcp <host:port>", "help.emulator.tcp", bindAddress)
    .option("--control <host:port>", "help.emulator.control", bindAddress)
    .option(
      "--nonce-ttl-ms <ms>",
      helpKey("help.emulator.nonce-ttl-ms", { ms: String(NONCE_TTL_MS) }),
      integer(...b.nonceTtlMs),
    )
    .option(
      "--max-pending <n>",
      helpKey("help.emulator.max-pending", { count: String(MAX_PENDING) }),
      integer(...b.maxPending),
    )
    .option(
      "--journal-capacity <n>",
      helpKey("help.emulator.journal-capacity", { count: String(JOURNAL_CAPACITY) }),
      integer(...b.journalCapacity),
    )
    .option("--max-time-adjust-ms <ms>", "help.emulator.max-time-adjust-ms", integer(...b.maxTimeAdjustMs))
    .option("--cloud-root-key <hex>", "help.emulator.cloud-root-key", publicKeyHex)
    .option("--fault-seed <n>", "help.emulator.fault-seed", integer(0, SEED_LIMIT - 1))
    .option("--fill-journal", "help.emulator.fill-journal")
    .addOption(
      new Option("--log-level <level>", "help.emulator.log-level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    );
  for (const [flag, , parse, help] of FAULT_FLAGS) command.option(flag, help, parse);
  command.action(async (flags: EmulatorFlags) => {
    const patch: Record<string, unknown> = {};
    for (const [flag, setting] of FAULT_FLAGS) {
      const value = flags[camel(flag.split(" ")[0]!.slice(2).replace(/-/g, "_"))];
      if (value !== undefined) patch[setting] = value;
    }
    if (flags.fillJournal === true) patch.fill_journal = true;
    const linkPath =
      flags.link === false
        ? null
        : typeof flags.link === "string"
          ? flags.link
          : flags.tcp
            ? null
            : DEFAULT_LINK_PATH;
    await runEmulatorProcess({
      stateDir: flags.state,
      linkPath,
      tcp: flags.tcp ?? null,
      control: flags.control ?? null,
      device: {
        nonceTtlMs: flags.nonceTtlMs,
        maxPending: flags.maxPending,
        journalCapacity: flags.journalCapacity,
        maxTimeAdjustMs: flags.maxTimeAdjustMs,
        cloudRootKey: flags.cloudRootKey,
      },
      faults: parseFaultPatch(patch),
      faultSeed: flags.faultSeed,
      logLevel: flags.logLevel,
    });
  });
}
