/**
 * The seeded scenario runner: boots a fresh cluster, runs the POS workload and the scenario's
 * saboteur side by side, clears every fault, runs the invariant checker and prints one result line
 * (seed, counts, invariants, duration). With `CHAOS_RESULTS=FILE` the result is also appended to FILE
 * as a JSON line, which is how docs/RELIABILITY.md's tables are filled.
 */
import { appendFileSync } from "node:fs";
import { type ChaosReport, checkInvariants } from "./checker.js";
import { ChaosCluster, type Participant } from "./cluster.js";
import { CHAOS_FULL, createRng, type Rng, replayWith, seedFromEnv } from "./seed.js";
import { startWorkload, type Workload } from "./workload.js";

/** Pause between progress polls while a saboteur waits for the workload, in ms. */
const PROGRESS_POLL_MS = 20;
/** Mixed into the seed for the saboteur's stream, so it does not share the clients' stream. */
const SABOTEUR_SEED_SALT = 0x9e37_79b9;

/** What a saboteur gets. */
export interface ScenarioContext {
  readonly cluster: ChaosCluster;
  readonly workload: Workload;
  readonly rng: Rng;
  /** Facts the saboteur observed, reported with the result (e.g. how many kills it made). */
  readonly facts: Record<string, unknown>;
}

/** One chaos scenario. */
export interface Scenario {
  readonly name: string;
  /** Idempotency keys the clients issue. */
  readonly invoices: number;
  /** Extra emulator flags (kept across emulator restarts). */
  readonly emulatorArgs?: string[];
  /**
   * Faults set again after the run's reset, while the checker runs: a state the scenario must leave in
   * place (a forward clock skew cannot be undone without back-dating the device).
   */
  readonly finalFaults?: Record<string, unknown>;
  /** Makes the cluster (a plain ChaosCluster by default; scenario 5 adds the cloud). */
  makeCluster?(): ChaosCluster;
  /**
   * Runs after the run's faults are cleared, before the checker: waits for whatever must settle (the
   * upload outbox draining) and returns extra participants for invariant (a) (the cloud).
   */
  settle?(ctx: ScenarioContext): Promise<Participant[]>;
  /** Breaks things while the workload runs; resolves when done (the workload may still be running). */
  sabotage(ctx: ScenarioContext): Promise<void>;
}

/** A scenario's result. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly mode: "full" | "reduced";
  readonly seed: number;
  readonly durationMs: number;
  readonly facts: Record<string, unknown>;
  readonly report: ChaosReport;
}

/** Resolves once the workload issued at least `n` keys (or finished). */
export async function waitIssued(workload: Workload, n: number): Promise<void> {
  let finished = false;
  void workload.done.then(() => {
    finished = true;
  });
  while (workload.issued() < n && !finished) await new Promise((r) => setTimeout(r, PROGRESS_POLL_MS));
}

/** `count` distinct instants (keys issued) spread at random over 5 %–95 % of a run of `total`, ascending. */
export function instants(rng: Rng, count: number, total: number): number[] {
  const lo = Math.floor(total * 0.05);
  const hi = Math.floor(total * 0.95);
  const out = new Set<number>();
  while (out.size < Math.min(count, hi - lo)) out.add(rng.int(lo, hi));
  return [...out].sort((a, b) => a - b);
}

/** Runs one scenario end to end and returns its result; the cluster is always torn down. */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const seed = seedFromEnv("CHAOS");
  const mode = CHAOS_FULL ? "full" : "reduced";
  console.log(
    `chaos ${scenario.name}: seed ${seed} (${mode}, ${scenario.invoices} invoices); replay with ${replayWith("CHAOS", seed)}`,
  );
  const started = Date.now();
  const cluster = scenario.makeCluster?.() ?? new ChaosCluster();
  try {
    await cluster.boot([...(scenario.emulatorArgs ?? []), "--fault-seed", String(seed)]);
    const workload = startWorkload(
      { url: () => cluster.daemon.url, key: cluster.key },
      createRng(seed),
      scenario.invoices,
      scenario.name.replace(/[^A-Za-z0-9]/g, "").slice(0, 12),
    );
    const facts: Record<string, unknown> = {};
    const ctx: ScenarioContext = {
      cluster,
      workload,
      rng: createRng((seed ^ SABOTEUR_SEED_SALT) >>> 0),
      facts,
    };
    await Promise.all([scenario.sabotage(ctx), workload.done]);
    await cluster.control("POST", "/faults/reset");
    if (scenario.finalFaults) await cluster.control("PUT", "/faults", scenario.finalFaults);
    const extra = (await scenario.settle?.(ctx)) ?? [];
    const report = await checkInvariants(cluster, workload.outcomes, extra);
    if (report.keys !== scenario.invoices) {
      report.failures.push(`the clients issued ${report.keys} keys, the scenario ${scenario.invoices}`);
    }
    const result: ScenarioResult = {
      scenario: scenario.name,
      mode,
      seed,
      durationMs: Date.now() - started,
      facts,
      report,
    };
    const { failures, ...counts } = report;
    console.log(
      `chaos ${scenario.name}: seed ${seed} ${failures.length === 0 ? "HELD" : "FAILED"} in ${result.durationMs} ms ${JSON.stringify({ facts, ...counts })}`,
    );
    for (const f of failures) console.log(`  invariant broken: ${f}`);
    const file = process.env.CHAOS_RESULTS;
    if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await cluster.stop();
  }
}
