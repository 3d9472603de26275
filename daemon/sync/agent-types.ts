/**
 * The sync agent's types: what it needs, what it counts, what a step did and the live state its
 * status conditions are built from (agent.ts re-exports them).
 */
import type { Logger } from "pino";
import type { CloudCredential } from "../store/cloud-credential.js";
import type { AttemptOutcome, SyncAttemptLog } from "../store/sync-log.js";
import type { QueueSummary, SyncQueue } from "../store/sync-queue.js";
import type { CloudPort } from "./client.js";
import type { SyncConfig } from "./config.js";
import type { ReportUploadStore } from "./report-lane.js";

/** What the agent needs. */
export interface SyncAgentDeps {
  readonly queue: SyncQueue;
  readonly attempts: SyncAttemptLog;
  readonly credentials: {
    current(): CloudCredential | undefined;
    replace(deviceId: string, credential: string, actor: string): void;
  };
  readonly cloud: CloudPort;
  /**
   * The stored fiscal reports to upload (FiscalReports), in a lane of their own beside the invoices
   * (report-lane.ts); without it the agent uploads no report.
   */
  readonly reports?: ReportUploadStore;
  readonly config: SyncConfig;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** Counters since start, for status and metrics. */
export interface SyncCounters {
  attempts: number;
  failedAttempts: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /**
   * Acks that matched no record or report the daemon sent (CLOUD_ACK_MISMATCH): never taken as acks.
   */
  ackMismatches: number;
  /** Report uploads (report-lane.ts): requests, failed requests, and the acks per outcome. */
  reportAttempts: number;
  failedReportAttempts: number;
  reportsAccepted: number;
  reportsDuplicate: number;
  reportsRejected: number;
}

/** What one step of the agent did (`items`: invoices, or reports for the report lane). */
export type SyncStep =
  | { readonly kind: "idle" }
  | { readonly kind: "waiting"; readonly waitMs: number }
  | { readonly kind: "uploaded"; readonly items: number }
  | { readonly kind: "failed"; readonly outcome: AttemptOutcome; readonly waitMs: number };

/** One drain's shared state: whether one of its batches already failed. */
export interface DrainRound {
  failed: boolean;
}

/** Live state the conditions are built from. */
export interface SyncHealth {
  readonly startedAt: number;
  readonly lastContactAt: number | undefined;
  readonly unreachableSince: number | undefined;
  readonly credentialRefusedAt: number | undefined;
  readonly hasCredential: boolean;
  /** False when no cloud URL is configured: nothing is uploaded (CLOUD_NOT_CONFIGURED). */
  readonly cloudConfigured: boolean;
  /** Since when the cloud's answers carry mismatching acks (cleared by a clean answer). */
  readonly ackMismatchSince: number | undefined;
  /** Mismatching acks since start. */
  readonly ackMismatches: number;
  readonly summary: QueueSummary;
}
