/**
 * The sync agent's side of the outbox: read the next batch in `seq` order, apply the cloud's per-item
 * acks, record a failed attempt, and the admin's manual retry. Each write is one synchronous
 * immediate transaction with no await inside, so a crash leaves every row either as it was or fully
 * updated; a batch cut short by a crash is simply uploaded again (the cloud answers `duplicate`).
 */

import type { SyncStatus } from "../fiscal/types.js";
import type { AckOutcome } from "../sync/contract.js";
import { type Db, statement } from "./database.js";
import type { InvoiceStore } from "./invoice-store.js";

/** One outbox row joined with its sealed record and invoice: what an upload item is built from. */
export interface QueuedRecord {
  readonly seq: number;
  readonly invoice_id: string;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly auth_code: string;
  readonly qr: string;
  readonly cashier_id: string;
  readonly api_key_id: string | null;
  readonly payload: Uint8Array | null;
}

/** The cloud's verdict on one queued row. */
export interface RowAck {
  readonly invoiceId: string;
  readonly outcome: AckOutcome;
  readonly reason?: string;
  readonly dgiStatus: string | null;
}

/** An outbox row as the admin channel lists it. */
export interface QueueEntry {
  readonly seq: number;
  readonly invoice_id: string;
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly status: SyncStatus;
  readonly attempts: number;
  readonly cloud_failures: number;
  readonly next_attempt_at: number;
  readonly last_error: string | null;
  readonly dgi_status: string | null;
  readonly ack_outcome: AckOutcome | null;
  readonly enqueued_at: number;
  readonly acked_at: number | null;
}

/** Queue depth and age, for status and the admin channel. */
export interface QueueSummary {
  readonly pending: number;
  readonly failed: number;
  readonly acked: number;
  /** enqueued_at of the oldest PENDING row, ms since the epoch. */
  readonly oldestPendingAt: number | null;
}

/** Outbox operations of the sync agent. */
export class SyncQueue {
  constructor(
    private readonly db: Db,
    private readonly invoices: InvoiceStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `fn` in one immediate transaction: the acks of a batch and its log entry share one fsync. */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * The next `limit` PENDING rows after `afterSeq`, in seq order. Only this batch is read into memory:
   * the partial index `outbox_pending_seq` makes this a range scan, whatever the backlog. It is named
   * (INDEXED BY) because without statistics the planner picks `outbox_due` and sorts every pending row
   * per batch, which made a drain quadratic in the backlog.
   */
  nextBatch(limit: number, afterSeq = 0): QueuedRecord[] {
    return statement(
      this.db,
      `SELECT o.seq, o.invoice_id, o.attempts, o.next_attempt_at, r.device_id, r.fiscal_number, r.record,
           r.signature, r.auth_code, r.qr, i.cashier_id, i.api_key_id, i.payload
         FROM outbox o INDEXED BY outbox_pending_seq
         JOIN fiscal_records r ON r.invoice_id = o.invoice_id JOIN invoices i ON i.id = o.invoice_id
         WHERE o.status = 'PENDING' AND o.seq > ? ORDER BY o.seq LIMIT ?`,
    ).all(afterSeq, limit) as QueuedRecord[];
  }

  /**
   * Applies per-item acks: accepted and duplicate → ACKED (and a DELIVERED invoice → SYNCED, the
   * mirror of FiscalService.markDelivered); rejected → FAILED with the cloud's reason. Rows already
   * ACKED are left alone, so a replayed ack is harmless.
   */
  applyAcks(acks: readonly RowAck[]): void {
    const at = this.now();
    const acked = statement(
      this.db,
      `UPDATE outbox SET status = 'ACKED', ack_outcome = ?, dgi_status = ?, acked_at = ?, attempts = attempts + 1,
         last_error = NULL WHERE invoice_id = ? AND status <> 'ACKED'`,
    );
    const rejected = statement(
      this.db,
      `UPDATE outbox SET status = 'FAILED', ack_outcome = 'rejected', last_error = ?, attempts = attempts + 1
       WHERE invoice_id = ? AND status = 'PENDING'`,
    );
    this.db
      .transaction(() => {
        for (const ack of acks) {
          if (ack.outcome === "rejected") {
            rejected.run(`rejected by the cloud: ${ack.reason ?? "no reason given"}`, ack.invoiceId);
            continue;
          }
          if (acked.run(ack.outcome, ack.dgiStatus, at, ack.invoiceId).changes === 1) {
            this.invoices.markSynced(ack.invoiceId, "acknowledged by the cloud");
          }
        }
      })
      .immediate();
  }

  /**
   * Records a failed attempt on rows: `countsTowardsFailure` (the cloud answered with an error) moves
   * a row to FAILED once it reached `maxFailures`; an unreachable cloud only reschedules.
   */
  recordFailure(
    invoiceIds: readonly string[],
    error: string,
    nextAttemptAt: number,
    countsTowardsFailure: boolean,
    maxFailures: number,
  ): number {
    const bump = countsTowardsFailure ? 1 : 0;
    const update = statement(
      this.db,
      `UPDATE outbox SET attempts = attempts + 1, cloud_failures = cloud_failures + ?, last_error = ?,
         next_attempt_at = ?, status = CASE WHEN cloud_failures + ? >= ? THEN 'FAILED' ELSE 'PENDING' END
       WHERE invoice_id = ? AND status = 'PENDING'`,
    );
    const failedNow = statement(
      this.db,
      "SELECT COUNT(*) FROM outbox WHERE invoice_id = ? AND status = 'FAILED'",
    ).pluck();
    let failed = 0;
    this.db
      .transaction(() => {
        for (const id of invoiceIds) {
          update.run(bump, error, nextAttemptAt, bump, maxFailures, id);
          if (countsTowardsFailure && (failedNow.get(id) as number) > 0) failed++;
        }
      })
      .immediate();
    return failed;
  }

  /**
   * Manual retry: FAILED rows (all, or the given invoices) back to PENDING with their failure count
   * reset. Returns how many rows were requeued.
   */
  retry(invoiceIds?: readonly string[]): number {
    const at = this.now();
    if (invoiceIds === undefined) {
      return statement(
        this.db,
        `UPDATE outbox SET status = 'PENDING', cloud_failures = 0, next_attempt_at = ?, ack_outcome = NULL
           WHERE status = 'FAILED'`,
      ).run(at).changes;
    }
    const one = statement(
      this.db,
      `UPDATE outbox SET status = 'PENDING', cloud_failures = 0, next_attempt_at = ?, ack_outcome = NULL
       WHERE invoice_id = ? AND status = 'FAILED'`,
    );
    let n = 0;
    this.db
      .transaction(() => {
        for (const id of invoiceIds) n += one.run(at, id).changes;
      })
      .immediate();
    return n;
  }

  /** Rows by status, in seq order after `afterSeq` (keyset pagination). */
  list(status: SyncStatus | undefined, afterSeq: number, limit: number): QueueEntry[] {
    return statement(
      this.db,
      `SELECT o.seq, o.invoice_id, r.device_id, r.fiscal_number, o.status, o.attempts, o.cloud_failures,
           o.next_attempt_at, o.last_error, o.dgi_status, o.ack_outcome, o.enqueued_at, o.acked_at
         FROM outbox o JOIN fiscal_records r ON r.invoice_id = o.invoice_id
         WHERE (@status IS NULL OR o.status = @status) AND o.seq > @after ORDER BY o.seq LIMIT @limit`,
    ).all({ status: status ?? null, after: afterSeq, limit }) as QueueEntry[];
  }

  /** The queue row of one invoice, or undefined when it was never queued. */
  entryOf(invoiceId: string): QueueEntry | undefined {
    return statement(
      this.db,
      `SELECT o.seq, o.invoice_id, r.device_id, r.fiscal_number, o.status, o.attempts, o.cloud_failures,
           o.next_attempt_at, o.last_error, o.dgi_status, o.ack_outcome, o.enqueued_at, o.acked_at
         FROM outbox o JOIN fiscal_records r ON r.invoice_id = o.invoice_id WHERE o.invoice_id = ?`,
    ).get(invoiceId) as QueueEntry | undefined;
  }

  /**
   * Queue depth per status and the age of the head, in O(1) whatever the backlog: the counts are
   * kept by triggers (migration 3) and the head is the first entry of the `outbox_pending_seq` index.
   */
  summary(): QueueSummary {
    const counts = statement(this.db, "SELECT status, n FROM outbox_counts").all() as {
      status: string;
      n: number;
    }[];
    const by = Object.fromEntries(counts.map((c) => [c.status, c.n]));
    const oldest = statement(
      this.db,
      "SELECT enqueued_at FROM outbox INDEXED BY outbox_pending_seq WHERE status = 'PENDING' ORDER BY seq LIMIT 1",
    )
      .pluck()
      .get() as number | undefined;
    return {
      pending: by.PENDING ?? 0,
      failed: by.FAILED ?? 0,
      acked: by.ACKED ?? 0,
      oldestPendingAt: oldest ?? null,
    };
  }
}
