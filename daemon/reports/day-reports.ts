/**
 * The fiscal day as the daemon runs it (docs/PROTOCOL.md §13, docs/API.md §Reports): close the day
 * (Z), read it (X), the A report over a range, and the import of every journaled report the store
 * lacks. The device makes and signs every report; the daemon verifies each signature with the bound
 * device key before it stores or shows anything, and checks the figures against its own records.
 * One Z at a time: the next number is the device's, so a Z is never made twice (a lost reply is
 * settled by the device session, daemon/device/recovery.ts).
 */
import {
  type ArgsOf,
  type ArticleLine,
  articlesHash,
  articlesOf,
  bytesEqual,
  type CanonicalInvoiceV2,
  decodeCanonical,
  decodeRecord,
  encodeCanonical,
  type Figures,
  FiscalError,
  figuresOf,
  isFiscalError,
  JOURNALED_REPORT_KINDS,
  type JournaledReportKind,
  openSealedReport,
  type PeriodEntry,
  type ReportKind,
  type ReportRecord,
  type ResultOf,
  type SealedReport,
  sumFigures,
  type ZReport,
} from "../../protocol/index.js";
import type { DeviceIdentity } from "../fiscal/identity.js";
import { KeyedMutex } from "../fiscal/keyed-mutex.js";
import type { AuditLog } from "../store/audit.js";
import type { FiscalReports } from "../store/fiscal-reports.js";
import type { InvoiceReads } from "../store/invoice-reads.js";

/** What the day's reports need from the device (daemon/device/fiscal-device.ts implements it). */
export interface ReportDevice {
  zReport(isf: string, number: number): Promise<ResultOf<"Z_REPORT">>;
  xReport(isf: string): Promise<ResultOf<"X_REPORT">>;
  getReport(args: ArgsOf<"GET_REPORT">): Promise<ResultOf<"GET_REPORT">>;
  aReport(isf: string, from: number, to: number): Promise<ResultOf<"A_REPORT">>;
  status(): Promise<ResultOf<"STATUS">>;
}

/** A report whose signature verified with the bound device key. */
export interface VerifiedReport {
  readonly report: ReportRecord;
  readonly sealed: SealedReport;
  /**
   * Whether the figures equal those of the store's own records of the period (figuresOf): false when
   * the store lacks some of them (reconciliation imports them) or they differ. The device's signed
   * figures stand either way: the device is the fiscal authority.
   */
  readonly matches_store: boolean;
}

/** A stored report: its number in the store (the device's, or the A reports' sequence) and origin. */
export interface StoredVerified extends VerifiedReport {
  readonly number: number;
  readonly source: string;
}

/** An A report with its article lines, rebuilt from the store and checked against the signed digest. */
export interface ArticlesReport extends VerifiedReport {
  readonly lines: readonly ArticleLine[];
  /** Its number in the store's sequence of A reports. */
  readonly number: number;
}

/** What DayReports is built from. */
export interface DayReportsDeps {
  readonly reports: FiscalReports;
  readonly invoices: InvoiceReads;
  readonly device: ReportDevice;
  readonly identity: DeviceIdentity;
  /** The configured ISF, or undefined while the SFE identity is incomplete. */
  readonly isf: () => string | undefined;
  readonly audit: AuditLog;
}

/** Whether two sets of figures are the same, field for field (compared as canonical CBOR). */
function sameFigures(a: Figures, b: Figures): boolean {
  return bytesEqual(encodeCanonical(a as never), encodeCanonical(b as never));
}

/** The daemon's fiscal day. */
export class DayReports {
  private readonly lock = new KeyedMutex();

  constructor(private readonly deps: DayReportsDeps) {}

  /** Closes the day: imports what the device has, makes Z number last + 1, stores it and its closures. */
  closeDay(actor: string): Promise<{ z: VerifiedReport; closures: VerifiedReport[] }> {
    return this.lock.run("z", async () => {
      const isf = this.requireIsf();
      const { deviceId } = this.deps.identity.require();
      await this.importJournaled("reconciliation");
      const number = this.deps.reports.lastNumber(deviceId, "Z_REPORT") + 1;
      const made = await this.deps.device.zReport(isf, number);
      const closures = made.closures.map((c) => this.verify(c));
      for (const c of closures) this.store(c, "z-report");
      const z = this.verify(made.report);
      this.store(z, "z-report");
      // Closures lost with a resolved reply come back here.
      await this.importJournaled("reconciliation");
      this.deps.audit.append(actor, "report.z", {
        device_id: deviceId,
        number,
        matches_store: z.matches_store,
      });
      return { z, closures };
    });
  }

  /** The open day's figures (X report), signed by the device; nothing is stored. */
  async readDay(): Promise<VerifiedReport> {
    const made = await this.deps.device.xReport(this.requireIsf());
    return this.verify(made.report);
  }

  /**
   * The A report of fiscal numbers `from` … `to`: by default from the one after the last A report's
   * range (1 for the first) to the device's last. Stored, with its lines rebuilt from the store.
   */
  articles(actor: string, range: { from?: number; to?: number } = {}): Promise<ArticlesReport> {
    return this.lock.run("a", async () => {
      const isf = this.requireIsf();
      const { deviceId } = this.deps.identity.require();
      const lastA = this.deps.reports.list(deviceId, "A_REPORT", 1)[0];
      const previous = lastA === undefined ? undefined : openSealedReport(lastA.sealed, this.key());
      const from = range.from ?? (previous?.last_fiscal_number ?? 0) + 1;
      const to = range.to ?? (await this.deps.device.status()).last_fiscal_number;
      if (from > to) {
        throw new FiscalError(
          "RECORD_NOT_FOUND",
          `no invoice since the last A report (fiscal numbers ${from} … ${to})`,
        );
      }
      const made = await this.deps.device.aReport(isf, from, to);
      const verified = this.verify(made.report);
      if (verified.report.kind !== "A_REPORT") throw new FiscalError("SIGNATURE_INVALID", "not an A report");
      const lines = articlesOf(this.entries(deviceId, from, to));
      const matches = bytesEqual(articlesHash(lines), verified.report.articles_hash);
      const number = this.deps.reports.lastNumber(deviceId, "A_REPORT") + 1;
      this.deps.reports.add(deviceId, verified.report, number, verified.sealed, "a-report");
      this.deps.audit.append(actor, "report.a", { device_id: deviceId, from, to, matches_store: matches });
      return { ...verified, matches_store: matches, lines, number };
    });
  }

  /**
   * Device time of the open day's first invoice: the first record after the last stored Z, or null
   * when every stored invoice is in a Z (or no device is bound yet). What the closing rules read.
   */
  openSince(): number | null {
    const bound = this.deps.identity.current;
    if (bound === undefined) return null;
    const lastZ = this.deps.reports.list(bound.deviceId, "Z_REPORT", 1)[0];
    return (
      this.deps.invoices.recordByNumber(bound.deviceId, (lastZ?.afterFiscalNumber ?? 0) + 1)?.issued_at ??
      null
    );
  }

  /** A stored report by kind and number (verified again with the bound key), or undefined. */
  stored(kind: ReportKind, number: number): StoredVerified | undefined {
    const { deviceId } = this.deps.identity.require();
    const row = this.deps.reports.get(deviceId, kind, number);
    return row === undefined
      ? undefined
      : { number: row.number, source: row.source, ...this.verify(row.sealed) };
  }

  /** The stored reports of `kind` (every kind when undefined), newest first, at most `limit`. */
  storedList(kind: ReportKind | undefined, limit: number): StoredVerified[] {
    const { deviceId } = this.deps.identity.require();
    return this.deps.reports
      .list(deviceId, kind, limit)
      .map((row) => ({ number: row.number, source: row.source, ...this.verify(row.sealed) }));
  }

  /**
   * Imports every journaled report (Z, closures) the device has and the store lacks, each verified;
   * returns how many. Reconciliation calls it too.
   */
  async importJournaled(source: string): Promise<number> {
    const { deviceId } = this.deps.identity.require();
    let imported = 0;
    for (const kind of JOURNALED_REPORT_KINDS) {
      const last = await this.lastOnDevice(kind);
      for (let n = this.deps.reports.lastNumber(deviceId, kind) + 1; n <= last; n++) {
        const got = await this.deps.device.getReport({ kind, number: n });
        if (this.store(this.verify(got.report), source)) imported++;
      }
    }
    return imported;
  }

  private async lastOnDevice(kind: JournaledReportKind): Promise<number> {
    try {
      return (await this.deps.device.getReport({ kind })).last;
    } catch (err) {
      // None of that kind yet; or a DEF whose firmware has no reports: nothing to import either way.
      if (isFiscalError(err, "RECORD_NOT_FOUND") || isFiscalError(err, "UNKNOWN_COMMAND")) return 0;
      throw err;
    }
  }

  private requireIsf(): string {
    const isf = this.deps.isf();
    if (isf === undefined) {
      throw new FiscalError(
        "SFE_NOT_CONFIGURED",
        "set sfe.isf in the daemon's configuration (docs/INSTALL.md)",
      );
    }
    return isf;
  }

  private key(): Uint8Array {
    return this.deps.identity.require().publicKey;
  }

  /** Verifies the signature and the device, and compares the figures with the store's records. */
  private verify(sealed: SealedReport): VerifiedReport {
    const { deviceId } = this.deps.identity.require();
    const report = openSealedReport(sealed, this.key());
    if (report.device_id !== deviceId) {
      throw new FiscalError(
        "DEVICE_IDENTITY_MISMATCH",
        `the report is of device ${report.device_id}, not ${deviceId}`,
      );
    }
    return { report, sealed, matches_store: this.matchesStore(deviceId, report) };
  }

  private matchesStore(deviceId: string, report: ReportRecord): boolean {
    if (report.kind === "A_REPORT") return true;
    if (report.kind === "MONTH_CLOSURE" || report.kind === "YEAR_CLOSURE") {
      const zs: Figures[] = [];
      for (let n = report.z_first; n <= report.z_last; n++) {
        const z = this.deps.reports.get(deviceId, "Z_REPORT", n);
        if (z === undefined) return false;
        zs.push((openSealedReport(z.sealed, this.key()) as ZReport).figures);
      }
      return sameFigures(sumFigures(zs), report.figures);
    }
    const { first_fiscal_number: first, last_fiscal_number: last } = report;
    const entries = first === null || last === null ? [] : this.entries(deviceId, first, last);
    const expected = first === null || last === null ? 0 : last - first + 1;
    if (entries.length !== expected) return false;
    try {
      return bytesEqual(
        encodeCanonical(figuresOf(entries) as never),
        encodeCanonical(report.figures as never),
      );
    } catch {
      return false;
    }
  }

  private entries(deviceId: string, from: number, to: number): PeriodEntry[] {
    return this.deps.invoices.recordsBetween(deviceId, from, to).map((row) => {
      const record = decodeRecord(row.record);
      if (record.v === 1 || row.payload === null) return { record };
      return { record, invoice: decodeCanonical(row.payload) as unknown as CanonicalInvoiceV2 };
    });
  }

  private store(verified: VerifiedReport, source: string): boolean {
    const { report, sealed } = verified;
    if (report.kind === "X_REPORT" || report.kind === "A_REPORT") return false;
    return this.deps.reports.add(
      this.deps.identity.require().deviceId,
      report,
      report.number,
      sealed,
      source,
    );
  }
}
