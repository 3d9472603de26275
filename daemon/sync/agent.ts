/**
 * The sync agent: drains the outbox to the Stalela Cloud in `seq` order, with at most
 * `config.inFlight` batches in memory and on the wire at a time. After a failed attempt the whole
 * queue waits (exponential backoff with jitter), because an outage fails every batch alike; only
 * attempts the cloud answered with an error count towards an invoice's FAILED, so a shop offline
 * for a week drains by itself when the link returns. Every attempt is appended to `sync_attempts`
 * and logged. An ack is taken only when it names an item of the batch and carries the hash of the
 * record sent (upload-items.ts `matchAcks`); any other ack is CLOUD_ACK_MISMATCH: logged, counted,
 * and its row stays PENDING. Without a configured cloud URL the agent uploads nothing.
 *
 * The stored fiscal reports (Z, closures, A) go up in a second lane (report-lane.ts), with its own
 * loop, backoff and failures, so nothing a report upload meets ever delays an invoice.
 */
import { randomUUID } from "node:crypto";
import { FiscalError, isFiscalError } from "../../protocol/index.js";
import type { RaisedCondition } from "../fiscal/types.js";
import type { CloudCredential } from "../store/cloud-credential.js";
import type { AttemptOutcome } from "../store/sync-log.js";
import type { QueuedRecord } from "../store/sync-queue.js";
import type { DrainRound, SyncAgentDeps, SyncCounters, SyncHealth, SyncStep } from "./agent-types.js";
import { backoffDelayMs } from "./backoff.js";
import { isCloudConfigured } from "./client.js";
import { syncConditions } from "./conditions.js";
import type { UploadResponse } from "./contract.js";
import { DrainLoop } from "./drain-loop.js";
import { type CloudContact, ReportLane, type ReportUploadState } from "./report-lane.js";
import { type AckMismatch, logAckMismatches, matchAcks, uploadItemOf } from "./upload-items.js";

/** One day in ms: the offline warning is logged at most this often. */
const DAY_MS = 86_400_000;

export type { SyncAgentDeps, SyncCounters, SyncHealth, SyncStep } from "./agent-types.js";
export type { ReportUploadState } from "./report-lane.js";

/** Uploads the outbox, and the stored reports in a lane of their own. */
export class SyncAgent {
  readonly counters: SyncCounters = {
    attempts: 0,
    failedAttempts: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    ackMismatches: 0,
    reportAttempts: 0,
    failedReportAttempts: 0,
    reportsAccepted: 0,
    reportsDuplicate: 0,
    reportsRejected: 0,
  };
  /** "new" until start(); drain() may be called directly before (tests, the benchmark). */
  private phase: "new" | "running" | "stopped" = "new";
  private readonly invoiceLoop = new DrainLoop(() => this.round());
  /** The report lane and its loop, when the agent was given the stored reports. */
  private readonly reportLane: ReportLane | undefined;
  private readonly reportLoop: DrainLoop | undefined;
  private consecutiveFailures = 0;
  private startedAt = 0;
  private lastContactAt: number | undefined;
  private unreachableSince: number | undefined;
  private credentialRefusedAt: number | undefined;
  private ackMismatchSince: number | undefined;
  private offlineLoggedAt = 0;

  constructor(private readonly deps: SyncAgentDeps) {
    if (deps.reports !== undefined) {
      const contact: CloudContact = {
        answered: (at, clean) => {
          this.unreachableSince = undefined;
          this.credentialRefusedAt = undefined;
          if (clean) this.lastContactAt = at;
        },
        failed: (outcome, at) => {
          if (outcome === "unreachable") this.unreachableSince ??= at;
          if (outcome === "auth-refused") this.credentialRefusedAt ??= at;
          this.logOfflineDaily(at);
        },
      };
      this.reportLane = new ReportLane({
        reports: deps.reports,
        cloud: deps.cloud,
        config: deps.config,
        logger: deps.logger,
        now: () => this.now(),
        random: deps.random,
        counters: this.counters,
        contact,
      });
      this.reportLoop = new DrainLoop(() => this.reportRound());
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Starts draining in the background. */
  start(): void {
    this.startedAt = this.now();
    this.lastContactAt = this.deps.attempts.lastContactAt();
    this.phase = "running";
    this.invoiceLoop.start();
    this.reportLoop?.start();
  }

  /** Stops; an upload in flight finishes (its acks are applied) before this resolves. */
  async stop(): Promise<void> {
    this.phase = "stopped";
    await Promise.all([this.invoiceLoop.stop(), this.reportLoop?.stop()]);
  }

  /** Looks at the queue now rather than at the next poll (after a retry or an activation). */
  wake(): void {
    if (this.phase !== "running") return;
    if (!this.invoiceLoop.busy) {
      this.consecutiveFailures = 0;
      this.invoiceLoop.schedule(0);
    }
    if (this.reportLoop !== undefined && !this.reportLoop.busy) {
      this.reportLane?.resetBackoff();
      this.reportLoop.schedule(0);
    }
  }

  /**
   * Manual retry (admin channel): FAILED invoices back to PENDING, and, when no invoice is named, the
   * reports set aside sent again too. Returns how many.
   */
  retry(invoiceIds?: readonly string[]): number {
    const n = this.deps.queue.retry(invoiceIds);
    const reports = invoiceIds === undefined ? (this.reportLane?.retry() ?? 0) : 0;
    this.deps.logger.info({ requeued: n, requeuedReports: reports, invoiceIds }, "manual sync retry");
    this.wake();
    return n + reports;
  }

  /** The report lane's upload state of a pending report it tried since start (tests and tools). */
  reportState(kind: string, number: number): ReportUploadState | undefined {
    return this.reportLane?.state(kind, number);
  }

  /**
   * Rotates the upload credential (docs/CLOUD_API.md §Authentication): the cloud issues a new one and
   * keeps the old one valid until the new one is first used, so storing it after the answer is safe.
   * Throws CLOUD_NOT_ACTIVATED without a credential, CLOUD_UNREACHABLE / CLOUD_CREDENTIAL_INVALID.
   */
  async rotateCredential(actor: string): Promise<{ old_valid_until: string }> {
    const current = this.deps.credentials.current();
    if (current === undefined) throw new FiscalError("CLOUD_NOT_ACTIVATED");
    const answer = await this.deps.cloud.rotate(current.credential);
    this.deps.credentials.replace(current.deviceId, answer.credential, actor);
    this.credentialRefusedAt = undefined;
    return { old_valid_until: answer.old_valid_until };
  }

  /** Status conditions (the daemon's `addConditionSource`). */
  conditions(): RaisedCondition[] {
    return syncConditions(this.health(), this.deps.config, this.now());
  }

  /** The live state behind the conditions. */
  health(): SyncHealth {
    return {
      startedAt: this.startedAt,
      lastContactAt: this.lastContactAt,
      unreachableSince: this.unreachableSince,
      credentialRefusedAt: this.credentialRefusedAt,
      hasCredential: this.deps.credentials.current() !== undefined,
      cloudConfigured: isCloudConfigured(this.deps.cloud),
      ackMismatchSince: earliest(this.ackMismatchSince, this.reportLane?.ackMismatchSince),
      ackMismatches: this.counters.ackMismatches,
      // O(1): the outbox depth is kept by triggers (migration 3), the head read from an index.
      summary: this.deps.queue.summary(),
    };
  }

  /** One batch: uploads the head batch if it is due (tests and tools; the agent's loop uses `drain`). */
  step(): Promise<SyncStep> {
    return this.drain(1);
  }

  /**
   * Uploads due batches in `seq` order, keeping up to `config.inFlight` requests open so the next
   * batch travels while the cloud checks the previous one, until the queue is empty, its head waits
   * for a retry, a batch fails, `stop()` is called or `maxBatches` batches were sent. Each batch's acks
   * are applied in their own transaction as its answer arrives; the cloud dedups by
   * (device_id, fiscal_number), so the order in which batches land does not matter.
   */
  async drain(maxBatches = Number.POSITIVE_INFINITY): Promise<SyncStep> {
    // No cloud URL: nothing leaves the machine (the condition CLOUD_NOT_CONFIGURED says why).
    if (!isCloudConfigured(this.deps.cloud)) return { kind: "idle" };
    const credential = this.deps.credentials.current();
    if (credential === undefined) return { kind: "idle" };
    const open = new Set<Promise<void>>();
    // Results of the uploads that settled, read after each wake-up: two may settle in the same tick.
    const settled: SyncStep[] = [];
    let afterSeq = 0;
    let sent = 0;
    let items = 0;
    let waitMs = 0;
    let failure: SyncStep | undefined;
    const round: DrainRound = { failed: false };
    try {
      for (;;) {
        while (failure === undefined && waitMs === 0 && this.phase !== "stopped" && sent < maxBatches) {
          if (open.size >= this.deps.config.inFlight) break;
          const batch = this.deps.queue.nextBatch(this.deps.config.batchSize, afterSeq);
          if (batch.length === 0) break;
          const wait = batch[0]!.next_attempt_at - this.now();
          if (wait > 0) {
            waitMs = wait;
            break;
          }
          afterSeq = batch.at(-1)!.seq;
          sent++;
          const upload: Promise<void> = this.upload(credential, batch, round)
            .then((step) => {
              settled.push(step);
            })
            .finally(() => open.delete(upload));
          open.add(upload);
        }
        if (open.size === 0) break;
        await Promise.race(open);
        for (const step of settled.splice(0)) {
          if (step.kind === "uploaded") items += step.items;
          else if (step.kind === "failed") failure ??= step;
        }
      }
    } finally {
      // A store error in one batch propagates, but only once every batch in flight has settled.
      await Promise.allSettled(open);
    }
    if (failure !== undefined) return failure;
    if (items > 0) return { kind: "uploaded", items };
    return waitMs > 0 ? { kind: "waiting", waitMs } : { kind: "idle" };
  }

  /**
   * Uploads the pending stored reports, oldest first, until none is left, the next one waits for a
   * retry, a request fails or `stop()` is called (report-lane.ts). Idle without a cloud URL, a
   * credential, the stored reports or a cloud port that takes reports.
   */
  async drainReports(): Promise<SyncStep> {
    const lane = this.reportLane;
    if (lane === undefined || !lane.supported || !isCloudConfigured(this.deps.cloud)) return { kind: "idle" };
    const credential = this.deps.credentials.current();
    if (credential === undefined) return { kind: "idle" };
    return lane.drain(credential, () => this.phase === "stopped");
  }

  private async upload(
    credential: CloudCredential,
    batch: QueuedRecord[],
    round: DrainRound,
  ): Promise<SyncStep> {
    const started = this.now();
    const base = { firstSeq: batch[0]!.seq, lastSeq: batch.at(-1)!.seq, items: batch.length };
    this.counters.attempts++;
    let answer: UploadResponse;
    try {
      answer = await this.deps.cloud.upload(credential.credential, {
        batch_id: randomUUID(),
        items: batch.map(uploadItemOf),
      });
    } catch (err) {
      return this.failed(batch, base, started, err, round);
    }
    // A store error from here on is not the cloud's fault: it propagates to the loop, which logs it.
    const { acks, unacked, mismatches } = matchAcks(batch, answer.acks);
    const now = this.now();
    const tally = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const a of acks) tally[a.outcome]++;
    const lying = mismatches.length > 0;
    const mismatched = [...new Set(mismatches.flatMap((m) => (m.invoice_id === null ? [] : [m.invoice_id])))];
    const missing = unacked.filter((id) => !mismatched.includes(id));
    // An answer with mismatching acks is a cloud error: the backoff steps (once per drain).
    if (lying && !round.failed) this.consecutiveFailures++;
    if (lying) round.failed = true;
    const retryAt =
      now + backoffDelayMs(this.deps.config, lying ? this.consecutiveFailures : 1, this.deps.random);
    const outcome: AttemptOutcome = lying
      ? "cloud-error"
      : tally.rejected + missing.length > 0
        ? "partial"
        : "ok";
    const errors: string[] = [];
    if (missing.length > 0) errors.push(`${missing.length} items without an ack`);
    if (lying) errors.push(`${mismatches.length} acks match no record sent (E507 CLOUD_ACK_MISMATCH)`);
    let failedNow = 0;
    this.deps.queue.inTransaction(() => {
      this.deps.queue.applyAcks(acks);
      const max = this.deps.config.maxAttempts;
      if (missing.length > 0) {
        failedNow += this.deps.queue.recordFailure(
          missing,
          "the cloud sent no ack for this item",
          retryAt,
          true,
          max,
        );
      }
      if (mismatched.length > 0) {
        const why = "E507 CLOUD_ACK_MISMATCH: the cloud's ack does not match the record sent";
        failedNow += this.deps.queue.recordFailure(mismatched, why, retryAt, true, max);
      }
      this.deps.attempts.append({
        at: started,
        ...base,
        outcome,
        ...tally,
        error: errors.length > 0 ? errors.join("; ") : null,
        durationMs: now - started,
      });
    });
    this.counters.accepted += tally.accepted;
    this.counters.duplicate += tally.duplicate;
    this.counters.rejected += tally.rejected;
    this.deps.logger.info({ batch: base, outcome, ...tally, durationMs: now - started }, "sync attempt");
    if (tally.rejected > 0)
      this.deps.logger.warn({ batch: base, rejected: tally.rejected }, "cloud rejected invoices");
    if (failedNow > 0) {
      this.deps.logger.error({ failed: failedNow }, "invoices FAILED after the maximum number of attempts");
    }
    this.unreachableSince = undefined;
    this.credentialRefusedAt = undefined;
    if (lying) {
      this.counters.failedAttempts++;
      this.ackMismatched(base, mismatches, now);
      return { kind: "failed", outcome, waitMs: retryAt - now };
    }
    this.ackMismatchSince = undefined;
    this.lastContactAt = now;
    this.consecutiveFailures = 0;
    return { kind: "uploaded", items: batch.length };
  }

  /** Counts an answer's mismatching acks and logs them at error with code E507. */
  private ackMismatched(
    batch: { firstSeq: number; lastSeq: number; items: number },
    mismatches: readonly AckMismatch[],
    now: number,
  ): void {
    this.counters.ackMismatches += mismatches.length;
    this.ackMismatchSince ??= now;
    logAckMismatches(this.deps.logger, batch, mismatches);
  }

  private failed(
    batch: QueuedRecord[],
    base: { firstSeq: number; lastSeq: number; items: number },
    started: number,
    err: unknown,
    round: DrainRound,
  ): SyncStep {
    const now = this.now();
    const outcome: AttemptOutcome = isFiscalError(err, "CLOUD_UNREACHABLE")
      ? "unreachable"
      : isFiscalError(err, "CLOUD_CREDENTIAL_INVALID")
        ? "auth-refused"
        : "cloud-error";
    const message = err instanceof Error ? err.message : String(err);
    // Batches in flight together fail together (an outage): the backoff steps once per drain.
    if (!round.failed) this.consecutiveFailures++;
    round.failed = true;
    this.counters.failedAttempts++;
    const waitMs = backoffDelayMs(this.deps.config, this.consecutiveFailures, this.deps.random);
    const failedNow = this.deps.queue.recordFailure(
      batch.map((r) => r.invoice_id),
      message,
      now + waitMs,
      outcome === "cloud-error",
      this.deps.config.maxAttempts,
    );
    this.deps.attempts.append({
      at: started,
      ...base,
      outcome,
      accepted: 0,
      duplicate: 0,
      rejected: 0,
      error: message,
      durationMs: now - started,
    });
    if (outcome === "unreachable") this.unreachableSince ??= now;
    if (outcome === "auth-refused") this.credentialRefusedAt ??= now;
    this.deps.logger.warn(
      { batch: base, outcome, err: message, retryInMs: waitMs, failedNow },
      "sync attempt failed",
    );
    if (failedNow > 0) {
      this.deps.logger.error({ failed: failedNow }, "invoices FAILED after the maximum number of attempts");
    }
    this.logOfflineDaily(now);
    return { kind: "failed", outcome, waitMs };
  }

  private logOfflineDaily(now: number): void {
    const since = this.lastContactAt ?? this.startedAt;
    const limit = this.deps.config.offlineWarnDays * DAY_MS;
    if (now - since >= limit && now - this.offlineLoggedAt >= DAY_MS) {
      this.offlineLoggedAt = now;
      this.deps.logger.warn(
        { lastContactAt: this.lastContactAt ?? null },
        "no successful cloud contact for days",
      );
    }
  }

  /** One round of the invoice loop: a drain; answers the ms until the next. */
  private async round(): Promise<number> {
    let step: SyncStep;
    try {
      step = await this.drain();
    } catch (err) {
      // A store error (disk full, corrupt row) must not kill the agent silently: log and back off.
      this.deps.logger.error({ err }, "sync step failed");
      step = { kind: "failed", outcome: "cloud-error", waitMs: this.deps.config.backoffMaxMs };
    }
    return this.delayAfter(step);
  }

  /** One round of the report loop, as `round` for the invoices. */
  private async reportRound(): Promise<number> {
    let step: SyncStep;
    try {
      step = await this.drainReports();
    } catch (err) {
      this.deps.logger.error({ err }, "report sync step failed");
      step = { kind: "failed", outcome: "cloud-error", waitMs: this.deps.config.backoffMaxMs };
    }
    return this.delayAfter(step);
  }

  private delayAfter(step: SyncStep): number {
    return step.kind === "uploaded"
      ? 0
      : step.kind === "idle"
        ? this.deps.config.pollIntervalMs
        : step.waitMs;
  }
}

/** The earlier of two optional times. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}
