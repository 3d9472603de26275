/**
 * bench/soak: steady load for a long time (default 1 hour) against the real daemon and emulator,
 * sampling the daemon process's RSS (/proc/<pid>/status VmRSS) and open file descriptors
 * (/proc/<pid>/fd) every minute. "Flat" means: RSS at the end ≤ RSS after warm-up + 20 %, and the
 * fd count at the end within ± 2 of the count after warm-up (warm-up: the first sample taken after
 * `SOAK_WARMUP_S`, once the JIT, statement cache and connection pool have settled).
 *
 * The daemon runs whole, as in a shop: the reference cloud emulator runs in this process, the device
 * is activated through the daemon with a code the cloud issued, and the sync agent uploads every sealed
 * invoice while the load runs. At the end the outbox must drain and the cloud must have accepted
 * exactly the invoices the journal gained.
 * Flags: `--seconds N` (default 3600), `--clients N` (default 4), `--no-cloud` (daemon and device only).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AdminClient } from "../daemon/admin/client.js";
import { startCloudEmulator } from "../emulator/cloud/index.js";
import { numberFlag } from "./flags.js";
import {
  BENCH_JOURNAL_CAPACITY,
  type ClientRun,
  driveClients,
  errorCount,
  lastFiscalNumber,
} from "./load.js";
import { fmt, isMain } from "./measure.js";
import { E2E_IDENTITY, System } from "./system.js";

/** Soak duration by default, s. */
export const SOAK_SECONDS = 3_600;
/** Steady POS clients by default. */
export const SOAK_CLIENTS = 4;
/** Sampling period, s. */
export const SOAK_SAMPLE_S = 60;
/** Warm-up before the baseline sample, s (shorter runs use a tenth of their duration). */
export const SOAK_WARMUP_S = 60;
/** Allowed RSS growth after warm-up, as a fraction of the baseline. */
export const RSS_FLAT_FRACTION = 0.2;
/** Allowed change in open fds after warm-up. */
export const FD_FLAT_DELTA = 2;
/** How long the outbox may take to drain after the load stops, ms. */
const DRAIN_TIMEOUT_MS = 120_000;

/** One sample of the daemon process. */
export interface ProcessSample {
  readonly atS: number;
  readonly rssMiB: number;
  readonly fds: number;
}

/** What bench/soak measures. */
export interface SoakBench extends ClientRun {
  readonly samples: readonly ProcessSample[];
  readonly baseline: ProcessSample;
  readonly end: ProcessSample;
  readonly rssFlat: boolean;
  readonly fdsFlat: boolean;
  readonly journalGrowth: number;
  /** With the cloud: what it accepted and counted as duplicates, and how long the outbox took to drain. */
  readonly cloud?: { readonly accepted: number; readonly duplicate: number; readonly drainS: number };
}

/** Samples RSS and open fds of process `pid`. */
export function sampleProcess(pid: number, atS: number): ProcessSample {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { atS, rssMiB: m ? Number(m[1]) / 1024 : Number.NaN, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Starts emulator + daemon, runs the steady load while sampling the daemon, stops them. */
export async function runSoakBench(
  seconds = SOAK_SECONDS,
  clients = SOAK_CLIENTS,
  withCloud = true,
): Promise<SoakBench> {
  const sys = new System();
  const emulatorArgs = ["--journal-capacity", String(BENCH_JOURNAL_CAPACITY)];
  const cloud = withCloud
    ? await startCloudEmulator({ stateDir: join(sys.dir, "cloud"), port: 0 })
    : undefined;
  try {
    if (cloud === undefined) await sys.start({ emulatorArgs });
    else await sys.startWithCloud(cloud.url, cloud.issueCode(E2E_IDENTITY), { emulatorArgs });
    const pid = sys.daemon.child.pid!;
    const warmupS = Math.min(SOAK_WARMUP_S, seconds / 10);
    const samples: ProcessSample[] = [sampleProcess(pid, 0)];
    let baseline: ProcessSample | undefined;
    const started = Date.now();
    let nextSampleS = Math.min(SOAK_SAMPLE_S, warmupS);
    const before = await lastFiscalNumber(sys);
    const result = await driveClients(sys, clients, seconds, () => {
      const atS = (Date.now() - started) / 1000;
      if (atS < nextSampleS) return;
      const s = sampleProcess(pid, atS);
      samples.push(s);
      if (baseline === undefined && atS >= warmupS) baseline = s;
      nextSampleS = (Math.floor(atS / SOAK_SAMPLE_S) + 1) * SOAK_SAMPLE_S;
      process.stderr.write(`soak: ${fmt(atS)} s RSS ${fmt(s.rssMiB, 1)} MiB, ${s.fds} fds\n`);
    });
    const end = sampleProcess(pid, (Date.now() - started) / 1000);
    samples.push(end);
    const base = baseline ?? samples[0]!;
    const journalGrowth = (await lastFiscalNumber(sys)) - before;
    const drained = cloud === undefined ? undefined : await waitDrained(sys);
    return {
      ...result,
      samples,
      baseline: base,
      end,
      rssFlat: end.rssMiB <= base.rssMiB * (1 + RSS_FLAT_FRACTION),
      fdsFlat: Math.abs(end.fds - base.fds) <= FD_FLAT_DELTA,
      journalGrowth,
      ...(cloud && drained !== undefined
        ? {
            cloud: {
              accepted: cloud.counters.accepted,
              duplicate: cloud.counters.duplicate,
              drainS: drained,
            },
          }
        : {}),
    };
  } finally {
    await cloud?.close();
    await sys.stop();
  }
}

/** Waits until the daemon's outbox has nothing pending (admin socket); returns the wait in s. */
async function waitDrained(sys: System): Promise<number> {
  const admin = new AdminClient(join(sys.daemonState, "admin.sock"));
  const started = Date.now();
  for (;;) {
    const queue = await admin.queueStatus();
    if (queue.pending === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > DRAIN_TIMEOUT_MS)
      throw new Error(`the outbox did not drain: ${JSON.stringify(queue)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** True when nothing failed, the journal matches the 201s, and (with the cloud) it accepted them all. */
export function soakPassed(b: SoakBench): boolean {
  return (
    b.rssFlat &&
    b.fdsFlat &&
    errorCount(b) === 0 &&
    b.journalGrowth === b.ok &&
    (b.cloud === undefined || b.cloud.accepted === b.journalGrowth)
  );
}

/** Formats the results as a Markdown table. */
export function formatSoakBench(b: SoakBench): string {
  const first = b.samples[0]!;
  const sample = (s: ProcessSample): string => `${fmt(s.rssMiB, 1)} MiB, ${s.fds} fds (at ${fmt(s.atS)} s)`;
  return [
    "| measure | value | target |",
    "| --- | --- | --- |",
    `| run | ${b.clients} clients for ${fmt(b.seconds, 1)} s, ${fmt(b.ok)} sealed (${fmt(b.perSecond, 1)}/s) | |`,
    `| latency | p50 ${fmt(b.latency.p50, 1)} ms · p99 ${fmt(b.latency.p99, 1)} ms · p999 ${fmt(b.latency.p999, 1)} ms | |`,
    `| errors | ${errorCount(b)} ${JSON.stringify(b.errors)} | 0 |`,
    `| emulator journal growth | ${fmt(b.journalGrowth)} (${b.journalGrowth === b.ok ? "=" : "≠"} sealed) | = sealed |`,
    b.cloud === undefined
      ? "| cloud | not in this run (`--no-cloud`) | |"
      : `| cloud accepted / duplicate | ${fmt(b.cloud.accepted)} (${b.cloud.accepted === b.journalGrowth ? "=" : "≠"} journal growth) / ${fmt(b.cloud.duplicate)}, outbox drained ${fmt(b.cloud.drainS, 1)} s after the load | = journal growth |`,
    `| daemon at start | ${sample(first)} | |`,
    `| daemon after warm-up (baseline) | ${sample(b.baseline)} | |`,
    `| daemon at end | ${sample(b.end)} | |`,
    `| RSS flat | ${b.rssFlat ? "yes" : "NO"} (${fmt(((b.end.rssMiB - b.baseline.rssMiB) / b.baseline.rssMiB) * 100, 1)} %) | ≤ +${RSS_FLAT_FRACTION * 100} % |`,
    `| fds flat | ${b.fdsFlat ? "yes" : "NO"} (${b.end.fds - b.baseline.fds >= 0 ? "+" : ""}${b.end.fds - b.baseline.fds}) | ± ${FD_FLAT_DELTA} |`,
    "",
    `Samples (s: MiB/fds): ${b.samples.map((s) => `${fmt(s.atS)}: ${fmt(s.rssMiB, 0)}/${s.fds}`).join(" · ")}`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const r = await runSoakBench(
    numberFlag("seconds", SOAK_SECONDS),
    numberFlag("clients", SOAK_CLIENTS),
    !process.argv.includes("--no-cloud"),
  );
  console.log(formatSoakBench(r));
  if (!soakPassed(r)) process.exitCode = 1;
}
