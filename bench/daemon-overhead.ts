/**
 * bench/daemon-overhead: what the daemon adds to the device link (issue 19), both sides measured in
 * one run against ONE `stalela emulator` process on a real PTY:
 *   1. the link: this process drives the DEF through the daemon's own device layer (FiscalDevice →
 *      DeviceSession → serialport → PTY), PREPARE+COMMIT pairs one at a time (p50), then 32 callers;
 *   2. end to end: the `stalela daemon` process opens the same PTY, and this process POSTs sales over
 *      HTTP, one at a time (p50), then 32 clients; around that batch the daemon's CPU time is read
 *      from its /metrics (process.cpuUsage of the daemon: every thread), giving µs per sealed invoice.
 * The sale is the same in both (bench/system.ts `sale`), so the only difference is the daemon.
 * Targets: e2e p50 ≤ link p50 + 1.0 ms; e2e throughput with 32 clients ≥ 85 % of the link's with 32.
 * `--profile DIR` also writes the daemon's CPU profile there (node --cpu-prof, its whole run; bench/profile.ts
 * summarises it).
 *
 *   npm run build && node dist/bench/daemon-overhead.js [--profile DIR]
 */

import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createFiscalDevice, type FiscalDevice } from "../daemon/device/index.js";
import { canonicaliseInvoiceV2 } from "../protocol/index.js";
import { BENCH_CONTEXT } from "./invoices.js";
import { fmt, isMain, metricValue, msSince, type Percentiles, percentiles } from "./measure.js";
import { System, sale } from "./system.js";

/** Pairs (link) and requests (e2e) timed one at a time, after WARMUP untimed ones. */
export const SEQUENTIAL = 1_000;
const WARMUP = 100;
/** Pairs (link) and requests (e2e) of the concurrent batch. */
export const BATCH = 2_000;
/** Concurrent callers (link) and clients (e2e) of the batch. */
export const CONCURRENT = 32;
/** Targets (issue 19). */
export const ADDED_P50_TARGET_MS = 1.0;
export const THROUGHPUT_TARGET = 0.85;

/** What the bench measures. */
export interface DaemonOverheadBench {
  readonly link: { readonly pair: Percentiles; readonly perSecond: number; readonly cpu: CpuSplit };
  readonly e2e: { readonly latency: Percentiles; readonly perSecond: number; readonly cpu: CpuSplit };
  /** e2e p50 − link p50, ms. */
  readonly addedP50Ms: number;
  /** e2e throughput ÷ link throughput, with CONCURRENT each. */
  readonly throughputRatio: number;
  /** The daemon's CPU time per invoice sealed in the concurrent batch, µs (user + system). */
  readonly cpuMicrosPerInvoice: number;
  readonly cpuUserMicrosPerInvoice: number;
  /** Seals per fsync in the concurrent batch (store_durable_writes ÷ store_fsyncs). */
  readonly sealsPerFsync: number;
}

/** CPU time of the processes in a batch, µs per operation: where the machine's cores went. */
export interface CpuSplit {
  /** This process: the FiscalDevice (link) or the HTTP clients (e2e). */
  readonly bench: number;
  readonly emulator: number;
  /** The daemon's, from its /metrics (e2e only; 0 for the link). */
  readonly daemon: number;
  /** Cores busy on average during the batch: the sum of the three × the rate. */
  readonly cores: number;
}

/** User + system CPU of another process so far, µs (/proc/PID/stat, in clock ticks of 10 ms). */
function processCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The CPU this process and the emulator used per operation over `batch`, and the daemon's it reports. */
async function withCpu(
  emulatorPid: number,
  n: number,
  batch: () => Promise<{ perSecond: number; daemonMicros: number }>,
): Promise<{ perSecond: number; cpu: CpuSplit }> {
  const bench0 = process.cpuUsage();
  const emulator0 = processCpuMicros(emulatorPid);
  const { perSecond, daemonMicros } = await batch();
  const used = process.cpuUsage(bench0);
  const bench = (used.user + used.system) / n;
  const emulator = (processCpuMicros(emulatorPid) - emulator0) / n;
  const daemon = daemonMicros / n;
  return {
    perSecond,
    cpu: { bench, emulator, daemon, cores: ((bench + emulator + daemon) * perSecond) / 1e6 },
  };
}

/** Runs `work(i)` for i in [0, n) with `concurrency` workers; returns the rate per second. */
async function rate(n: number, concurrency: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await work(next++);
    }),
  );
  return n / (msSince(t0) / 1000);
}

async function measureLink(linkPath: string, emulatorPid: number): Promise<DaemonOverheadBench["link"]> {
  const device: FiscalDevice = createFiscalDevice(`serial:${linkPath}`);
  await device.open();
  try {
    await device.session.waitConnected(5_000);
    const pair = async (tag: string, i: number): Promise<void> => {
      const invoice = canonicaliseInvoiceV2({ ...sale(1_000 + i), client_ref: `${tag}-${i}` }, BENCH_CONTEXT);
      const prepared = await device.prepare(invoice);
      await device.commit(prepared.nonce, prepared.payload_hash);
    };
    const samples: number[] = [];
    for (let i = 0; i < WARMUP + SEQUENTIAL; i++) {
      const t0 = process.hrtime.bigint();
      await pair("LINK-SEQ", i);
      if (i >= WARMUP) samples.push(msSince(t0));
    }
    const batch = await withCpu(emulatorPid, BATCH, async () => ({
      perSecond: await rate(BATCH, CONCURRENT, (i) => pair("LINK-CONC", i)),
      daemonMicros: 0,
    }));
    return { pair: percentiles(samples), ...batch };
  } finally {
    await device.close();
  }
}

/** A metric of a /metrics page; NaN when absent (an older build measured for comparison), printed as such. */
function metric(page: string, name: string, label?: string): number {
  return metricValue(page, name, label === undefined ? {} : { name: label }) ?? Number.NaN;
}

async function measureE2e(
  sys: System,
): Promise<Omit<DaemonOverheadBench, "link" | "addedP50Ms" | "throughputRatio">> {
  const post = async (tag: string, i: number): Promise<void> => {
    const reply = await sys.api("POST", "/v1/invoices", sale(1_000 + i), {
      "idempotency-key": `${tag}-${i}`,
    });
    if (reply.status !== 201)
      throw new Error(`bench sale failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  };
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + SEQUENTIAL; i++) {
    const t0 = process.hrtime.bigint();
    await post("E2E-SEQ", i);
    if (i >= WARMUP) samples.push(msSince(t0));
  }
  let before = "";
  let after = "";
  const cpuOf = (page: string): number =>
    metric(page, "process_cpu_user_seconds_total") + metric(page, "process_cpu_system_seconds_total");
  const batch = await withCpu(sys.emulator.child.pid!, BATCH, async () => {
    before = (await sys.api("GET", "/metrics")).body as string;
    const perSecond = await rate(BATCH, CONCURRENT, (i) => post("E2E-CONC", i));
    after = (await sys.api("GET", "/metrics")).body as string;
    return { perSecond, daemonMicros: (cpuOf(after) - cpuOf(before)) * 1e6 };
  });
  const delta = (name: string, label?: string): number =>
    metric(after, name, label) - metric(before, name, label);
  const user = delta("process_cpu_user_seconds_total");
  const system = delta("process_cpu_system_seconds_total");
  const writes = delta("stalela_service_counter", "store_durable_writes");
  const syncs = delta("stalela_service_counter", "store_fsyncs");
  return {
    e2e: { latency: percentiles(samples), ...batch },
    cpuMicrosPerInvoice: ((user + system) * 1e6) / BATCH,
    cpuUserMicrosPerInvoice: (user * 1e6) / BATCH,
    sealsPerFsync: writes / syncs,
  };
}

/** Runs both sides; starts and stops its own processes. */
export async function runDaemonOverheadBench(profileDir?: string): Promise<DaemonOverheadBench> {
  const sys = new System();
  try {
    await sys.startEmulator(["--journal-capacity", "10000000", "--max-pending", "64"]);
    await sys.activate();
    const link = await measureLink(sys.linkPath, sys.emulator.child.pid!);
    await sys.startDaemon({}, profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir]);
    sys.key = await sys.createKey("CASHIER-BENCH");
    const e2e = await measureE2e(sys);
    return {
      link,
      ...e2e,
      addedP50Ms: e2e.e2e.latency.p50 - link.pair.p50,
      throughputRatio: e2e.e2e.perSecond / link.perSecond,
    };
  } finally {
    await sys.stop();
  }
}

const meets = (ok: boolean): string => (ok ? "met" : "**missed**");
const cpuRow = (c: CpuSplit): string => `${fmt(c.bench)} · ${fmt(c.emulator)} · ${fmt(c.daemon)} µs`;

/** The result as a Markdown table, every target beside its figure. */
export function formatDaemonOverheadBench(b: DaemonOverheadBench): string {
  return [
    "| measure | link (PTY) | end to end (HTTP → sealed) | daemon's share | target | |",
    "| --- | --- | --- | --- | --- | --- |",
    `| p50, one at a time | ${fmt(b.link.pair.p50, 2)} ms | ${fmt(b.e2e.latency.p50, 2)} ms | +${fmt(b.addedP50Ms, 2)} ms | ≤ +${fmt(ADDED_P50_TARGET_MS, 1)} ms | ${meets(b.addedP50Ms <= ADDED_P50_TARGET_MS)} |`,
    `| p99, one at a time | ${fmt(b.link.pair.p99, 2)} ms | ${fmt(b.e2e.latency.p99, 2)} ms | | | |`,
    `| throughput, ${CONCURRENT} at once | ${fmt(b.link.perSecond)}/s | ${fmt(b.e2e.perSecond)}/s | ${fmt(b.throughputRatio * 100)} % of the link | ≥ ${fmt(THROUGHPUT_TARGET * 100)} % | ${meets(b.throughputRatio >= THROUGHPUT_TARGET)} |`,
    `| daemon CPU per sealed invoice (${fmt(BATCH)} at ${CONCURRENT} at once) | | ${fmt(b.cpuMicrosPerInvoice)} µs (user ${fmt(b.cpuUserMicrosPerInvoice)} µs) | | | |`,
    `| seals per fsync (group commit) | | ${fmt(b.sealsPerFsync, 2)} | | | |`,
    `| CPU per operation in the batch: bench process · emulator · daemon | ${cpuRow(b.link.cpu)} | ${cpuRow(b.e2e.cpu)} | | | |`,
    `| cores busy during the batch (of ${availableParallelism()}) | ${fmt(b.link.cpu.cores, 2)} | ${fmt(b.e2e.cpu.cores, 2)} | | | |`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const i = process.argv.indexOf("--profile");
  const result = await runDaemonOverheadBench(i >= 0 ? process.argv[i + 1] : undefined);
  console.log(formatDaemonOverheadBench(result));
}
