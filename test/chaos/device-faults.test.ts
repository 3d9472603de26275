/**
 * Chaos scenarios 6 and 7: the device's own refusals under load.
 *   6. The journal fills up mid-run: every invoice is refused cleanly (507 JOURNAL_FULL 105), the
 *      status report shows the error, nothing half-sealed is left, and raising the capacity recovers.
 *   7. The device clock is skewed beyond the daemon's tolerance (CLOCK_SKEW_WARN_MS, 5 min). The rule
 *      (docs/PROTOCOL.md §10.4): the device refuses with CLOCK_INVALID (106) only while its time is
 *      before its last record; otherwise it seals with its own time, and the status report warns.
 */
import { describe, expect, it } from "vitest";
import type { ChaosCluster } from "./cluster.js";
import { runScenario, waitIssued } from "./runner.js";
import { size } from "./seed.js";
import { finalAttempt, type Workload } from "./workload.js";

/** Vitest's budget for one scenario, in ms. */
const SCENARIO_TIMEOUT_MS = size(150_000, 1_800_000);
/** How long /v1/status may take to show a device condition: its poll period (10 s) plus slack, in ms. */
const STATUS_TIMEOUT_MS = 20_000;
/** Pause between status polls, in ms. */
const STATUS_POLL_MS = 250;
/** The clock skew of scenario 7: two hours, far beyond the 5-minute warning tolerance. */
const SKEW_MS = 2 * 60 * 60_000;

/** One condition of GET /v1/status. */
interface Condition {
  readonly code: string;
  readonly severity: string;
}

/** Polls GET /v1/status until `test` accepts its conditions; returns the one named `code` and the wait in ms. */
async function waitCondition(
  cluster: ChaosCluster,
  code: string,
  test: (conditions: readonly Condition[]) => boolean = (cs) => cs.some((c) => c.code === code),
): Promise<[Condition | null, number]> {
  const started = Date.now();
  while (Date.now() - started < STATUS_TIMEOUT_MS) {
    const reply = await cluster.api("GET", "/v1/status").catch(() => null);
    const conditions = (reply?.body?.conditions as Condition[] | undefined) ?? [];
    if (test(conditions)) return [conditions.find((c) => c.code === code) ?? null, Date.now() - started];
    await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
  }
  return [null, Date.now() - started];
}

/** Waits until some key's final attempt has `code`, or the workload reached `until` keys. */
async function waitRefusal(workload: Workload, code: number, until: number): Promise<boolean> {
  const seen = (): boolean => workload.outcomes.some((o) => o.endedAt > 0 && matches(finalAttempt(o), code));
  while (!seen() && workload.issued() < until) await waitIssued(workload, workload.issued() + 1);
  return seen();
}

function matches(a: ReturnType<typeof finalAttempt>, code: number): boolean {
  return a.kind === "error" && a.code === code;
}

describe("chaos: device refusals", () => {
  it(
    "scenario 6: full journal, clean refusals and the status shows the error",
    async () => {
      const invoices = size(200, 2_000);
      const result = await runScenario({
        name: "journal-full",
        invoices,
        async sabotage({ cluster, workload, facts }) {
          await waitIssued(workload, Math.floor(invoices * 0.3));
          await cluster.control("PUT", "/faults", { fill_journal: true });
          facts.refusalSeen = await waitRefusal(workload, 105, Math.floor(invoices * 0.9));
          const firstRefusal = Date.now();
          await waitIssued(workload, Math.floor(invoices * 0.5));
          // Hold the clients while the status report catches up (it polls the device every 10 s).
          let release!: () => void;
          workload.hold(new Promise<void>((r) => (release = r)));
          await workload.idle();
          const [condition, statusWaitMs] = await waitCondition(cluster, "DEVICE_LOCKED");
          facts.statusCondition = condition;
          facts.statusWaitMs = statusWaitMs;
          // Keys sent while the journal was full: each must be a clean 507 JOURNAL_FULL (105).
          const during = workload.outcomes.filter((o) => o.startedAt > firstRefusal);
          facts.whileFull = during.length;
          facts.whileFullOther = during
            .map(finalAttempt)
            .filter((a) => !(a.kind === "error" && a.status === 507 && a.code === 105));
          await cluster.control("PUT", "/faults", { journal_capacity: null });
          release();
        },
      });
      expect(result.facts.refusalSeen).toBe(true);
      expect(result.facts.statusCondition).toMatchObject({ severity: "error" });
      expect(result.facts.whileFull).toBeGreaterThan(0);
      expect(result.facts.whileFullOther).toEqual([]);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "scenario 7: clock skew beyond tolerance, status warns, CLOCK_INVALID only before the last record",
    async () => {
      const invoices = size(200, 2_000);
      const forward = SKEW_MS;
      const result = await runScenario({
        name: "clock-skew",
        invoices,
        // The device keeps its forward time through the checks: undoing it would back-date the device.
        finalFaults: { clock_skew_ms: forward },
        async sabotage({ cluster, workload, facts }) {
          // Phase 1: device time two hours behind, before its last record: refused with 106.
          await waitIssued(workload, Math.floor(invoices * 0.2));
          await cluster.control("PUT", "/faults", { clock_skew_ms: -SKEW_MS });
          facts.backwardRefused = await waitRefusal(workload, 106, Math.floor(invoices * 0.5));
          let release!: () => void;
          workload.hold(new Promise<void>((r) => (release = r)));
          await workload.idle();
          const [invalid, invalidWaitMs] = await waitCondition(cluster, "CLOCK_INVALID");
          facts.backwardCondition = invalid;
          facts.backwardStatusWaitMs = invalidWaitMs;
          // Phase 2: two hours ahead: sealed with the device's time, and the status warns (and no
          // longer reports the clock invalid).
          await cluster.control("PUT", "/faults", { clock_skew_ms: forward });
          const forwardFrom = Date.now();
          release();
          await waitIssued(workload, workload.issued() + 20);
          const [skew, skewWaitMs] = await waitCondition(
            cluster,
            "CLOCK_SKEW",
            (cs) => cs.some((c) => c.code === "CLOCK_SKEW") && !cs.some((c) => c.code === "CLOCK_INVALID"),
          );
          facts.forwardCondition = skew;
          facts.forwardStatusWaitMs = skewWaitMs;
          const sealedAhead = workload.outcomes.find(
            (o) => o.startedAt > forwardFrom && finalAttempt(o).kind === "ok",
          );
          if (sealedAhead) {
            const reply = await cluster.api("GET", `/v1/invoices/${sealedAhead.key}`);
            // The device sealed it while the client waited, on this machine's clock plus the skew.
            facts.forwardSeal = {
              startedAt: sealedAhead.startedAt,
              endedAt: sealedAhead.endedAt,
              deviceTime: Date.parse(String(reply.body.fiscal?.timestamp)),
            };
          }
        },
      });
      expect(result.facts.backwardRefused).toBe(true);
      expect(result.facts.backwardCondition).toMatchObject({ severity: "error" });
      expect(result.facts.forwardCondition).toMatchObject({ severity: "warning" });
      expect(String((result.facts.forwardCondition as { message: string }).message)).toMatch(
        /de 7[\s\u202f]\d{3} s/,
      );
      // Sealed with the device's own time: the sealed timestamp, less the skew, falls inside the
      // client's request (emulator and client read the same system clock). No slack: a seal on this
      // machine's time would be two hours early, whatever the load.
      const seal = result.facts.forwardSeal as { startedAt: number; endedAt: number; deviceTime: number };
      expect(seal, "no invoice was sealed after the forward skew").toBeDefined();
      expect(seal.deviceTime - forward).toBeGreaterThanOrEqual(seal.startedAt);
      expect(seal.deviceTime - forward).toBeLessThanOrEqual(seal.endedAt);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
