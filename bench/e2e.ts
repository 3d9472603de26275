/**
 * bench/e2e: HTTP POST → sealed response through the real daemon process and the real emulator
 * process on a PTY, next to the bare device operation (PREPARE+COMMIT in-process, bench/emulator)
 * measured in the same run. Reports the latency ratio at 1 client and throughput at 1, 8 and 32
 * concurrent clients as a ratio of the bare device's sequential rate.
 * Targets (issue 5): e2e p50 ≤ 3× bare p50; throughput at 32 clients ≥ 70 % of the bare rate.
 */
import { runEmulatorBench } from "./emulator.js";
import { fmt, isMain, msSince, type Percentiles, percentiles } from "./measure.js";
import { System, sale } from "./system.js";

/** Sequential requests timed for the latency figure. */
export const E2E_LATENCY_REQUESTS = 500;
/** Requests per concurrency level for the throughput figures. */
export const E2E_THROUGHPUT_REQUESTS = 1_000;
/** The concurrency levels measured. */
export const E2E_CONCURRENCY = [1, 8, 32] as const;

/** What bench/e2e measures. */
export interface E2eBench {
  readonly bare: { readonly opsPerSecond: number; readonly pair: Percentiles };
  readonly latency: Percentiles;
  readonly latencyRatio: number;
  readonly throughput: readonly {
    readonly clients: number;
    readonly perSecond: number;
    readonly ratio: number;
  }[];
}

async function fiscalise(sys: System, key: string, amount: number): Promise<void> {
  const reply = await sys.api("POST", "/v1/invoices", sale(amount), { "idempotency-key": key });
  if (reply.status !== 201)
    throw new Error(`bench request failed: ${reply.status} ${JSON.stringify(reply.body)}`);
}

/** Runs the whole benchmark; starts and stops its own processes. */
export async function runE2eBench(
  latencyRequests = E2E_LATENCY_REQUESTS,
  perLevel = E2E_THROUGHPUT_REQUESTS,
): Promise<E2eBench> {
  const bare = await runEmulatorBench();
  const sys = await new System().start({ emulatorArgs: ["--journal-capacity", "10000000"] });
  try {
    for (let i = 0; i < 50; i++) await fiscalise(sys, `warm-${i}`, 1_000 + i);
    const samples: number[] = [];
    for (let i = 0; i < latencyRequests; i++) {
      const t0 = process.hrtime.bigint();
      await fiscalise(sys, `lat-${i}`, 1_000 + i);
      samples.push(msSince(t0));
    }
    const latency = percentiles(samples);
    const throughput = [];
    for (const clients of E2E_CONCURRENCY) {
      let next = 0;
      const t0 = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < perLevel) {
            const i = next++;
            await fiscalise(sys, `c${clients}-${i}`, 2_000 + i);
          }
        }),
      );
      const perSecond = perLevel / (msSince(t0) / 1000);
      throughput.push({ clients, perSecond, ratio: perSecond / bare.opsPerSecond });
    }
    return {
      bare: { opsPerSecond: bare.opsPerSecond, pair: bare.pair },
      latency,
      latencyRatio: latency.p50 / bare.pair.p50,
      throughput,
    };
  } finally {
    await sys.stop();
  }
}

/** Formats the results as a Markdown table. */
export function formatE2eBench(b: E2eBench): string {
  const rows = [
    "| measure | value | target |",
    "| --- | --- | --- |",
    `| bare device op (PREPARE+COMMIT in-process) | p50 ${fmt(b.bare.pair.p50, 3)} ms · p99 ${fmt(b.bare.pair.p99, 3)} ms · ${fmt(b.bare.opsPerSecond)}/s | |`,
    `| HTTP POST → sealed, 1 client | p50 ${fmt(b.latency.p50, 3)} ms · p99 ${fmt(b.latency.p99, 3)} ms | |`,
    `| e2e p50 ÷ bare p50 | ${fmt(b.latencyRatio, 2)}× | ≤ 3× |`,
    ...b.throughput.map(
      (t) =>
        `| throughput, ${t.clients} client${t.clients > 1 ? "s" : ""} | ${fmt(t.perSecond)}/s = ${fmt(t.ratio * 100, 0)} % of bare | ${t.clients === 32 ? "≥ 70 %" : ""} |`,
    ),
  ];
  return rows.join("\n");
}

if (isMain(import.meta.url)) {
  const result = await runE2eBench();
  console.log(formatE2eBench(result));
}
