/**
 * The sync agent's report lane (docs/CLOUD_API.md §Report upload): uploads the signed fiscal reports
 * the store keeps (Z reports, closures, A reports) whose `uploaded_at` is NULL, oldest first, one
 * request at a time. It runs beside the invoice lane and never in its way: its own timer (agent.ts),
 * its own backoff and its own failures, so a report the cloud refuses, or a cloud that lies about
 * reports, never holds an invoice back.
 *
 * Failures are handled as the invoices' are: after a failed attempt the lane waits
 * `min(max, base·2^(k−1))` with jitter; only attempts the cloud answered with an error count towards
 * a report's `maxAttempts`, so an unreachable cloud never gives a report up; a report the cloud
 * rejected, or one that reached `maxAttempts`, is set aside (not sent again) until a manual retry or
 * a restart. The store keeps no upload state but `uploaded_at` (migration 8), so the state between
 * attempts lives here, in memory. An ack is taken only for the very report sent (report-items.ts);
 * `uploaded_at` is set when it is, and a mismatching ack is CLOUD_ACK_MISMATCH: logged, counted, the
 * report stays pending.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { isFiscalError } from "../../protocol/index.js";
import type { CloudCredential } from "../store/cloud-credential.js";
import type { FiscalReports, ReportCursor, StoredReport } from "../store/fiscal-reports.js";
import type { AttemptOutcome } from "../store/sync-log.js";
import type { SyncCounters, SyncStep } from "./agent-types.js";
import { backoffDelayMs } from "./backoff.js";
import type { CloudPort } from "./client.js";
import type { SyncConfig } from "./config.js";
import { MAX_REPORT_ITEMS, type ReportUploadResponse, UPLOADED_REPORT_KINDS } from "./contract.js";
import { matchReportAcks, reportItemOf, reportKey, reportLabel } from "./report-items.js";
import { logAckMismatches } from "./upload-items.js";

/** What the lane reads and marks in the store (FiscalReports). */
export type ReportUploadStore = Pick<FiscalReports, "pendingUpload" | "markUploaded">;

/** How the lane tells the agent about its contact with the cloud (the shared status conditions). */
export interface CloudContact {
  /** The cloud answered; `clean` when no ack of the answer mismatched. */
  answered(at: number, clean: boolean): void;
  /** A request failed with `outcome`. */
  failed(outcome: AttemptOutcome, at: number): void;
}

/** What the lane needs. */
export interface ReportLaneDeps {
  readonly reports: ReportUploadStore;
  readonly cloud: CloudPort;
  readonly config: SyncConfig;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random?: () => number;
  /** The agent's counters: the lane adds its attempts, acks and mismatches. */
  readonly counters: SyncCounters;
  readonly contact: CloudContact;
}

/** The upload state of a pending report the lane has tried. */
export interface ReportUploadState {
  /** Attempts that reached a verdict or failed, since start or the last manual retry. */
  readonly attempts: number;
  /** Attempts the cloud answered with an error (they count towards `maxAttempts`). */
  readonly cloudFailures: number;
  /** Not sent before this time (ms since the epoch). */
  readonly retryAt: number;
  readonly lastError: string;
  /** Rejected by the cloud, or `maxAttempts` reached: not sent again until a retry or a restart. */
  readonly setAside: boolean;
}

/** What a log line says of a request: its first and last report and how many. */
interface RequestLabel {
  readonly first: string;
  readonly last: string;
  readonly reports: number;
}

/** Uploads the stored reports of the credential's device. */
export class ReportLane {
  private readonly states = new Map<string, ReportUploadState>();
  private consecutiveFailures = 0;
  /** Since when the cloud's report answers carry mismatching acks (cleared by a clean answer). */
  ackMismatchSince: number | undefined;

  constructor(private readonly deps: ReportLaneDeps) {}

  /** False for a cloud port without report uploads: the reports then stay pending. */
  get supported(): boolean {
    return this.deps.cloud.uploadReports !== undefined;
  }

  /** The upload state of a pending report, when the lane has tried it since start. */
  state(kind: string, number: number): ReportUploadState | undefined {
    return this.states.get(reportKey(kind, number));
  }

  /** How many reports are set aside. */
  setAside(): number {
    let n = 0;
    for (const s of this.states.values()) if (s.setAside) n++;
    return n;
  }

  /** Starts the backoff over (the agent's wake-up). */
  resetBackoff(): void {
    this.consecutiveFailures = 0;
  }

  /** Manual retry: set-aside reports are sent again at the next drain. Returns how many. */
  retry(): number {
    const n = this.setAside();
    this.states.clear();
    this.consecutiveFailures = 0;
    return n;
  }

  /**
   * Uploads the pending reports of `credential`'s device, oldest first, one request at a time, until
   * none is left, the next one waits for a retry, a request fails or `stopped()`. Set-aside reports
   * are skipped.
   */
  async drain(credential: CloudCredential, stopped: () => boolean): Promise<SyncStep> {
    const size = Math.min(this.deps.config.batchSize, MAX_REPORT_ITEMS);
    let after: ReportCursor | undefined;
    let items = 0;
    let waitMs = 0;
    while (!stopped()) {
      const page = this.deps.reports.pendingUpload(credential.deviceId, UPLOADED_REPORT_KINDS, size, after);
      if (page.length === 0) break;
      const now = this.deps.now();
      const batch: StoredReport[] = [];
      let last = page.at(-1)!;
      for (const report of page) {
        const state = this.state(report.kind, report.number);
        if (state?.setAside) continue;
        if (state !== undefined && state.retryAt > now) {
          // The head waits for its retry, and everything after it (oldest first, as the outbox).
          waitMs = state.retryAt - now;
          last = batch.at(-1) ?? report;
          break;
        }
        batch.push(report);
      }
      after = { issuedAt: last.issuedAt, kind: last.kind, number: last.number };
      if (batch.length > 0) {
        const step = await this.upload(credential, batch);
        if (step.kind === "failed") return step;
        items += batch.length;
      }
      if (waitMs > 0) break;
    }
    if (items > 0) return { kind: "uploaded", items };
    return waitMs > 0 ? { kind: "waiting", waitMs } : { kind: "idle" };
  }

  private async upload(credential: CloudCredential, batch: StoredReport[]): Promise<SyncStep> {
    const { deps } = this;
    const started = deps.now();
    const label: RequestLabel = {
      first: reportLabel(batch[0]!),
      last: reportLabel(batch.at(-1)!),
      reports: batch.length,
    };
    deps.counters.reportAttempts++;
    let answer: ReportUploadResponse;
    try {
      // `supported` is checked by the agent before it drains.
      answer = await deps.cloud.uploadReports!(credential.credential, credential.deviceId, {
        batch_id: randomUUID(),
        reports: batch.map(reportItemOf),
      });
    } catch (err) {
      return this.failed(batch, label, started, err);
    }
    const { verdicts, unacked, mismatched, mismatches } = matchReportAcks(
      credential.deviceId,
      batch,
      answer.acks,
    );
    const now = deps.now();
    const tally = { accepted: 0, duplicate: 0, rejected: 0 };
    for (const v of verdicts) tally[v.outcome]++;
    const lying = mismatches.length > 0;
    // An answer with mismatching acks is a cloud error: the backoff steps.
    if (lying) this.consecutiveFailures++;
    const retryAt = now + backoffDelayMs(deps.config, lying ? this.consecutiveFailures : 1, deps.random);
    const outcome: AttemptOutcome = lying
      ? "cloud-error"
      : tally.rejected + unacked.length > 0
        ? "partial"
        : "ok";
    // A store error from here on is not the cloud's fault: it propagates to the loop, which logs it.
    const acked = verdicts.filter((v) => v.outcome !== "rejected").map((v) => v.report);
    deps.reports.markUploaded(credential.deviceId, acked, now);
    for (const r of acked) this.states.delete(reportKey(r.kind, r.number));
    const rejected = verdicts.filter((v) => v.outcome === "rejected");
    for (const { report, reason } of rejected) {
      const previous = this.state(report.kind, report.number);
      this.states.set(reportKey(report.kind, report.number), {
        attempts: (previous?.attempts ?? 0) + 1,
        cloudFailures: previous?.cloudFailures ?? 0,
        retryAt: 0,
        lastError: `rejected by the cloud: ${reason ?? "no reason given"}`,
        setAside: true,
      });
    }
    let setAsideNow = 0;
    setAsideNow += this.recordFailure(unacked, "the cloud sent no ack for this report", retryAt, true);
    const why = "E507 CLOUD_ACK_MISMATCH: the cloud's ack does not match the report sent";
    setAsideNow += this.recordFailure(mismatched, why, retryAt, true);
    deps.counters.reportsAccepted += tally.accepted;
    deps.counters.reportsDuplicate += tally.duplicate;
    deps.counters.reportsRejected += tally.rejected;
    deps.logger.info(
      { reports: label, outcome, ...tally, durationMs: now - started },
      "report upload attempt",
    );
    if (rejected.length > 0) {
      deps.logger.warn(
        {
          reports: label,
          rejected: rejected.map((v) => ({ report: reportLabel(v.report), reason: v.reason })),
        },
        "cloud rejected reports: set aside",
      );
    }
    if (setAsideNow > 0) {
      deps.logger.error({ setAside: setAsideNow }, "reports set aside after the maximum number of attempts");
    }
    deps.contact.answered(now, !lying);
    if (lying) {
      deps.counters.failedReportAttempts++;
      deps.counters.ackMismatches += mismatches.length;
      this.ackMismatchSince ??= now;
      logAckMismatches(deps.logger, label, mismatches);
      return { kind: "failed", outcome, waitMs: retryAt - now };
    }
    this.ackMismatchSince = undefined;
    this.consecutiveFailures = 0;
    return { kind: "uploaded", items: batch.length };
  }

  private failed(batch: StoredReport[], label: RequestLabel, started: number, err: unknown): SyncStep {
    const { deps } = this;
    const now = deps.now();
    const outcome: AttemptOutcome = isFiscalError(err, "CLOUD_UNREACHABLE")
      ? "unreachable"
      : isFiscalError(err, "CLOUD_CREDENTIAL_INVALID")
        ? "auth-refused"
        : "cloud-error";
    const message = err instanceof Error ? err.message : String(err);
    this.consecutiveFailures++;
    deps.counters.failedReportAttempts++;
    const waitMs = backoffDelayMs(deps.config, this.consecutiveFailures, deps.random);
    const setAsideNow = this.recordFailure(batch, message, now + waitMs, outcome === "cloud-error");
    deps.contact.failed(outcome, now);
    deps.logger.warn(
      {
        reports: label,
        outcome,
        err: message,
        retryInMs: waitMs,
        setAside: setAsideNow,
        durationMs: now - started,
      },
      "report upload failed",
    );
    if (setAsideNow > 0) {
      deps.logger.error({ setAside: setAsideNow }, "reports set aside after the maximum number of attempts");
    }
    return { kind: "failed", outcome, waitMs };
  }

  /**
   * Records a failed attempt on reports: `countsTowardsFailure` (the cloud answered with an error)
   * sets a report aside once it reached `maxAttempts`; an unreachable cloud only reschedules. Returns
   * how many were set aside now.
   */
  private recordFailure(
    reports: readonly StoredReport[],
    error: string,
    retryAt: number,
    countsTowardsFailure: boolean,
  ): number {
    let setAside = 0;
    for (const r of reports) {
      const previous = this.state(r.kind, r.number);
      const cloudFailures = (previous?.cloudFailures ?? 0) + (countsTowardsFailure ? 1 : 0);
      const givenUp = cloudFailures >= this.deps.config.maxAttempts;
      if (givenUp) setAside++;
      this.states.set(reportKey(r.kind, r.number), {
        attempts: (previous?.attempts ?? 0) + 1,
        cloudFailures,
        retryAt,
        lastError: error,
        setAside: givenUp,
      });
    }
    return setAside;
  }
}
