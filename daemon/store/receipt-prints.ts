/**
 * The receipt log: every printed rendering of a sealed invoice, numbered per invoice. Copy 1 is the
 * original and every later copy a DUPLICATA that keeps the original's number (SFE EG1.8, EG1.15,
 * §1.2 f). A copy is claimed in one immediate transaction before it is rendered, so two requests
 * at once cannot both get copy 1; a rendering that then fails still counts, which errs the safe way
 * (a lost original is reprinted as a duplicate; two originals never exist).
 */
import type { ExportedPrint } from "../../protocol/index.js";
import { type Db, statement } from "./database.js";

/** One printed copy, as logged. */
export interface ReceiptPrint {
  readonly copy_number: number;
  readonly format: string;
  readonly lang: string;
  readonly requested_by: string;
  /** ISO 8601 UTC. */
  readonly at: string;
}

/** What the invoice view says about its printed copies. */
export interface ReceiptSummary {
  /** Copies printed, the original included. */
  readonly printed: number;
  /** Of those, duplicates (every copy after the first). */
  readonly duplicates: number;
  readonly last_printed_at: string | null;
}

interface PrintRow {
  copy_number: number;
  format: string;
  lang: string;
  requested_by: string;
  at: number;
}

/** Claims and reads printed copies. */
export class ReceiptPrints {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Claims the next copy of `invoiceId`: 1 for the original, 2 and up for duplicates. */
  claim(invoiceId: string, format: string, lang: string, requestedBy: string): number {
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare("SELECT MAX(copy_number) AS n FROM receipt_prints WHERE invoice_id = ?")
          .get(invoiceId) as { n: number | null };
        const copy = (last.n ?? 0) + 1;
        this.db
          .prepare(
            "INSERT INTO receipt_prints (invoice_id, copy_number, format, lang, requested_by, at) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run(invoiceId, copy, format, lang, requestedBy, this.now());
        return copy;
      })
      .immediate();
  }

  /**
   * The copies of a device's record by fiscal number, as a journal export's `prints` carries them
   * (docs/EXPORT.md §1); none for a record the store does not hold.
   */
  printsOfRecord(deviceId: string, fiscalNumber: number): ExportedPrint[] {
    const row = this.db
      .prepare("SELECT invoice_id FROM fiscal_records WHERE device_id = ? AND fiscal_number = ?")
      .get(deviceId, fiscalNumber) as { invoice_id: string } | undefined;
    return row === undefined ? [] : (this.printsOf(row.invoice_id) as ExportedPrint[]);
  }

  /** The copies of `invoiceId`, in order. */
  printsOf(invoiceId: string): ReceiptPrint[] {
    const rows = this.db
      .prepare(
        "SELECT copy_number, format, lang, requested_by, at FROM receipt_prints WHERE invoice_id = ? ORDER BY copy_number",
      )
      .all(invoiceId) as PrintRow[];
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }
}

/** The summary the invoice view shows. */
export function receiptSummaryOf(db: Db, invoiceId: string): ReceiptSummary {
  const row = statement(
    db,
    "SELECT COUNT(*) AS n, MAX(at) AS last FROM receipt_prints WHERE invoice_id = ?",
  ).get(invoiceId) as { n: number; last: number | null };
  return {
    printed: row.n,
    duplicates: Math.max(0, row.n - 1),
    last_printed_at: row.last === null ? null : new Date(row.last).toISOString(),
  };
}
