/**
 * bench/emulator: the bare device operation, PREPARE + COMMIT executed in-process on the emulated
 * DEF's firmware with its SQLite fiscal memory (WAL, synchronous=FULL), no link and no framing. This
 * is the baseline that end-to-end latency through the daemon is compared against.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveDeviceConfig } from "../emulator/config.js";
import { DEV_CLOUD_ROOT_SEED } from "../emulator/dev-keys.js";
import { FiscalDevice } from "../emulator/device/fiscal-device.js";
import { type CanonicalInvoiceV2, signActivationBundle } from "../protocol/index.js";
import { benchInvoice } from "./invoices.js";
import { fmt, isMain, msSince, type Percentiles, percentiles } from "./measure.js";

/** Timed PREPARE+COMMIT pairs by default. */
export const EMULATOR_BENCH_OPS = 2_000;
/** Untimed pairs first, so the JIT and SQLite's page cache settle. */
const WARMUP_OPS = 200;

/** What bench/emulator measures. */
export interface EmulatorBench {
  /** Timed PREPARE+COMMIT pairs. */
  readonly ops: number;
  /** PREPARE+COMMIT pairs per second. */
  readonly opsPerSecond: number;
  /** Latency of one PREPARE+COMMIT pair, ms. */
  readonly pair: Percentiles;
  /** Latency of PREPARE alone, ms. */
  readonly prepare: Percentiles;
  /** Latency of COMMIT alone (sign + one synchronous transaction), ms. */
  readonly commit: Percentiles;
}

function invoice(i: number): CanonicalInvoiceV2 {
  return benchInvoice("BENCH", i);
}

/** Runs the benchmark in a temporary state directory, which it removes afterwards. */
export async function runEmulatorBench(ops = EMULATOR_BENCH_OPS): Promise<EmulatorBench> {
  const stateDir = mkdtempSync(join(tmpdir(), "stalela-bench-emu-"));
  const device = new FiscalDevice(stateDir, resolveDeviceConfig({ journalCapacity: 10_000_000 }));
  try {
    device.start();
    const bundle = signActivationBundle(
      {
        kind: "ACTIVATION_BUNDLE",
        v: 1,
        bundle_id: "BENCH",
        device_id: device.deviceId,
        merchant_nif: "A1234567B",
        outlet_id: "OUTLET-1",
        fiscal_authority_id: "DGI-KIN-01",
        issued_at: Date.now(),
      },
      DEV_CLOUD_ROOT_SEED,
    );
    device.execute("ACTIVATE", { bundle });
    // Invoices are the host's work: built before the clock starts.
    const invoices = Array.from({ length: WARMUP_OPS + ops }, (_, i) => invoice(i));
    const pair: number[] = [];
    const prepare: number[] = [];
    const commit: number[] = [];
    let timedStart = process.hrtime.bigint();
    for (const [i, inv] of invoices.entries()) {
      if (i === WARMUP_OPS) timedStart = process.hrtime.bigint();
      const t0 = process.hrtime.bigint();
      const p = device.execute("PREPARE", { invoice: inv as never });
      const t1 = process.hrtime.bigint();
      device.execute("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
      if (i < WARMUP_OPS) continue;
      pair.push(msSince(t0));
      prepare.push(Number(t1 - t0) / 1e6);
      commit.push(msSince(t1));
    }
    const seconds = msSince(timedStart) / 1000;
    return {
      ops,
      opsPerSecond: ops / seconds,
      pair: percentiles(pair),
      prepare: percentiles(prepare),
      commit: percentiles(commit),
    };
  } finally {
    device.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The result as lines of text. */
export function formatEmulatorBench(b: EmulatorBench): string {
  const row = (name: string, p: Percentiles) =>
    `  ${name.padEnd(16)} p50 ${fmt(p.p50, 3)} ms   p99 ${fmt(p.p99, 3)} ms   mean ${fmt(p.mean, 3)} ms`;
  return [
    `emulator: bare device operation, ${fmt(b.ops)} PREPARE+COMMIT pairs (SQLite WAL, synchronous=FULL)`,
    `  throughput       ${fmt(b.opsPerSecond)} pairs/s`,
    row("PREPARE+COMMIT", b.pair),
    row("PREPARE", b.prepare),
    row("COMMIT", b.commit),
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const ops = Number(process.argv[2] ?? EMULATOR_BENCH_OPS);
  process.stdout.write(`${formatEmulatorBench(await runEmulatorBench(ops))}\n`);
}
