/**
 * Read-only lookups into the fiscal journal: by fiscal number, payload hash or client reference, a
 * page for JOURNAL_READ, the tail SELF_TEST re-verifies, and the sums credit notes are checked with.
 * Statements are prepared once: PREPARE and COMMIT run several of them each.
 */
import type Database from "better-sqlite3";
import type { InvoiceType, SealedRecord } from "../../protocol/index.js";

/** One journal row: the sealed record and the columns that index it. */
export interface JournalRow {
  readonly fiscalNumber: number;
  readonly typeNumber: number;
  readonly invoiceType: InvoiceType;
  readonly total: number;
  readonly currency: string;
  readonly sealed: SealedRecord;
}

/** Row counts the self-test compares with the counters. */
export interface JournalCounts {
  readonly rows: number;
  readonly maxFiscalNumber: number;
  readonly byType: Readonly<Record<string, { readonly rows: number; readonly maxTypeNumber: number }>>;
}

interface RawRow {
  fiscal_number: number;
  type_number: number;
  invoice_type: InvoiceType;
  total: number;
  currency: string;
  record: Buffer;
  signature: Buffer;
  auth_code: string;
  qr: string;
}

const COLUMNS = "fiscal_number, type_number, invoice_type, total, currency, record, signature, auth_code, qr";

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
  };
}

/** Prepared read statements over one open fiscal memory. */
export class JournalQueries {
  private readonly byNumber: Database.Statement;
  private readonly byHash: Database.Statement;
  private readonly byRef: Database.Statement;
  private readonly credited: Database.Statement;
  private readonly page: Database.Statement;
  private readonly tailRows: Database.Statement;

  /** Prepares every statement against `db`. */
  constructor(private readonly db: Database.Database) {
    this.byNumber = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE fiscal_number = ?`);
    this.byHash = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE payload_hash = ?`);
    this.byRef = db.prepare(`SELECT ${COLUMNS} FROM journal WHERE client_ref = ?`);
    this.credited = db.prepare(
      "SELECT COALESCE(SUM(total), 0) AS sum FROM journal WHERE ref_device_id = ? AND ref_fiscal_number = ?",
    );
    this.page = db.prepare(
      `SELECT ${COLUMNS} FROM journal WHERE fiscal_number >= ? ORDER BY fiscal_number LIMIT ?`,
    );
    this.tailRows = db.prepare(`SELECT ${COLUMNS} FROM journal ORDER BY fiscal_number DESC LIMIT ?`);
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

  /** Up to `limit` records from fiscal number `from` on, ascending. */
  range(from: number, limit: number): JournalRow[] {
    return (this.page.all(from, limit) as RawRow[]).map((r) => toRow(r)!);
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
    return {
      rows: all.n,
      maxFiscalNumber: all.max,
      byType: Object.fromEntries(perType.map((r) => [r.t, { rows: r.n, maxTypeNumber: r.max }])),
    };
  }
}
