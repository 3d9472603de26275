/**
 * The monthly and yearly closures against their Z reports (docs/EXPORT.md §3.6; PROTOCOL §13.4).
 * A closure of kind K sums the Z reports z_first … z_last: z_first follows the previous closure's
 * z_last (1 for the first), every one of them was made in the closure's period (its fiscal month or
 * year at UTC+01:00), and the Z after them, which made the closure, was not. Its figures and
 * `incomplete` are their sums (sumFigures), its fiscal numbers their first and last. And a closure
 * exists wherever two Z reports in a row fall in two periods.
 */
import { bytesEqual, encodeCanonical } from "../cbor.js";
import { sumFigures } from "../reports/figures.js";
import { fiscalMonthOf, reportName } from "../reports/record.js";
import type { Closure, ZReport } from "../reports/schema.js";
import type { ReportSequences } from "./report-chain.js";
import { firstDifference } from "./report-days.js";
import { type CheckedReport, placeOf, type ReportFail } from "./report-entries.js";

type ClosureKind = "MONTH_CLOSURE" | "YEAR_CLOSURE";

/** The period a report falls in for a closure kind: `YYYY-MM` or `YYYY`. */
function periodOf(kind: ClosureKind, issuedAt: number): string {
  const month = fiscalMonthOf(issuedAt);
  return kind === "MONTH_CLOSURE" ? month : month.slice(0, 4);
}

/** Checks both kinds of closure; returns how many were summed from Z reports all in the file. */
export function checkClosures(seq: ReportSequences, fail: ReportFail): number {
  const zByNumber = new Map(seq.z.map((z) => [z.report.number, z]));
  return (
    checkKind("MONTH_CLOSURE", seq.month, seq.z, zByNumber, fail) +
    checkKind("YEAR_CLOSURE", seq.year, seq.z, zByNumber, fail)
  );
}

function checkKind(
  kind: ClosureKind,
  closures: readonly CheckedReport<Closure>[],
  zs: readonly CheckedReport<ZReport>[],
  zByNumber: ReadonlyMap<number, CheckedReport<ZReport>>,
  fail: ReportFail,
): number {
  let summed = 0;
  let before: CheckedReport<Closure> | null = null;
  for (const c of closures) {
    const r = c.report;
    const name = reportName(r);
    const wantFirst =
      r.number === 1 ? 1 : before?.report.number === r.number - 1 ? before.report.z_last + 1 : null;
    if (wantFirst !== null && r.z_first !== wantFirst) {
      fail("closure_period", `${name} starts at Z ${r.z_first}, not Z ${wantFirst}`, placeOf(c));
    }
    const maker = zByNumber.get(r.z_last + 1);
    if (maker !== undefined) {
      if (periodOf(kind, maker.report.issued_at) === r.period) {
        fail(
          "closure_period",
          `${name}: Z ${r.z_last + 1}, which made it, is of the same period`,
          placeOf(c),
        );
      }
      if (r.after_fiscal_number !== maker.report.after_fiscal_number) {
        fail(
          "closure_period",
          `${name} was not made by Z ${r.z_last + 1}, which follows its last Z`,
          placeOf(c),
        );
      }
    }
    const own: CheckedReport<ZReport>[] = [];
    for (let n = r.z_first; n <= r.z_last; n++) {
      const z = zByNumber.get(n);
      if (z !== undefined) own.push(z);
    }
    for (const z of own) {
      const period = periodOf(kind, z.report.issued_at);
      if (period !== r.period) {
        fail("closure_period", `${name} sums ${reportName(z.report)}, made in ${period}`, placeOf(c));
      }
    }
    if (own.length === r.z_last - r.z_first + 1) {
      summed += 1;
      checkSums(c, own, fail);
    }
    before = c;
  }
  checkPresent(kind, closures, zs, fail);
  return summed;
}

/** The closure's figures, incomplete count and fiscal numbers are those of its Z reports. */
function checkSums(
  c: CheckedReport<Closure>,
  own: readonly CheckedReport<ZReport>[],
  fail: ReportFail,
): void {
  const r = c.report;
  const name = reportName(r);
  const figures = sumFigures(own.map((z) => z.report.figures));
  if (!bytesEqual(encodeCanonical(figures as never), encodeCanonical(r.figures as never))) {
    const where = firstDifference(r.figures, figures, "figures");
    fail("closure_sums", `${name}: ${where} (the closure's, then its Z reports')`, placeOf(c));
  }
  const incomplete = own.reduce((n, z) => n + z.report.incomplete, 0);
  if (r.incomplete !== incomplete) {
    fail(
      "closure_sums",
      `${name}: incomplete ${r.incomplete}, its Z reports' sum is ${incomplete}`,
      placeOf(c),
    );
  }
  const numbers = own.flatMap((z) =>
    z.report.first_fiscal_number === null
      ? []
      : [[z.report.first_fiscal_number, z.report.last_fiscal_number!]],
  );
  const first = numbers[0]?.[0] ?? null;
  const last = numbers[numbers.length - 1]?.[1] ?? null;
  if (r.first_fiscal_number !== first || r.last_fiscal_number !== last) {
    fail(
      "closure_sums",
      `${name} covers fiscal numbers ${r.first_fiscal_number}–${r.last_fiscal_number}; its Z reports ${first}–${last}`,
      placeOf(c),
    );
  }
}

/** Wherever Z n − 1 and Z n fall in two periods, a closure ending at Z n − 1 is in the file. */
function checkPresent(
  kind: ClosureKind,
  closures: readonly CheckedReport<Closure>[],
  zs: readonly CheckedReport<ZReport>[],
  fail: ReportFail,
): void {
  const ends = new Set(closures.map((c) => c.report.z_last));
  for (let i = 1; i < zs.length; i++) {
    const prior = zs[i - 1]!.report;
    const z = zs[i]!.report;
    if (z.number !== prior.number + 1) continue;
    const from = periodOf(kind, prior.issued_at);
    const to = periodOf(kind, z.issued_at);
    if (to > from && !ends.has(prior.number)) {
      fail(
        "closure_missing",
        `${reportName(z)} opened ${to} after ${reportName(prior)} of ${from}, and no ${kind} of ${from} is in the file`,
        { kind, number: null, index: null },
      );
    }
  }
}
