/**
 * Small measurement helpers shared by the bench/ scripts: rates over a fixed time budget and latency
 * percentiles. Benchmarks print ratios measured side by side in one run; tests never time anything.
 */
import { pathToFileURL } from "node:url";

/** Runs `op` repeatedly for about `budgetMs` and returns operations per second. */
export function ratePerSecond(op: () => void, budgetMs = 1000): number {
  for (let i = 0; i < 50; i++) op(); // warm-up: let the JIT settle before the clock starts
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(budgetMs) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 16; i++) op();
    n += 16;
    now = process.hrtime.bigint();
  }
  return n / (Number(now - start) / 1e9);
}

/** Latency percentiles, in milliseconds, of a list of samples (also in milliseconds). */
export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly mean: number;
  readonly count: number;
}

/** Computes percentiles of `samples` (ms). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), mean, count: sorted.length };
}

/** Milliseconds since an hrtime origin. */
export function msSince(origin: bigint): number {
  return Number(process.hrtime.bigint() - origin) / 1e6;
}

/** True when the calling module is the process's entry point (run directly, not imported). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * The value of a metric in a Prometheus text page (the daemon's /metrics): the first sample named
 * `name` whose labels include every one of `labels`; undefined when there is none.
 */
export function metricValue(
  page: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of page.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return undefined;
}
