/**
 * Read-only lookups into the fiscal journal: by fiscal number, payload hash or client reference, a
 * page for JOURNAL_READ, the tail SELF_TEST re-verifies, and what credit notes are checked with (the
 * sum and the invoices of the earlier credits against an original).
 * Statements are prepared once: PREPARE and COMMIT run several of them each.
 */
import type Database from "better-sqlite3";
import type { InvoiceTypeV2, SealedRecord } from "../../protocol/index.js";

/** One journal row: the sealed record, the invoice it seals, and the columns that index it. */
export interface JournalRow {
  readonly fiscalNumber: number;
  readonly typeNumber: number;
  /** A record v1's type is one of the v2 names too (v2 only added EXPORT_ADVANCE). */
  readonly invoiceType: InvoiceTypeV2;
  readonly total: number;
  readonly currency: string;
  /** The record, its signature, auth code and QR, as sealed at COMMIT (without `invoice`). */
  readonly sealed: SealedRecord;
  /** The canonical invoice bytes; null for a record sealed before the journal kept them (v1). */
  readonly invoice: Uint8Array | null;
  /** Null for a record v1, which carries no year number. */
  readonly fiscalYear: number | null;
  readonly yearNumber: number | null;
}

/** Row counts the self-test compares with the counters. */
export interface JournalCounts {
  readonly rows: number;
  readonly maxFiscalNumber: number;
  readonly byType: Readonly<Record<string, { readonly rows: number; readonly maxTypeNumber: number }>>;
  /** Per fiscal year (rows that carry one): how many rows and the highest year number. */
  readonly byYear: Readonly<Record<string, { readonly rows: number; readonly maxYearNumber: number }>>;
}

interface RawRow {
  fiscal_number: number;
  type_number: number;
  invoice_type: InvoiceTypeV2;
  total: number;
  currency: string;
  record: Buffer;
  signature: Buffer;
  auth_code: string;
  qr: string;
  invoice: Buffer | null;
  fiscal_year: number | null;
  year_number: number | null;
}

const COLUMNS =
  "fiscal_number, type_number, invoice_type, total, currency, record, signature, auth_code, qr, invoice, fiscal_year, year_number";

function toRow(raw: RawRow | undefined): JournalRow | undefined {
  if (raw === undefined) return undefined;
  return {
    fiscalNumber: raw.fiscal_number,
    typeNumber: raw.type_number,
    invoiceType: raw.invoice_type,
    total: raw.total,
    currency: raw.currency,
    sealed: {
      record: new Uint8Array(raw.record),
      signature: new Uint8Array(raw.signature),
      auth_code: raw.auth_code,
      qr: raw.qr,
    },
    invoice: raw.invoice === null ? null : new Uint8Array(raw.invoice),
    fiscalYear: raw.fiscal_year,
    yearNumber: raw.year_number,
  };
}

/** Prepared read statements over one open fiscal memory. */
export class JournalQueries {
  private readonly byNumber: Database.Statement;
  private readonly byHash: Database.Statement;
  private readonly byRef: Database.Statement;
  private readonly credited: Database.Statement;
  private readonly creditInvoices: Database.Statement;
  private readonly page: Database.Statement;
  private readonly tailRows: Database.Statement;
  private readonly spanRows: Database.Statement;

  /** Prepares every statement against `db`. */
  constructor(private readonly db: Database.Database) {
    this.byNumber = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE fiscal_number = ?`);
    this.byHash = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE payload_hash = ?`);
    this.byRef = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE client_ref = ?`);
    this.credited = db.prepare(
      "SELECT COALESCE(SUM(total), 0) AS sum FROM journal WHERE ref_device_id = ? AND ref_fiscal_number = ?",
    );
    // Served by the journal_reference index (ref_device_id, ref_fiscal_number).
    this.creditInvoices = db.prepare(
      "SELECT invoice FROM journal WHERE ref_device_id = ? AND ref_fiscal_number = ? ORDER BY fiscal_number",
    );
    this.page = db.prepare(
      `SELECT ${COLUMNS} FROM journal WHERE fiscal_number >= ? ORDER BY fiscal_number LIMIT ?`,
    );
    this.tailRows = db.prepare(`SELECT ${COLUMNS} FROM journal ORDER BY fiscal_number DESC LIMIT ?`);
    this.spanRows = db.prepare(
      `SELECT ${COLUMNS} FROM journal WHERE fiscal_number BETWEEN ? AND ? ORDER BY fiscal_number`,
    );
  }

  /** The record with this fiscal number. */
  byFiscalNumber(fiscalNumber: number): JournalRow | undefined {
    return toRow(this.byNumber.get(fiscalNumber) as RawRow | undefined);
  }

  /** The record sealing this payload hash. */
  byPayloadHash(payloadHash: Uint8Array): JournalRow | undefined {
    return toRow(this.byHash.get(Buffer.from(payloadHash)) as RawRow | undefined);
  }

  /** The record with this client reference. */
  byClientRef(clientRef: string): JournalRow | undefined {
    return toRow(this.byRef.get(clientRef) as RawRow | undefined);
  }

  /** Sum of the totals of the credit notes already sealed against (deviceId, fiscalNumber). */
  creditedTotal(deviceId: string, fiscalNumber: number): number {
    return (this.credited.get(deviceId, fiscalNumber) as { sum: number }).sum;
  }

  /**
   * The canonical invoice bytes of the credit notes already sealed against (deviceId, fiscalNumber),
   * oldest first. A credit note sealed before the journal kept invoices has none and is left out.
   */
  creditInvoicesAgainst(deviceId: string, fiscalNumber: number): Uint8Array[] {
    const rows = this.creditInvoices.all(deviceId, fiscalNumber) as { invoice: Buffer | null }[];
    return rows.flatMap((r) => (r.invoice === null ? [] : [new Uint8Array(r.invoice)]));
  }

  /** Up to `limit` records from fiscal number `from` on, ascending. */
  range(from: number, limit: number): JournalRow[] {
    return (this.page.all(from, limit) as RawRow[]).map((r) => toRow(r)!);
  }

  /** Every record with a fiscal number from `from` to `to`, ascending (what a report covers). */
  span(from: number, to: number): JournalRow[] {
    return (this.spanRows.all(from, to) as RawRow[]).map((r) => toRow(r)!);
  }

  /** The newest `count` records, ascending. */
  tail(count: number): JournalRow[] {
    return (this.tailRows.all(count) as RawRow[]).map((r) => toRow(r)!).reverse();
  }

  /** Row counts overall and per invoice type. */
  counts(): JournalCounts {
    const all = this.db
      .prepare("SELECT COUNT(*) AS n, COALESCE(MAX(fiscal_number), 0) AS max FROM journal")
      .get() as { n: number; max: number };
    const perType = this.db
      .prepare("SELECT invoice_type AS t, COUNT(*) AS n, MAX(type_number) AS max FROM journal GROUP BY 1")
      .all() as { t: string; n: number; max: number }[];
    const perYear = this.db
      .prepare(
        `SELECT fiscal_year AS y, COUNT(*) AS n, MAX(year_number) AS max FROM journal
           WHERE fiscal_year IS NOT NULL GROUP BY 1`,
      )
      .all() as { y: number; n: number; max: number }[];
    return {
      rows: all.n,
      maxFiscalNumber: all.max,
      byType: Object.fromEntries(perType.map((r) => [r.t, { rows: r.n, maxTypeNumber: r.max }])),
      byYear: Object.fromEntries(perYear.map((r) => [String(r.y), { rows: r.n, maxYearNumber: r.max }])),
    };
  }
}
