/**
 * Each Z report against its day (docs/EXPORT.md §3.6): the day of Z n is fiscal numbers
 * Z(n−1).after_fiscal_number + 1 … Z(n).after_fiscal_number (1 … for Z 1), so the days of the Z
 * reports partition the journal and no record falls outside every Z but the open day's. Where the
 * whole day is in the file, its figures are recomputed from its records and invoices (PeriodFigures,
 * the device's own function) and compared with the Z's, with its first and last numbers, its
 * period_from and its time. Streaming: one accumulator per day, never the day's invoices.
 */
import { bytesEqual, encodeCanonical } from "../cbor.js";
import type { CanonicalInvoiceV2 } from "../invoice/schema-v2.js";
import { PeriodFigures } from "../reports/figures.js";
import { reportName } from "../reports/record.js";
import type { Figures, ZReport } from "../reports/schema.js";
import type { FiscalRecord } from "../security/record.js";
import { type CheckedReport, placeOf, type ReportFail } from "./report-entries.js";

/** One Z's day while the records come. */
interface Day {
  readonly z: CheckedReport<ZReport>;
  /** First and last fiscal numbers of the day (last < first: a day without invoices). */
  readonly first: number;
  readonly last: number;
  /** Whether the file holds the whole day (the previous Z is known and the range covers it). */
  readonly inFile: boolean;
  readonly figures: PeriodFigures;
  records: number;
  /** A record of the day whose figures cannot be taken (a v2 record without a valid invoice). */
  broken: boolean;
  firstIssuedAt: number | null;
  latestIssuedAt: number;
}

/** The counts of the day checks. */
export interface DayCounts {
  readonly days_checked: number;
  readonly days_unchecked: number;
  readonly open_day_records: number;
}

/** The first path where two JSON-like values differ, and the two values there. */
export function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Object.is(a, b) ? null : `${path || "/"}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path || "/"}: differ in shape`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const d = firstDifference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}/${key}`,
    );
    if (d !== null) return d;
  }
  return null;
}

/** The Z reports' days, fed the records of the file one by one. */
export class DayLedger {
  private readonly days: Day[] = [];
  /** after_fiscal_number of each day, ascending (the days in Z order). */
  private readonly ends: number[] = [];
  private openDay = 0;
  /** Z reports whose previous Z is not in the file: their day's start is unknown. */
  private unknownStart = 0;
  /** The last fiscal number any Z of the file closed: the open day is after it. */
  private readonly closedUpTo: number;

  /**
   * `zs` are the file's Z reports in number order (checkSequences); `from` … `to` the file's range.
   * Days with the wrong first or last fiscal number are reported at once.
   */
  constructor(
    zs: readonly CheckedReport<ZReport>[],
    range: { readonly from: number; readonly to: number },
    private readonly fail: ReportFail,
  ) {
    this.closedUpTo = Math.max(0, ...zs.map((z) => z.report.after_fiscal_number));
    let previous: CheckedReport<ZReport> | null = null;
    for (const z of zs) {
      const known = z.report.number === 1 || previous?.report.number === z.report.number - 1;
      const first = z.report.number === 1 ? 1 : (previous?.report.after_fiscal_number ?? 0) + 1;
      const last = z.report.after_fiscal_number;
      if (known) this.checkBounds(z, first, last);
      const day: Day = {
        z,
        first,
        last,
        inFile: known && first >= range.from && last <= range.to && last >= first - 1,
        figures: new PeriodFigures(),
        records: 0,
        broken: false,
        firstIssuedAt: null,
        latestIssuedAt: Number.NEGATIVE_INFINITY,
      };
      previous = z;
      if (!known) {
        this.unknownStart += 1;
        continue;
      }
      this.days.push(day);
      this.ends.push(last);
    }
  }

  private checkBounds(z: CheckedReport<ZReport>, first: number, last: number): void {
    const r = z.report;
    const name = reportName(r);
    const empty = last < first;
    const want = empty ? "none" : `${first}–${last}`;
    const got = r.first_fiscal_number === null ? "none" : `${r.first_fiscal_number}–${r.last_fiscal_number}`;
    if (want !== got) {
      this.fail("report_range", `${name} covers fiscal numbers ${got}; its day is ${want}`, placeOf(z));
    }
    if (empty && r.period_from !== null) {
      this.fail("report_range", `${name} has no invoice but a period_from`, placeOf(z));
    }
  }

  /**
   * Adds one decoded record: `invoice` is its validated canonical invoice (v2), undefined for a v1
   * record or one whose invoice did not validate (`usable` false: the day is then not recomputed).
   */
  add(record: FiscalRecord, invoice: CanonicalInvoiceV2 | undefined): void {
    const fn = record.fiscal_number;
    const day = this.dayOf(fn);
    if (day === undefined) {
      if (fn > this.closedUpTo) this.openDay += 1;
      return;
    }
    if (!day.inFile) return;
    day.records += 1;
    if (fn === day.first) day.firstIssuedAt = record.issued_at;
    day.latestIssuedAt = Math.max(day.latestIssuedAt, record.issued_at);
    if (day.broken) return;
    try {
      day.figures.add({ record, invoice });
    } catch {
      day.broken = true; // a v2 record without a valid invoice: already a record failure
    }
  }

  /** The day that holds fiscal number `fn`: the first whose end is at or after it. */
  private dayOf(fn: number): Day | undefined {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! < fn) lo = mid + 1;
      else hi = mid;
    }
    const day = this.days[lo];
    return day !== undefined && fn >= day.first ? day : undefined;
  }

  /** Compares every day that lies wholly in the file with its Z. */
  finish(): DayCounts {
    let checked = 0;
    let unchecked = this.unknownStart;
    for (const day of this.days) {
      const size = Math.max(0, day.last - day.first + 1);
      if (!day.inFile || day.broken || day.records !== size) {
        unchecked += 1;
        continue;
      }
      checked += 1;
      this.compare(day);
    }
    return { days_checked: checked, days_unchecked: unchecked, open_day_records: this.openDay };
  }

  private compare(day: Day): void {
    const r = day.z.report;
    const name = reportName(r);
    const place = placeOf(day.z);
    if (day.records > 0 && r.period_from !== day.firstIssuedAt) {
      this.fail(
        "report_range",
        `${name}: period_from ${r.period_from} is not the issued_at of fiscal number ${day.first} (${day.firstIssuedAt})`,
        place,
      );
    }
    if (r.issued_at < day.latestIssuedAt) {
      this.fail("report_time", `${name} was made before the last invoice of its day`, place);
    }
    const figures: Figures = day.figures.figures();
    if (!bytesEqual(encodeCanonical(figures as never), encodeCanonical(r.figures as never))) {
      const where = firstDifference(r.figures, figures, "figures");
      this.fail("report_figures", `${name}: ${where} (the Z's, then the day's records')`, place);
    }
  }
}
