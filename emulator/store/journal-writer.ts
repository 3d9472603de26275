/**
 * JournalWriter: the one write that matters, appending a sealed record. The journal row, the global
 * counter, the chain tip and the type counter move in ONE immediate transaction that re-reads the
 * counter inside it, so a kill at any instant leaves all of them or none, and a record can only ever
 * follow the record it was chained to.
 */
import type Database from "better-sqlite3";
import { FiscalError, type InvoiceType, type SealedRecord } from "../../protocol/index.js";

/** One record to append, with the columns that index it. */
export interface JournalAppend {
  readonly fiscalNumber: number;
  readonly typeNumber: number;
  readonly invoiceType: InvoiceType;
  readonly issuedAt: number;
  readonly sealed: SealedRecord;
  readonly recordHash: Uint8Array;
  readonly payloadHash: Uint8Array;
  readonly clientRef: string;
  readonly total: number;
  readonly currency: string;
  readonly reference?: { readonly device_id: string; readonly fiscal_number: number; readonly kind: string };
}

const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

/** Prepared append statements over one open fiscal memory. */
export class JournalWriter {
  private readonly write: Database.Transaction<(entry: JournalAppend) => void>;

  /** Prepares the statements and the transaction against `db`. */
  constructor(db: Database.Database) {
    const head = db.prepare("SELECT last_fiscal_number AS n FROM device");
    const insert = db.prepare(
      `INSERT INTO journal (fiscal_number, type_number, invoice_type, issued_at, record, signature,
         auth_code, qr, payload_hash, client_ref, total, currency, ref_device_id, ref_fiscal_number,
         ref_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const counters = db.prepare(
      "UPDATE device SET last_fiscal_number = ?, last_hash = ?, last_issued_at = ?",
    );
    const typeCounter = db.prepare(
      `INSERT INTO type_counter (invoice_type, last_number) VALUES (?, ?)
         ON CONFLICT (invoice_type) DO UPDATE SET last_number = excluded.last_number`,
    );
    this.write = db.transaction((entry: JournalAppend) => {
      const { n } = head.get() as { n: number };
      if (n !== entry.fiscalNumber - 1) {
        throw new FiscalError("STORAGE_FAILURE", `record ${entry.fiscalNumber} does not follow ${n}`);
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
      );
      counters.run(entry.fiscalNumber, buf(entry.recordHash), entry.issuedAt);
      typeCounter.run(entry.invoiceType, entry.typeNumber);
    });
  }

  /** Appends `entry` atomically; throws SQLITE_CONSTRAINT_UNIQUE or STORAGE_FAILURE untouched. */
  append(entry: JournalAppend): void {
    this.write.immediate(entry);
  }
}
