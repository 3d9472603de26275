/**
 * The upload outbox: one row per sealed invoice, written in the same transaction as the record
 * (InvoiceStore.seal). The sync agent claims, uploads and acks rows; this module reads their state.
 */
import type { SyncStatus } from "../fiscal/types.js";
import { type Db, statement } from "./database.js";

/** Upload state of one invoice. */
export interface OutboxStatus {
  readonly status: SyncStatus;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly dgi_status: string | null;
}

/** Read access to the outbox. */
export interface OutboxReader {
  statusOf(invoiceId: string): OutboxStatus | undefined;
}

/** Outbox queries over SQLite. */
export class OutboxStore implements OutboxReader {
  constructor(private readonly db: Db) {}

  statusOf(invoiceId: string): OutboxStatus | undefined {
    return statement(
      this.db,
      "SELECT status, attempts, last_error, dgi_status FROM outbox WHERE invoice_id = ?",
    ).get(invoiceId) as OutboxStatus | undefined;
  }
}
