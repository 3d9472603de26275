/**
 * The journaled reports of an export in their two chains (docs/EXPORT.md §3.6): each kind's own
 * sequence (numbers 1, 2, 3 … without a gap, each naming the previous one's hash in
 * prev_report_hash) and the journal's one hash chain, where the reports made after invoice A sit
 * between invoice A and invoice A + 1 (PROTOCOL §13.1; protocol/reports/chain.ts).
 */
import { toHex } from "../bytes.js";
import { chainTipAfter, reportsAfter } from "../reports/chain.js";
import { reportName } from "../reports/record.js";
import type { Closure, JournaledReportKind, ZReport } from "../reports/schema.js";
import { type CheckedReport, placeOf, type ReportFail } from "./report-entries.js";

/** The decoded reports of each kind, in number order. */
export interface ReportSequences {
  readonly z: readonly CheckedReport<ZReport>[];
  readonly month: readonly CheckedReport<Closure>[];
  readonly year: readonly CheckedReport<Closure>[];
}

const short = (hash: string): string => `${hash.slice(0, 16)}…`;

/**
 * Sorts the reports by kind and number and checks each sequence: no gap between two numbers in the
 * file, number 1 first in a full export, prev_report_hash the previous report of the kind (the
 * genesis hash for number 1), and neither `issued_at` nor `after_fiscal_number` going back.
 */
export function checkSequences(
  reports: readonly CheckedReport[],
  ctx: { readonly full: boolean; readonly genesis: string | null },
  fail: ReportFail,
): ReportSequences {
  const of = <K extends JournaledReportKind>(kind: K) =>
    reports
      .filter((r) => r.report.kind === kind)
      .sort((a, b) => a.report.number - b.report.number) as CheckedReport<
      K extends "Z_REPORT" ? ZReport : Closure
    >[];
  const sequences = { z: of("Z_REPORT"), month: of("MONTH_CLOSURE"), year: of("YEAR_CLOSURE") };
  for (const list of [sequences.z, sequences.month, sequences.year]) checkSequence(list, ctx, fail);
  return sequences;
}

function checkSequence(
  list: readonly CheckedReport[],
  ctx: { readonly full: boolean; readonly genesis: string | null },
  fail: ReportFail,
): void {
  let before: CheckedReport | null = null;
  for (const r of list) {
    const { number } = r.report;
    const name = reportName(r.report);
    if (before === null && ctx.full && number !== 1) {
      fail(
        "report_gap",
        `the first ${r.report.kind} of a full export is number ${number}, not 1`,
        placeOf(r),
      );
    }
    if (before !== null && number !== before.report.number + 1) {
      const missing = number - before.report.number - 1;
      fail(
        "report_gap",
        `${missing} ${r.report.kind} missing between ${before.report.number} and ${number}`,
        placeOf(r),
      );
    }
    const prevReport = r.report.prev_report_hash;
    const expected = number === 1 ? ctx.genesis : before?.report.number === number - 1 ? before.hash : null;
    if (expected !== null && toHex(prevReport) !== expected) {
      const what = number === 1 ? "the genesis hash" : `the hash of ${reportName(before!.report)}`;
      fail(
        "report_chain",
        `${name}: prev_report_hash ${short(toHex(prevReport))} is not ${what} (${short(expected)})`,
        placeOf(r),
      );
    }
    if (before !== null && r.report.issued_at < before.report.issued_at) {
      fail("report_time", `${name} was made before ${reportName(before.report)}`, placeOf(r));
    }
    if (before !== null && r.report.after_fiscal_number < before.report.after_fiscal_number) {
      fail(
        "report_range",
        `${name} follows fiscal number ${r.report.after_fiscal_number}, before ${reportName(before.report)} (${before.report.after_fiscal_number})`,
        placeOf(r),
      );
    }
    before = r;
  }
}

/** Where reports sit in the journal's chain: the tip after each invoice, and the reports off it. */
export class ReportPlacement {
  private readonly byAfter = new Map<number, CheckedReport[]>();

  constructor(reports: readonly CheckedReport[]) {
    for (const r of reports) {
      const after = r.report.after_fiscal_number;
      this.byAfter.set(after, [...(this.byAfter.get(after) ?? []), r]);
    }
  }

  /**
   * What invoice `fn + 1` must name as prev_hash, given the hash of invoice `fn` (the genesis hash
   * for 0), and the report at that tip, if any.
   */
  tipAfter(fn: number, hash: string): { readonly hash: string; readonly report: string | null } {
    const reports = this.byAfter.get(fn);
    if (reports === undefined) return { hash, report: null };
    const tip = chainTipAfter(hash, reports);
    const at = reports.find((r) => r.hash === tip);
    return { hash: tip, report: at === undefined ? null : reportName(at.report) };
  }

  /**
   * Reports whose prev_hash is not their place: not on the path from invoice A's hash (A their
   * after_fiscal_number) through the reports after it. `hashOf(A)` is invoice A's hash, the genesis
   * hash for 0, or undefined when the file cannot tell (the place is then not checked).
   */
  checkPlaces(hashOf: (fn: number) => string | undefined, fail: ReportFail): void {
    for (const [after, reports] of this.byAfter) {
      const start = hashOf(after);
      if (start === undefined) continue;
      for (const r of reportsAfter(start, reports).unlinked) {
        fail(
          "report_chain",
          `${reportName(r.report)}: prev_hash ${short(r.prev)} is not the entry made just before it, after fiscal number ${after}`,
          placeOf(r),
        );
      }
    }
  }
}
