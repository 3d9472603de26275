/**
 * The reads of the invoice store: by id, by key, by payload, the sealed records, the journal's extent
 * and gaps, the open invoices. Nothing here writes; InvoiceStore (invoice-store.ts) adds the writes.
 */

import type { InvoiceTotals } from "../../protocol/index.js";
import type { InvoiceState } from "../fiscal/types.js";
import { type Db, statement } from "./database.js";
import { type ReceiptSummary, receiptSummaryOf } from "./receipt-prints.js";

/** An invoice row as stored. */
export interface InvoiceRow {
  readonly id: string;
  readonly idempotency_key: string | null;
  readonly request_fingerprint: string | null;
  readonly client_ref: string;
  readonly type: string;
  readonly state: InvoiceState;
  readonly api_key_id: string | null;
  readonly cashier_id: string;
  readonly currency: string;
  readonly totals_json: string;
  readonly payload: Uint8Array | null;
  readonly payload_hash: Uint8Array;
  readonly ref_device_id: string | null;
  readonly ref_fiscal_number: number | null;
  readonly nonce: Uint8Array | null;
  readonly commit_before: number | null;
  readonly error_code: number | null;
  readonly error_message: string | null;
  readonly source: string;
  /** `one-shot` (POST /v1/invoices) or `two-step` (prepare, then commit). */
  readonly mode: string;
  readonly created_at: number;
}

/** A sealed record as stored next to its invoice. */
export interface RecordRow {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_id: string;
  readonly type_number: number;
  readonly issued_at: number;
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly auth_code: string;
  readonly qr: string;
  readonly record_hash: Uint8Array;
}

/** Read-only queries over invoices and their records. */
export class InvoiceReads {
  constructor(protected readonly db: Db) {}

  /** The invoice with this id. */
  byId(id: string): InvoiceRow | undefined {
    return statement(this.db, "SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRow | undefined;
  }

  /** The invoice an API key's Idempotency-Key is bound to. */
  boundTo(apiKeyId: string, key: string): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT invoices.* FROM idempotency_keys k JOIN invoices ON invoices.id = k.invoice_id
         WHERE k.api_key_id = ? AND k.idempotency_key = ?`,
    ).get(apiKeyId, key) as InvoiceRow | undefined;
  }

  /** The latest attempt an API key made with this Idempotency-Key that is still open (PREPARING, PREPARED). */
  openAttempt(apiKeyId: string, key: string): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT * FROM invoices WHERE api_key_id = ? AND idempotency_key = ? AND state IN ('PREPARING', 'PREPARED')
         ORDER BY rowid DESC LIMIT 1`,
    ).get(apiKeyId, key) as InvoiceRow | undefined;
  }

  /**
   * For the technician, across API keys: the invoice with this id, else the one most recently bound to
   * this Idempotency-Key, else the sealed one with this client_ref.
   */
  byIdOrAnyKey(key: string): InvoiceRow | undefined {
    return (
      this.byId(key) ??
      (statement(
        this.db,
        `SELECT invoices.* FROM idempotency_keys k JOIN invoices ON invoices.id = k.invoice_id
           WHERE k.idempotency_key = ? ORDER BY k.bound_at DESC LIMIT 1`,
      ).get(key) as InvoiceRow | undefined) ??
      this.sealedByClientRef(key)
    );
  }

  /** Two-step invoices still PREPARED whose nonce expired before `now`. */
  expiredPrepared(now: number): InvoiceRow[] {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE state = 'PREPARED' AND mode = 'two-step' AND commit_before <= ? ORDER BY rowid",
    ).all(now) as InvoiceRow[];
  }

  /** The latest open invoice (PREPARING, PREPARED) with this payload hash, if any. */
  openByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE payload_hash = ? AND state IN ('PREPARING', 'PREPARED') ORDER BY rowid DESC LIMIT 1",
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The open invoice holding this device nonce, if any. */
  openByNonce(nonce: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE nonce = ? AND state IN ('PREPARING', 'PREPARED') LIMIT 1",
    ).get(nonce) as InvoiceRow | undefined;
  }

  /**
   * The latest POS invoice (not an import) with this payload hash that the store holds unsealed and
   * the device may have sealed: open or ABORTED. A REJECTED one never is (the device refused its
   * PREPARE), so it never hides an older ABORTED attempt of the same payload.
   */
  unsealedByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT * FROM invoices WHERE payload_hash = ? AND source = 'pos'
         AND state IN ('PREPARING', 'PREPARED', 'ABORTED') ORDER BY rowid DESC LIMIT 1`,
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The sealed invoice with this payload hash (at most one: the device refuses to seal a payload twice). */
  sealedByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE payload_hash = ? AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED') LIMIT 1",
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The sealed invoice with this client_ref. */
  sealedByClientRef(clientRef: string): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE client_ref = ? AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED') LIMIT 1",
    ).get(clientRef) as InvoiceRow | undefined;
  }

  /** The invoice imported from the device journal (no key owns it) with this client_ref. */
  importedByClientRef(clientRef: string): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE client_ref = ? AND source = 'device-journal' LIMIT 1",
    ).get(clientRef) as InvoiceRow | undefined;
  }

  /** The sealed record of an invoice. */
  recordOf(invoiceId: string): RecordRow | undefined {
    return statement(this.db, "SELECT * FROM fiscal_records WHERE invoice_id = ?").get(invoiceId) as
      | RecordRow
      | undefined;
  }

  /** The sealed record with this fiscal number on this device. */
  /** How many receipts of the invoice were printed (receipt-prints.ts). */
  receiptSummaryOf(invoiceId: string): ReceiptSummary {
    return receiptSummaryOf(this.db, invoiceId);
  }

  recordByNumber(deviceId: string, fiscalNumber: number): RecordRow | undefined {
    return statement(this.db, "SELECT * FROM fiscal_records WHERE device_id = ? AND fiscal_number = ?").get(
      deviceId,
      fiscalNumber,
    ) as RecordRow | undefined;
  }

  /**
   * The records of fiscal numbers `from` … `to` with the canonical invoice each seals (null when the
   * store has none, as for a record v1), in fiscal-number order: what a report covers.
   */
  recordsBetween(
    deviceId: string,
    from: number,
    to: number,
  ): { fiscal_number: number; record: Uint8Array; payload: Uint8Array | null }[] {
    return statement(
      this.db,
      `SELECT r.fiscal_number, r.record, i.payload FROM fiscal_records r JOIN invoices i ON i.id = r.invoice_id
         WHERE r.device_id = ? AND r.fiscal_number BETWEEN ? AND ? ORDER BY r.fiscal_number`,
    ).all(deviceId, from, to) as { fiscal_number: number; record: Uint8Array; payload: Uint8Array | null }[];
  }

  /**
   * The records a device issued from `fromMs` (inclusive) to `toMs` (exclusive), by device time, with
   * their invoices, in fiscal-number order: the console's "today" (fiscal_records_issued index).
   */
  recordsIssuedBetween(
    deviceId: string,
    fromMs: number,
    toMs: number,
  ): { fiscal_number: number; record: Uint8Array; payload: Uint8Array | null }[] {
    return statement(
      this.db,
      `SELECT r.fiscal_number, r.record, i.payload FROM fiscal_records r JOIN invoices i ON i.id = r.invoice_id
         WHERE r.device_id = ? AND r.issued_at >= ? AND r.issued_at < ? ORDER BY r.fiscal_number`,
    ).all(deviceId, fromMs, toMs) as {
      fiscal_number: number;
      record: Uint8Array;
      payload: Uint8Array | null;
    }[];
  }

  /** The highest fiscal number stored for a device and how many records are stored (0, 0 when none). */
  journalExtent(deviceId: string): { max: number; count: number } {
    const row = statement(
      this.db,
      "SELECT COALESCE(MAX(fiscal_number), 0) AS max, COUNT(*) AS count FROM fiscal_records WHERE device_id = ?",
    ).get(deviceId) as { max: number; count: number };
    return row;
  }

  /** The lowest fiscal number in 1..max missing from the store, or undefined when contiguous. */
  firstGap(deviceId: string): number | undefined {
    const { max, count } = this.journalExtent(deviceId);
    if (count === max) return undefined;
    const row = statement(
      this.db,
      `SELECT 1 AS n WHERE NOT EXISTS (SELECT 1 FROM fiscal_records WHERE device_id = @d AND fiscal_number = 1)
         UNION ALL
         SELECT fiscal_number + 1 FROM fiscal_records r WHERE device_id = @d AND NOT EXISTS
           (SELECT 1 FROM fiscal_records WHERE device_id = @d AND fiscal_number = r.fiscal_number + 1)
         ORDER BY n LIMIT 1`,
    ).get({ d: deviceId }) as { n: number } | undefined;
    return row?.n;
  }

  /** The sealed credit notes against an original: their totals and canonical payloads (for line checks). */
  creditsAgainst(deviceId: string, fiscalNumber: number): { total: number; payload: Buffer | null }[] {
    const rows = statement(
      this.db,
      `SELECT totals_json, payload FROM invoices WHERE ref_device_id = ? AND ref_fiscal_number = ?
           AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED')`,
    ).all(deviceId, fiscalNumber) as { totals_json: string; payload: Buffer | null }[];
    return rows.map((r) => ({
      total: (JSON.parse(r.totals_json) as InvoiceTotals).total,
      payload: r.payload,
    }));
  }

  /** Invoices whose outcome at the device is not final (PREPARING, PREPARED). */
  openInvoices(): InvoiceRow[] {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE state IN ('PREPARING', 'PREPARED') ORDER BY rowid",
    ).all() as InvoiceRow[];
  }

  /** Runs a read-only query over invoices (for the list's dynamic filters). */
  query<T>(sql: string, params: readonly (string | number)[]): T[] {
    return statement(this.db, sql).all(...params) as T[];
  }

  /** Transitions of an invoice, oldest first. */
  transitionsOf(invoiceId: string): { state: InvoiceState; at: number; note: string | null }[] {
    return statement(
      this.db,
      "SELECT state, at, note FROM invoice_transitions WHERE invoice_id = ? ORDER BY id",
    ).all(invoiceId) as { state: InvoiceState; at: number; note: string | null }[];
  }
}
