/**
 * Chaos scenario 5: a cloud outage for the middle half of the run, with lost acks around it.
 *
 * The cloud emulator runs embedded (cloud.ts); the device is activated through the daemon with a code
 * the cloud issued, so the daemon's sync agent uploads what it seals. From 25 % to 75 % of the keys
 * issued the cloud is down (every contract request's connection dropped); before and after it, the
 * cloud now and then stores an upload and drops the connection instead of answering (a lost ack), so
 * the daemon uploads the same batch again. Afterwards, with the faults off and the outbox drained, the
 * cloud is one more participant of invariant (a) — the same fiscal numbers and record bytes as the
 * journal and the store, each once — and also: every identifier is present on what it stored, the
 * re-sent items were counted as duplicates (not stored twice), and /v1/status warned
 * CLOUD_UNREACHABLE while the cloud was down.
 */
import { describe, expect, it } from "vitest";
import { E2E_IDENTITY } from "../../bench/system.js";
import { CloudChaosCluster, SYNC_BATCH_SIZE } from "./cloud.js";
import { runScenario, waitIssued } from "./runner.js";
import { size } from "./seed.js";

/** Vitest's budget for the scenario, in ms. */
const SCENARIO_TIMEOUT_MS = size(150_000, 1_800_000);
/** How often the lost-ack saboteur considers arming the next lost ack, in ms. */
const LOST_ACK_TICK_MS = 250;
/** Probability per tick (when none is armed) that the next upload loses its ack. */
const LOST_ACK_RATE = 0.5;
/** Pause between /v1/status polls during the outage, in ms. */
const STATUS_POLL_MS = 100;
/** How long the outage may outlast the middle half while /v1/status has not warned yet, in ms. */
const WARN_GRACE_MS = 20_000;
/** Shortest outage, in ms: at the reduced size the middle half alone lasts well under a second. */
const MIN_OUTAGE_MS = 4_000;
/** How long the outbox may take to drain once the cloud is back and the run is over, in ms. */
const DRAIN_TIMEOUT_MS = 120_000;
/** Pause between outbox polls, in ms. */
const DRAIN_POLL_MS = 200;

/** One condition of GET /v1/status. */
interface Condition {
  readonly code: string;
  readonly severity: string;
  readonly message: string;
  readonly since: string;
}

/** Arms `lose_ack_next` now and then while on; counts how many it armed. */
class LostAcks {
  armed = 0;
  private on = false;
  /** Lost acks seen consumed by tick(), and the cloud's upload count when the last one was. */
  private seenConsumed = 0;
  private uploadsAtLoss = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cluster: CloudChaosCluster,
    private readonly chance: () => boolean,
  ) {}

  start(): void {
    this.on = true;
    this.timer ??= setInterval(() => this.tick(), LOST_ACK_TICK_MS);
  }

  /**
   * Arms the next lost ack at random, but only once an upload went through after the last lost one:
   * otherwise the agent's immediate retry of the same batch would lose its ack again and again, and
   * every lost ack would hit one batch.
   */
  private tick(): void {
    const { faults, counters } = this.cluster.cloud;
    if (faults.lose_ack_next > 0) return;
    const consumed = this.consumed();
    if (consumed > this.seenConsumed) {
      this.seenConsumed = consumed;
      this.uploadsAtLoss = counters.uploads;
    }
    if (this.on && counters.uploads > this.uploadsAtLoss && this.chance()) this.arm();
  }

  pause(): void {
    this.on = false;
  }

  /** The next upload the cloud stores loses its ack. */
  arm(): void {
    this.cluster.cloud.setFaults({ lose_ack_next: this.cluster.cloud.faults.lose_ack_next + 1 });
    this.armed++;
  }

  /** How many armed lost acks the cloud consumed so far. */
  consumed(): number {
    return this.armed - this.cluster.cloud.faults.lose_ack_next;
  }

  /** Stops and disarms; returns how many acks were really lost (armed and consumed). */
  stop(): number {
    this.on = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const lost = this.armed - this.cluster.cloud.faults.lose_ack_next;
    this.cluster.cloud.setFaults({ lose_ack_next: 0 });
    return lost;
  }
}

describe("chaos: cloud faults", () => {
  it(
    "scenario 5: cloud outage for the middle half of the run, with lost acks",
    async () => {
      const invoices = size(200, 2_000);
      const result = await runScenario({
        name: "cloud-outage",
        invoices,
        makeCluster: () => new CloudChaosCluster(),
        async sabotage({ cluster, workload, rng, facts }) {
          const c = cluster as CloudChaosCluster;
          facts.activation = c.activation;
          const lostAcks = new LostAcks(c, () => rng.next() < LOST_ACK_RATE);
          try {
            // Before: lost acks now and then (the first upload loses its ack for sure).
            lostAcks.arm();
            lostAcks.start();
            await waitIssued(workload, Math.floor(invoices * 0.25));
            // A short run reaches 25 % before the agent's first upload (it polls every second): the
            // clients then wait until a lost ack really happened (bounded), so both phases have one.
            if (lostAcks.consumed() === 0) {
              let go!: () => void;
              workload.hold(new Promise<void>((r) => (go = r)));
              const heldFrom = Date.now();
              while (lostAcks.consumed() === 0 && Date.now() - heldFrom < WARN_GRACE_MS)
                await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
              facts.clientsHeldBeforeMs = Date.now() - heldFrom;
              lostAcks.pause();
              go();
            }
            lostAcks.pause();
            facts.lostAcksBefore = lostAcks.consumed();
            // The middle half: the cloud is down. Lost acks armed before stay armed, unconsumed.
            c.cloud.setFaults({ down: true });
            const outageFrom = Date.now();
            facts.outageFromKey = workload.issued();
            let middleOver = false;
            const middle = waitIssued(workload, Math.floor(invoices * 0.75)).then(() => {
              middleOver = true;
            });
            // A short run reaches 75 % in well under a second: the clients then wait (requests in
            // flight finish) until the outage lasted MIN_OUTAGE_MS, so the agent fails several times.
            let release: (() => void) | undefined;
            let polls = 0;
            let maxPending = 0;
            let warned: { condition: Condition; afterMs: number } | undefined;
            let middleOverAt = 0;
            let warnedAtEnd = false;
            for (;;) {
              const reply = await c.api("GET", "/v1/status").catch(() => null);
              polls++;
              maxPending = Math.max(maxPending, Number(reply?.body?.counters?.outbox_pending ?? 0));
              const condition = (reply?.body?.conditions as Condition[] | undefined)?.find(
                (x) => x.code === "CLOUD_UNREACHABLE",
              );
              if (condition && warned === undefined) warned = { condition, afterMs: Date.now() - outageFrom };
              warnedAtEnd = condition !== undefined;
              if (middleOver && middleOverAt === 0) {
                middleOverAt = Date.now();
                if (middleOverAt - outageFrom < MIN_OUTAGE_MS) {
                  workload.hold(new Promise<void>((r) => (release = r)));
                  facts.clientsHeldMs = MIN_OUTAGE_MS - (middleOverAt - outageFrom);
                }
              }
              // The outage ends with the middle half (and its floor), unless the status has not warned
              // yet (bounded).
              if (
                middleOver &&
                Date.now() - outageFrom >= MIN_OUTAGE_MS &&
                (warned !== undefined || Date.now() - middleOverAt > WARN_GRACE_MS)
              )
                break;
              await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
            }
            await middle;
            facts.outageToKey = workload.issued();
            facts.outageMs = Date.now() - outageFrom;
            facts.statusPolls = polls;
            facts.outboxPendingMax = maxPending;
            facts.unreachableWarning = warned?.condition ?? null;
            facts.unreachableWarnedAfterMs = warned?.afterMs ?? null;
            // Still warning at the outage's last poll, seconds in: the agent's own failures hold it.
            facts.unreachableAtOutageEnd = warnedAtEnd;
            facts.failedAttemptsInOutage = (await c.queueStatus()).counters.failedAttempts;
            // After: back up, and the first upload after the outage (a big batch) loses its ack.
            c.cloud.setFaults({ down: false });
            const beforeAfter = lostAcks.consumed();
            lostAcks.arm();
            lostAcks.start();
            release?.();
            await workload.done;
            // Keep the lost acks on until the one armed at the end of the outage was consumed (bounded).
            const until = Date.now() + WARN_GRACE_MS;
            while (lostAcks.consumed() === beforeAfter && Date.now() < until)
              await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
          } finally {
            facts.lostAcksArmed = lostAcks.armed;
            facts.lostAcks = lostAcks.stop();
            facts.lostAcksAfter = Number(facts.lostAcks) - Number(facts.lostAcksBefore ?? 0);
          }
        },
        async settle({ cluster, facts }) {
          const c = cluster as CloudChaosCluster;
          c.cloud.setFaults({ down: false, lose_ack_next: 0 });
          const started = Date.now();
          let queue = await c.queueStatus();
          while ((queue.pending > 0 || queue.failed > 0) && Date.now() - started < DRAIN_TIMEOUT_MS) {
            await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
            queue = await c.queueStatus();
          }
          facts.drainMs = Date.now() - started;
          facts.outbox = { pending: queue.pending, failed: queue.failed, acked: queue.acked };
          facts.daemonSyncCounters = queue.counters;
          facts.cloudCounters = { ...c.cloud.counters };
          facts.cloudStored = c.cloud.store.invoiceCount();
          // Every identifier present and the one the device, the activation and the key give.
          const keyId = c.key.slice(4, 16);
          const problems: string[] = [];
          for (const r of c.cloud.invoices()) {
            const expected: Record<string, unknown> = {
              device_id: c.deviceId,
              merchant_nif: E2E_IDENTITY.merchant_nif,
              outlet_id: E2E_IDENTITY.outlet_id,
              fiscal_authority_id: E2E_IDENTITY.fiscal_authority_id,
              cashier_id: "CASHIER-1",
              api_key_id: keyId,
            };
            for (const [field, want] of Object.entries(expected)) {
              const got = (r as unknown as Record<string, unknown>)[field];
              if (got !== want)
                problems.push(`cloud #${r.fiscal_number} ${field} is ${String(got)}, not ${want}`);
            }
            if (typeof r.invoice_id !== "string" || r.invoice_id === "")
              problems.push(`cloud #${r.fiscal_number} has no invoice_id`);
            if (r.has_invoice !== 1) problems.push(`cloud #${r.fiscal_number} has no invoice document`);
          }
          facts.identifierProblems = problems.slice(0, 20);
          return [c.cloudParticipant()];
        },
      });
      const f = result.facts;
      const records = result.report.records;
      expect(f.activation).toMatchObject({ registered: true, via: "daemon" });
      expect(f.unreachableWarning).toMatchObject({ code: "CLOUD_UNREACHABLE", severity: "warning" });
      expect(f.unreachableAtOutageEnd).toBe(true);
      const lostAcks = Number(f.lostAcks);
      expect(f.lostAcksBefore).toBeGreaterThan(0);
      expect(f.lostAcksAfter).toBeGreaterThan(0);
      expect(f.outbox).toEqual({ pending: 0, failed: 0, acked: records });
      // Each record accepted once; every re-sent item after a lost ack counted as a duplicate.
      expect(f.cloudCounters).toMatchObject({ accepted: records, rejected: 0 });
      // A lost ack re-sends its whole batch (1..SYNC_BATCH_SIZE items), each counted once as duplicate.
      const duplicates = (f.cloudCounters as { duplicate: number }).duplicate;
      expect(duplicates).toBeGreaterThanOrEqual(lostAcks);
      expect(duplicates).toBeLessThanOrEqual(lostAcks * SYNC_BATCH_SIZE);
      // The daemon applied exactly one ack per record (accepted, or duplicate after a lost ack).
      const daemon = f.daemonSyncCounters as { accepted: number; duplicate: number; rejected: number };
      expect(daemon.accepted + daemon.duplicate).toBe(records);
      expect(daemon.rejected).toBe(0);
      expect(f.cloudStored).toBe(records);
      expect(f.identifierProblems).toEqual([]);
      expect(result.report.participants).toContain("cloud");
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
