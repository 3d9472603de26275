/**
 * `stalela emulator`: runs the software DEF on a virtual serial port (and/or TCP), with its faults
 * switchable from flags at start and over the control channel at run time (docs/EMULATOR.md).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { CONFIG_BOUNDS } from "../../emulator/config.js";
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

/** Fault flags: flag name, fault setting, parser. */
const FAULT_FLAGS: readonly (readonly [string, keyof FaultPatch, (text: string) => number, string])[] = [
  ["--drop-rate <r>", "drop_rate", rate, "probability of losing any reply"],
  ["--drop-next <n>", "drop_next", integer(0, 1_000_000), "lose the next N replies"],
  ["--drop-commit-rate <r>", "drop_commit_rate", rate, "probability of losing a sealed COMMIT's reply"],
  [
    "--drop-commit-next <n>",
    "drop_commit_next",
    integer(0, 1_000_000),
    "lose the next N sealed COMMIT replies",
  ],
  ["--delay-ms <ms>", "delay_ms", integer(0, 60_000), "hold every reply this long (device stays busy)"],
  [
    "--corrupt-tx-rate <r>",
    "corrupt_tx_rate",
    rate,
    "per-byte probability of a bit flip in what the device sends",
  ],
  [
    "--corrupt-rx-rate <r>",
    "corrupt_rx_rate",
    rate,
    "per-byte probability of a bit flip in what it receives",
  ],
  ["--disconnect-commit-rate <r>", "disconnect_commit_rate", rate, "probability of unplugging after sealing"],
  [
    "--disconnect-commit-next <n>",
    "disconnect_commit_next",
    integer(0, 1_000_000),
    "unplug after the next N",
  ],
  ["--busy-rate <r>", "busy_rate", rate, "probability of answering BUSY"],
  ["--busy-next <n>", "busy_next", integer(0, 1_000_000), "answer BUSY to the next N requests"],
  ["--clock-skew-ms <ms>", "clock_skew_ms", integer(-316_224_000_000, 316_224_000_000), "drift device time"],
  ["--journal-capacity-fault <n>", "journal_capacity", integer(0, 100_000_000), "capacity in force (fault)"],
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
    .description("run the software DEF emulator on a virtual serial port (PTY) and/or TCP")
    .option("--state <dir>", "state directory (fiscal memory)", DEFAULT_STATE_DIR)
    .option("--link <path>", `PTY symlink path (default ${DEFAULT_LINK_PATH} unless --tcp is given)`)
    .option("--no-link", "do not open a PTY")
    .option("--tcp <host:port>", "also listen on TCP (one host at a time)", bindAddress)
    .option("--control <host:port>", "control channel (HTTP JSON), e.g. 127.0.0.1:7301", bindAddress)
    .option("--nonce-ttl-ms <ms>", "PREPARE nonce lifetime (default 120000)", integer(...b.nonceTtlMs))
    .option("--max-pending <n>", "most pending PREPAREs (default 10)", integer(...b.maxPending))
    .option("--journal-capacity <n>", "journal records (default 1000000)", integer(...b.journalCapacity))
    .option("--max-time-adjust-ms <ms>", "largest TIME_SET step once active", integer(...b.maxTimeAdjustMs))
    .option(
      "--cloud-root-key <hex>",
      "Stalela Cloud root public key to trust (default: development key)",
      publicKeyHex,
    )
    .option("--fault-seed <n>", "seed of every random fault decision (printed)", integer(0, SEED_LIMIT - 1))
    .option("--fill-journal", "start with the journal full (capacity = records used)")
    .addOption(
      new Option("--log-level <level>", "stderr log level")
        .choices(["debug", "info", "warn", "error"])
        .default("info"),
    );
  for (const [flag, , parse, help] of FAULT_FLAGS) command.option(flag, `fault: ${help}`, parse);
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
