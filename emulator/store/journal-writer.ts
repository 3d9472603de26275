/**
 * JournalWriter: the one write that matters, appending a sealed record. The journal row (with the
 * canonical invoice bytes it seals), the global counter, the chain tip, the type counter and the year
 * counter move in ONE immediate transaction that re-reads the global and year counters inside it, so
 * a kill at any instant leaves all of them or none, and a record can only ever follow the record it
 * was chained to and the number it was counted after.
 */
import type Database from "better-sqlite3";
import { FiscalError, type InvoiceTypeV2, type SealedRecord } from "../../protocol/index.js";

/** A credit note's reference as indexed: the original (COR, RAN, RAM), or none for RRR. */
export interface JournalReference {
  readonly device_id?: string;
  readonly fiscal_number?: number;
  /** The nature (COR, RAN, RAM, RRR); VOID or REFUND on a record v1. */
  readonly kind: string;
}

/** One record to append, with the columns that index it. */
export interface JournalAppend {
  readonly fiscalNumber: number;
  readonly typeNumber: number;
  readonly invoiceType: InvoiceTypeV2;
  readonly fiscalYear: number;
  readonly yearNumber: number;
  readonly issuedAt: number;
  /** The sealed record, without `invoice`: the bytes travel in their own column. */
  readonly sealed: SealedRecord;
  /** The canonical invoice bytes the record seals (SHA-256 = payloadHash). */
  readonly invoice: Uint8Array;
  readonly recordHash: Uint8Array;
  readonly payloadHash: Uint8Array;
  readonly clientRef: string;
  readonly total: number;
  readonly currency: string;
  readonly reference?: JournalReference;
}

const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** Prepared append statements over one open fiscal memory. */
export class JournalWriter {
  private readonly write: Database.Transaction<(entry: JournalAppend) => void>;

  /** Prepares the statements and the transaction against `db`. */
  constructor(db: Database.Database) {
    const head = db.prepare("SELECT last_fiscal_number AS n FROM device");
    const yearHead = db.prepare("SELECT last_number AS n FROM year_counter WHERE fiscal_year = ?");
    const insert = db.prepare(
      `INSERT INTO journal (fiscal_number, type_number, invoice_type, issued_at, record, signature,
         auth_code, qr, payload_hash, client_ref, total, currency, ref_device_id, ref_fiscal_number,
         ref_kind, invoice, fiscal_year, year_number)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const counters = db.prepare(
      "UPDATE device SET last_fiscal_number = ?, last_hash = ?, last_issued_at = ?",
    );
    const typeCounter = db.prepare(
      `INSERT INTO type_counter (invoice_type, last_number) VALUES (?, ?)
         ON CONFLICT (invoice_type) DO UPDATE SET last_number = excluded.last_number`,
    );
    const yearCounter = db.prepare(
      `INSERT INTO year_counter (fiscal_year, last_number) VALUES (?, ?)
         ON CONFLICT (fiscal_year) DO UPDATE SET last_number = excluded.last_number`,
    );
    this.write = db.transaction((entry: JournalAppend) => {
      const { n } = head.get() as { n: number };
      if (n !== entry.fiscalNumber - 1) {
        throw new FiscalError("STORAGE_FAILURE", `record ${entry.fiscalNumber} does not follow ${n}`);
      }
      const year = (yearHead.get(entry.fiscalYear) as { n: number } | undefined)?.n ?? 0;
      if (year !== entry.yearNumber - 1) {
        throw new FiscalError(
          "STORAGE_FAILURE",
          `record ${entry.fiscalYear}/${entry.yearNumber} does not follow ${entry.fiscalYear}/${year}`,
        );
      }
      insert.run(
        entry.fiscalNumber,
        entry.typeNumber,
        entry.invoiceType,
        entry.issuedAt,
        buf(entry.sealed.record),
        buf(entry.sealed.signature),
        entry.sealed.auth_code,
        entry.sealed.qr,
        buf(entry.payloadHash),
        entry.clientRef,
        entry.total,
        entry.currency,
        entry.reference?.device_id ?? null,
        entry.reference?.fiscal_number ?? null,
        entry.reference?.kind ?? null,
        buf(entry.invoice),
        entry.fiscalYear,
        entry.yearNumber,
      );
      counters.run(entry.fiscalNumber, buf(entry.recordHash), entry.issuedAt);
      typeCounter.run(entry.invoiceType, entry.typeNumber);
      yearCounter.run(entry.fiscalYear, entry.yearNumber);
    });
  }

  /** Appends `entry` atomically; throws SQLITE_CONSTRAINT_UNIQUE or STORAGE_FAILURE untouched. */
  append(entry: JournalAppend): void {
    this.write.immediate(entry);
  }
}
