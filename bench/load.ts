/**
 * bench/load: concurrent POS clients posting sales for a fixed duration against the real daemon and
 * emulator processes (System). Reports throughput, p50/p99/p999 latency, error counts (which must be
 * zero) and checks that the emulator's journal grew by exactly the number of 201 answers: nothing
 * sealed without an answer, nothing answered without a seal.
 * Flags: `--seconds N` (default 300), `--clients N` (default 32).
 */
import { numberFlag } from "./flags.js";
import { fmt, isMain, msSince, type Percentiles, percentiles } from "./measure.js";
import { System, sale } from "./system.js";

/** Duration of the load run by default, s (issue 8: 5 minutes). */
export const LOAD_SECONDS = 300;
/** Concurrent POS clients by default. */
export const LOAD_CLIENTS = 32;
/** Journal capacity given to the emulator so a long run never fills it. */
export const BENCH_JOURNAL_CAPACITY = 10_000_000;

/** What a fixed-duration run of POS clients measured. */
export interface ClientRun {
  readonly clients: number;
  readonly seconds: number;
  readonly ok: number;
  /** Answers other than 201, by status (0: no answer / network error). */
  readonly errors: Readonly<Record<string, number>>;
  readonly perSecond: number;
  readonly latency: Percentiles;
}

/** What bench/load measures. */
export interface LoadBench extends ClientRun {
  /** Records the emulator's journal gained during the run. */
  readonly journalGrowth: number;
}

/** The emulator's last fiscal number, from its control channel. */
export async function lastFiscalNumber(sys: System): Promise<number> {
  const state = (await sys.control("GET", "/state")) as { status: { last_fiscal_number: number } };
  return Number(state.status.last_fiscal_number);
}

/**
 * Runs `clients` POS loops for `seconds`, each posting sales one after another with unique
 * Idempotency-Keys; `tick` is called about once a second so callers can sample the daemon.
 */
export async function driveClients(
  sys: System,
  clients: number,
  seconds: number,
  tick: () => void = () => {},
): Promise<ClientRun> {
  const samples: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let n = 0;
  const runId = Date.now().toString(36);
  const t0 = process.hrtime.bigint();
  const endAt = Date.now() + seconds * 1000;
  const ticker = setInterval(tick, 1_000);
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (Date.now() < endAt) {
          const i = n++;
          const t = process.hrtime.bigint();
          let status = 0;
          try {
            status = (
              await sys.api("POST", "/v1/invoices", sale(1_000 + (i % 90_000)), {
                "idempotency-key": `load-${runId}-${i}`,
              })
            ).status;
          } catch {
            status = 0;
          }
          if (status === 201) {
            ok++;
            samples.push(msSince(t));
          } else errors[status] = (errors[status] ?? 0) + 1;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  const elapsed = msSince(t0) / 1000;
  return { clients, seconds: elapsed, ok, errors, perSecond: ok / elapsed, latency: percentiles(samples) };
}

/** Starts emulator + daemon, runs the load, checks the journal, stops them. */
export async function runLoadBench(seconds = LOAD_SECONDS, clients = LOAD_CLIENTS): Promise<LoadBench> {
  const sys = await new System().start({
    emulatorArgs: ["--journal-capacity", String(BENCH_JOURNAL_CAPACITY)],
  });
  try {
    const before = await lastFiscalNumber(sys);
    const result = await driveClients(sys, clients, seconds);
    const journalGrowth = (await lastFiscalNumber(sys)) - before;
    return { ...result, journalGrowth };
  } finally {
    await sys.stop();
  }
}

/** Total errors of a run. */
export function errorCount(r: ClientRun): number {
  return Object.values(r.errors).reduce((s, x) => s + x, 0);
}

/** Formats the results as a Markdown table. */
export function formatLoadBench(b: LoadBench): string {
  const l = b.latency;
  return [
    "| measure | value | target |",
    "| --- | --- | --- |",
    `| run | ${b.clients} clients for ${fmt(b.seconds, 1)} s | |`,
    `| sealed (201) | ${fmt(b.ok)} = ${fmt(b.perSecond, 1)}/s | |`,
    `| latency | p50 ${fmt(l.p50, 1)} ms · p99 ${fmt(l.p99, 1)} ms · p999 ${fmt(l.p999, 1)} ms | |`,
    `| errors | ${errorCount(b)} ${JSON.stringify(b.errors)} | 0 |`,
    `| emulator journal growth | ${fmt(b.journalGrowth)} (${b.journalGrowth === b.ok ? "=" : "≠"} sealed) | = sealed |`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const r = await runLoadBench(numberFlag("seconds", LOAD_SECONDS), numberFlag("clients", LOAD_CLIENTS));
  console.log(formatLoadBench(r));
  if (errorCount(r) > 0 || r.journalGrowth !== r.ok) process.exitCode = 1;
}
