/**
 * ReportStore: the journaled reports of the fiscal memory (Z reports, monthly and yearly closures),
 * read by kind and number, and appended with the chain tip in ONE immediate transaction: the report
 * rows, device.last_hash and last_issued_at, and the day's incomplete counter back to zero (a Z
 * closes the day it counted). A kill at any instant leaves all of it or none, and the numbering is
 * re-checked inside the transaction, so a day is never closed twice.
 */
import type Database from "better-sqlite3";
import { FiscalError, type JournaledReportKind, type SealedReport } from "../../protocol/index.js";

/** One journaled report to append, with the columns that index it. */
export interface ReportAppend {
  readonly kind: JournaledReportKind;
  readonly number: number;
  readonly issuedAt: number;
  readonly afterFiscalNumber: number;
  /** `YYYY-MM` or `YYYY` for a closure, null for a Z. */
  readonly period: string | null;
  readonly sealed: SealedReport;
  readonly recordHash: Uint8Array;
}

/** One stored report. */
export interface StoredReport {
  readonly kind: JournaledReportKind;
  readonly number: number;
  readonly issuedAt: number;
  readonly afterFiscalNumber: number;
  readonly period: string | null;
  readonly sealed: SealedReport;
  readonly recordHash: Uint8Array;
}

interface RawReport {
  kind: JournaledReportKind;
  number: number;
  issued_at: number;
  after_fiscal_number: number;
  period: string | null;
  record: Buffer;
  signature: Buffer;
  record_hash: Buffer;
}

const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

function toReport(raw: RawReport | undefined): StoredReport | undefined {
  if (raw === undefined) return undefined;
  return {
    kind: raw.kind,
    number: raw.number,
    issuedAt: raw.issued_at,
    afterFiscalNumber: raw.after_fiscal_number,
    period: raw.period,
    sealed: { record: new Uint8Array(raw.record), signature: new Uint8Array(raw.signature) },
    recordHash: new Uint8Array(raw.record_hash),
  };
}

/** Prepared statements over the report table of one open fiscal memory. */
export class ReportStore {
  private readonly byNumber: Database.Statement;
  private readonly latestOf: Database.Statement;
  private readonly sinceStatement: Database.Statement;
  private readonly placedStatement: Database.Statement;
  private readonly write: Database.Transaction<(entries: readonly ReportAppend[]) => void>;

  /** Prepares every statement against `db`. */
  constructor(db: Database.Database) {
    this.byNumber = db.prepare("SELECT * FROM report WHERE kind = ? AND number = ?");
    this.latestOf = db.prepare("SELECT * FROM report WHERE kind = ? ORDER BY number DESC LIMIT 1");
    this.sinceStatement = db.prepare("SELECT * FROM report WHERE kind = ? AND number > ? ORDER BY number");
    this.placedStatement = db.prepare("SELECT * FROM report WHERE after_fiscal_number >= ?");
    const insert = db.prepare(
      `INSERT INTO report (kind, number, issued_at, after_fiscal_number, period, record, signature, record_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const last = db.prepare("SELECT COALESCE(MAX(number), 0) AS n FROM report WHERE kind = ?");
    const tip = db.prepare("UPDATE device SET last_hash = ?, last_issued_at = ?, incomplete = 0");
    this.write = db.transaction((entries: readonly ReportAppend[]) => {
      for (const e of entries) {
        const { n } = last.get(e.kind) as { n: number };
        if (n !== e.number - 1) {
          throw new FiscalError("STORAGE_FAILURE", `${e.kind} ${e.number} does not follow ${n}`);
        }
        insert.run(
          e.kind,
          e.number,
          e.issuedAt,
          e.afterFiscalNumber,
          e.period,
          buf(e.sealed.record),
          buf(e.sealed.signature),
          buf(e.recordHash),
        );
      }
      const newest = entries[entries.length - 1]!;
      tip.run(buf(newest.recordHash), newest.issuedAt);
    });
  }

  /** The report `number` of `kind`. */
  get(kind: JournaledReportKind, number: number): StoredReport | undefined {
    return toReport(this.byNumber.get(kind, number) as RawReport | undefined);
  }

  /** The newest report of `kind`. */
  latest(kind: JournaledReportKind): StoredReport | undefined {
    return toReport(this.latestOf.get(kind) as RawReport | undefined);
  }

  /** The reports of `kind` numbered after `number`, ascending. */
  after(kind: JournaledReportKind, number: number): StoredReport[] {
    return (this.sinceStatement.all(kind, number) as RawReport[]).map((r) => toReport(r)!);
  }

  /** Every journaled report of any kind made after invoice `fiscalNumber` or later (in no order). */
  placedFrom(fiscalNumber: number): StoredReport[] {
    return (this.placedStatement.all(fiscalNumber) as RawReport[]).map((r) => toReport(r)!);
  }

  /** Appends `entries` (in chain order) and moves the chain tip to the last, atomically. */
  append(entries: readonly ReportAppend[]): void {
    if (entries.length === 0) return;
    this.write.immediate(entries);
  }
}
