/**
 * The store's fiscal reports (docs/PROTOCOL.md §13): Z reports and closures as the device journaled
 * them, and A reports, each with the bytes and signature the device gave, verified before they get
 * here. Journaled reports are keyed by the device's own numbers, so importing one twice is a no-op.
 * `uploaded_at` is set once the Stalela Cloud acknowledged a report (daemon/sync): the one column the
 * append-only trigger lets change.
 */
import {
  type JournaledReportKind,
  type ReportKind,
  type ReportRecord,
  recordHash,
  type SealedReport,
} from "../../protocol/index.js";
import { type Db, statement } from "./database.js";

/** One stored report. */
export interface StoredReport {
  readonly deviceId: string;
  readonly kind: ReportKind;
  readonly number: number;
  readonly issuedAt: number;
  readonly afterFiscalNumber: number;
  readonly sealed: SealedReport;
  readonly recordHash: Uint8Array;
  /** Who made or found it: `z-report`, `reconciliation`, `a-report` … */
  readonly source: string;
  readonly storedAt: number;
  readonly uploadedAt: number | null;
}

/** Where a listing of reports pending upload resumes: the last report of the previous page. */
export interface ReportCursor {
  readonly issuedAt: number;
  readonly kind: ReportKind;
  readonly number: number;
}

interface Row {
  device_id: string;
  kind: ReportKind;
  number: number;
  issued_at: number;
  after_fiscal_number: number;
  record: Buffer;
  signature: Buffer;
  record_hash: Buffer;
  source: string;
  stored_at: number;
  uploaded_at: number | null;
}

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b);

function toStored(row: Row | undefined): StoredReport | undefined {
  if (row === undefined) return undefined;
  return {
    deviceId: row.device_id,
    kind: row.kind,
    number: row.number,
    issuedAt: row.issued_at,
    afterFiscalNumber: row.after_fiscal_number,
    sealed: { record: bytes(row.record), signature: bytes(row.signature) },
    recordHash: bytes(row.record_hash),
    source: row.source,
    storedAt: row.stored_at,
    uploadedAt: row.uploaded_at,
  };
}

/** Reads and appends fiscal reports. */
export class FiscalReports {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores a verified report under `number` (the device's for journaled kinds); true when it is new,
   * false when that number of that kind is already stored (an import that raced a Z, say).
   */
  add(deviceId: string, report: ReportRecord, number: number, sealed: SealedReport, source: string): boolean {
    const result = statement(
      this.db,
      `INSERT OR IGNORE INTO fiscal_reports (device_id, kind, number, issued_at, after_fiscal_number,
         first_fiscal_number, last_fiscal_number, period, record, signature, record_hash, source, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      deviceId,
      report.kind,
      number,
      report.issued_at,
      report.after_fiscal_number,
      report.first_fiscal_number,
      report.last_fiscal_number,
      "period" in report ? report.period : null,
      Buffer.from(sealed.record),
      Buffer.from(sealed.signature),
      Buffer.from(recordHash(sealed.record)),
      source,
      this.now(),
    );
    return result.changes === 1;
  }

  /** The highest number stored for `kind` (0 when none). */
  lastNumber(deviceId: string, kind: ReportKind): number {
    const row = statement(
      this.db,
      "SELECT COALESCE(MAX(number), 0) AS n FROM fiscal_reports WHERE device_id = ? AND kind = ?",
    ).get(deviceId, kind) as { n: number };
    return row.n;
  }

  /** Report `number` of `kind`. */
  get(deviceId: string, kind: ReportKind, number: number): StoredReport | undefined {
    return toStored(
      statement(this.db, "SELECT * FROM fiscal_reports WHERE device_id = ? AND kind = ? AND number = ?").get(
        deviceId,
        kind,
        number,
      ) as Row | undefined,
    );
  }

  /** The reports of `kind` (every kind when omitted), newest first, at most `limit`. */
  list(deviceId: string, kind: ReportKind | undefined, limit: number): StoredReport[] {
    const rows = (
      kind === undefined
        ? statement(
            this.db,
            "SELECT * FROM fiscal_reports WHERE device_id = ? ORDER BY issued_at DESC, kind, number DESC LIMIT ?",
          ).all(deviceId, limit)
        : statement(
            this.db,
            "SELECT * FROM fiscal_reports WHERE device_id = ? AND kind = ? ORDER BY number DESC LIMIT ?",
          ).all(deviceId, kind, limit)
    ) as Row[];
    return rows.map((r) => toStored(r)!);
  }

  /** The journaled reports made after invoice `afterFiscalNumber` (in no order: the chain orders them). */
  placedAfter(deviceId: string, afterFiscalNumber: number): StoredReport[] {
    const rows = statement(
      this.db,
      `SELECT * FROM fiscal_reports WHERE device_id = ? AND after_fiscal_number = ?
         AND kind IN ('Z_REPORT', 'MONTH_CLOSURE', 'YEAR_CLOSURE')`,
    ).all(deviceId, afterFiscalNumber) as Row[];
    return rows.map((r) => toStored(r)!);
  }

  /** Every journaled report of the device, in no order (the export orders them by the chain). */
  journaled(deviceId: string, kinds: readonly JournaledReportKind[]): StoredReport[] {
    const rows = statement(
      this.db,
      `SELECT * FROM fiscal_reports WHERE device_id = ? AND kind IN (${kinds.map(() => "?").join(", ")})`,
    ).all(deviceId, ...kinds) as Row[];
    return rows.map((r) => toStored(r)!);
  }

  /**
   * Reports of `kinds` the cloud has not acknowledged yet (uploaded_at NULL), oldest first: by device
   * time, then kind and number (a month closure, a year closure, then the Z journaled with them), after
   * `after` when given, at most `limit`. No index: a device stores a few hundred reports a year.
   */
  pendingUpload(
    deviceId: string,
    kinds: readonly ReportKind[],
    limit: number,
    after?: ReportCursor,
  ): StoredReport[] {
    const rows = statement(
      this.db,
      `SELECT * FROM fiscal_reports WHERE device_id = ? AND uploaded_at IS NULL
         AND kind IN (${kinds.map(() => "?").join(", ")})
         AND (? IS NULL OR (issued_at, kind, number) > (?, ?, ?))
         ORDER BY issued_at, kind, number LIMIT ?`,
    ).all(
      deviceId,
      ...kinds,
      after === undefined ? null : 1,
      after?.issuedAt ?? 0,
      after?.kind ?? "",
      after?.number ?? 0,
      limit,
    ) as Row[];
    return rows.map((r) => toStored(r)!);
  }

  /**
   * Marks reports acknowledged by the cloud at `at`, in one transaction; a report already marked keeps
   * its first time. Returns how many were pending.
   */
  markUploaded(
    deviceId: string,
    reports: readonly Pick<StoredReport, "kind" | "number">[],
    at: number = this.now(),
  ): number {
    const mark = statement(
      this.db,
      `UPDATE fiscal_reports SET uploaded_at = ?
         WHERE device_id = ? AND kind = ? AND number = ? AND uploaded_at IS NULL`,
    );
    let n = 0;
    this.db
      .transaction(() => {
        for (const r of reports) n += mark.run(at, deviceId, r.kind, r.number).changes;
      })
      .immediate();
    return n;
  }
}
