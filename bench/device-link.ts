/**
 * bench/device-link: PREPARE+COMMIT through the daemon's device link (FiscalDevice → DeviceSession →
 * serialport → PTY → emulator link server → emulated DEF), next to the bare in-process device operation
 * from bench/emulator measured in the same run, as a ratio; then throughput with 1, 8 and 32 concurrent
 * callers sharing the one link. The emulator runs in this process on a real PTY, so both ends share one
 * event loop, as on a busy single-core POS box.
 *
 *   npm run build && node dist/bench/device-link.js [pairs]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFiscalDevice, type FiscalDevice } from "../daemon/device/index.js";
import { DEV_CLOUD_ROOT_SEED } from "../emulator/dev-keys.js";
import { startEmulator } from "../emulator/emulator.js";
import { openPtyLink } from "../emulator/link/pty.js";
import { type CanonicalInvoiceV2, signActivationBundle } from "../protocol/index.js";
import { type EmulatorBench, runEmulatorBench } from "./emulator.js";
import { benchInvoice } from "./invoices.js";
import { fmt, isMain, msSince, type Percentiles, percentiles } from "./measure.js";

/** Timed PREPARE+COMMIT pairs for the latency figures. */
export const LINK_BENCH_PAIRS = 1_000;
/** Untimed pairs first (JIT, SQLite page cache, PTY buffers). */
const WARMUP_PAIRS = 100;
/** Pairs per throughput run, whatever the number of callers. */
const THROUGHPUT_PAIRS = 960;
/** The caller counts throughput is measured with. */
export const CONCURRENCY = [1, 8, 32] as const;

/** What bench/device-link measures. */
export interface DeviceLinkBench {
  /** The bare device operation (bench/emulator), same run. */
  readonly bare: EmulatorBench;
  /** One PREPARE+COMMIT pair over the PTY, ms. */
  readonly pair: Percentiles;
  readonly prepare: Percentiles;
  readonly commit: Percentiles;
  /** Link latency over bare latency, at p50 and p99. */
  readonly ratio: { readonly p50: number; readonly p99: number };
  /** Pairs per second with N concurrent callers. */
  readonly throughput: readonly { readonly callers: number; readonly pairsPerSecond: number }[];
}

function invoice(i: number): CanonicalInvoiceV2 {
  return benchInvoice("LINK", i);
}

async function fiscalise(device: FiscalDevice, inv: CanonicalInvoiceV2): Promise<void> {
  const prepared = await device.prepare(inv);
  await device.commit(prepared.nonce, prepared.payload_hash);
}

/** Runs both measurements in temporary state directories, removed afterwards. */
export async function runDeviceLinkBench(pairs = LINK_BENCH_PAIRS): Promise<DeviceLinkBench> {
  const bare = await runEmulatorBench(pairs);
  const stateDir = await mkdtemp(join(tmpdir(), "stalela-bench-link-"));
  const emulator = await startEmulator({ stateDir, device: { journalCapacity: 10_000_000, maxPending: 64 } });
  const link = await openPtyLink({ path: join(stateDir, "ttyDEF0") });
  emulator.attach(link);
  const device = createFiscalDevice(`serial:${link.path}`);
  try {
    await device.open();
    await device.session.waitConnected(5_000);
    await device.activate(
      signActivationBundle(
        {
          kind: "ACTIVATION_BUNDLE",
          v: 1,
          bundle_id: "BENCH-LINK",
          device_id: emulator.deviceId,
          merchant_nif: "A1234567B",
          outlet_id: "OUTLET-1",
          fiscal_authority_id: "DGI-KIN-01",
          issued_at: Date.now(),
        },
        DEV_CLOUD_ROOT_SEED,
      ),
    );
    let next = 0;
    const invoices = Array.from(
      { length: WARMUP_PAIRS + pairs + CONCURRENCY.length * THROUGHPUT_PAIRS },
      (_, i) => invoice(i),
    );
    const take = (): CanonicalInvoiceV2 => invoices[next++]!;
    const pair: number[] = [];
    const prepare: number[] = [];
    const commit: number[] = [];
    for (let i = 0; i < WARMUP_PAIRS + pairs; i++) {
      const t0 = process.hrtime.bigint();
      const prepared = await device.prepare(take());
      const t1 = process.hrtime.bigint();
      await device.commit(prepared.nonce, prepared.payload_hash);
      if (i < WARMUP_PAIRS) continue;
      pair.push(msSince(t0));
      prepare.push(Number(t1 - t0) / 1e6);
      commit.push(msSince(t1));
    }
    const throughput: { callers: number; pairsPerSecond: number }[] = [];
    for (const callers of CONCURRENCY) {
      const perCaller = THROUGHPUT_PAIRS / callers;
      const start = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: callers }, async () => {
          for (let i = 0; i < perCaller; i++) await fiscalise(device, take());
        }),
      );
      throughput.push({ callers, pairsPerSecond: THROUGHPUT_PAIRS / (msSince(start) / 1000) });
    }
    const linkPair = percentiles(pair);
    return {
      bare,
      pair: linkPair,
      prepare: percentiles(prepare),
      commit: percentiles(commit),
      ratio: { p50: linkPair.p50 / bare.pair.p50, p99: linkPair.p99 / bare.pair.p99 },
      throughput,
    };
  } finally {
    await device.close();
    await emulator.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The result as lines of text. */
export function formatDeviceLinkBench(b: DeviceLinkBench): string {
  const row = (name: string, p: Percentiles) =>
    `  ${name.padEnd(22)} p50 ${fmt(p.p50, 3)} ms   p99 ${fmt(p.p99, 3)} ms   mean ${fmt(p.mean, 3)} ms`;
  return [
    `device-link: ${fmt(b.pair.count)} PREPARE+COMMIT pairs over a PTY vs the bare device operation`,
    row("bare (in-process)", b.bare.pair),
    row("over PTY", b.pair),
    row("  PREPARE", b.prepare),
    row("  COMMIT", b.commit),
    `  ratio link/bare        p50 ${fmt(b.ratio.p50, 1)}x   p99 ${fmt(b.ratio.p99, 1)}x`,
    ...b.throughput.map(
      (t) => `  throughput ${String(t.callers).padStart(2)} caller(s)  ${fmt(t.pairsPerSecond)} pairs/s`,
    ),
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const pairs = Number(process.argv[2] ?? LINK_BENCH_PAIRS);
  process.stdout.write(`${formatDeviceLinkBench(await runDeviceLinkBench(pairs))}\n`);
}
