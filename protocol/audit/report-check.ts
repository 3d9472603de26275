/**
 * The journaled reports of a /4 export, checked with the records (docs/EXPORT.md §3.6): each entry
 * (report-entries.ts), each kind's sequence and the reports' places in the journal's chain
 * (report-chain.ts), each Z against its day (report-days.ts) and each closure against its Z reports
 * (report-closures.ts). The verifier feeds it the records as they come and asks it, for the chain
 * check, what each invoice must name as prev_hash.
 */
import type { CanonicalInvoiceV2 } from "../invoice/schema-v2.js";
import type { ActivationRecord } from "../security/activation.js";
import type { FiscalRecord } from "../security/record.js";
import type { ReportFailure, ReportsVerification } from "./report.js";
import { checkSequences, ReportPlacement, type ReportSequences } from "./report-chain.js";
import { checkClosures } from "./report-closures.js";
import { DayLedger } from "./report-days.js";
import { checkReportEntries, type ReportFail } from "./report-entries.js";

/** What the report checks know of the document. */
export interface ReportCheckContext {
  readonly deviceId: string;
  readonly key: Uint8Array | null;
  readonly activation: ActivationRecord | null;
  readonly from: number;
  readonly to: number;
  /** Hex genesis hash, null when the activation did not verify. */
  readonly genesis: string | null;
}

/** The reports of a /4 export while its records are checked. */
export class ReportCheck {
  private readonly failures: ReportFailure[] = [];
  private readonly fail: ReportFail = (reason, message, at) => {
    this.failures.push({ ...at, reason, message });
  };
  private readonly sequences: ReportSequences;
  private readonly placement: ReportPlacement;
  private readonly days: DayLedger;
  private readonly entries: number;

  constructor(
    raws: readonly unknown[],
    private readonly ctx: ReportCheckContext,
  ) {
    this.entries = raws.length;
    const reports = checkReportEntries(raws, ctx, this.fail);
    this.sequences = checkSequences(reports, { full: ctx.from === 1, genesis: ctx.genesis }, this.fail);
    this.placement = new ReportPlacement(reports);
    this.days = new DayLedger(this.sequences.z, ctx, this.fail);
  }

  /** One decoded record, with its validated invoice v2 (undefined for v1 or an invalid invoice). */
  add(record: FiscalRecord, invoice: CanonicalInvoiceV2 | undefined): void {
    this.days.add(record, invoice);
  }

  /** What invoice `fn + 1` must name as prev_hash, given invoice `fn`'s hash (chain.ts). */
  readonly tipAfter = (fn: number, hash: string) => this.placement.tipAfter(fn, hash);

  /** The verdict; `hashOf(fn)` gives a decoded record's hash (undefined when the file lacks it). */
  finish(hashOf: (fn: number) => string | undefined): ReportsVerification {
    const genesis = this.ctx.genesis;
    this.placement.checkPlaces((fn) => (fn === 0 ? (genesis ?? undefined) : hashOf(fn)), this.fail);
    const days = this.days.finish();
    const closures = checkClosures(this.sequences, this.fail);
    const kinds = ["Z_REPORT", "MONTH_CLOSURE", "YEAR_CLOSURE"];
    return {
      entries: this.entries,
      z: this.sequences.z.length,
      month_closures: this.sequences.month.length,
      year_closures: this.sequences.year.length,
      ...days,
      closures_checked: closures,
      failures: this.failures.sort(
        (a, b) =>
          kinds.indexOf(a.kind ?? "") - kinds.indexOf(b.kind ?? "") ||
          (a.number ?? -1) - (b.number ?? -1) ||
          a.reason.localeCompare(b.reason),
      ),
    };
  }
}

/** The report summary of an export without reports (formats /1 … /3, or an unreadable header). */
export const NO_REPORTS: ReportsVerification = {
  entries: 0,
  z: 0,
  month_closures: 0,
  year_closures: 0,
  days_checked: 0,
  days_unchecked: 0,
  closures_checked: 0,
  open_day_records: 0,
  failures: [],
};
