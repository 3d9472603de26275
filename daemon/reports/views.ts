/**
 * The JSON view of a fiscal report (docs/API.md §Reports), one shape for the API, the admin socket and
 * `stalela report … --json`: the signed record's fields with times in UTC ISO 8601, the figures as
 * signed, whether they match the store's records, and the signed bytes themselves (base64url) so any
 * holder can verify the report with the device key.
 */
import { type ArticleLine, type Figures, recordHash, toBase64Url, toHex } from "../../protocol/index.js";
import type { VerifiedReport } from "./day-reports.js";

/** A report as the API shows it. */
export interface ReportView {
  readonly kind: string;
  /** Z and closures: their number; X: the Z that will close the day; A: the store's sequence. */
  readonly number: number | null;
  readonly device_id: string;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly isf: string;
  readonly issued_at: string;
  /** Z and X: the day's first invoice time (null without one); closures: `YYYY-MM` or `YYYY`. */
  readonly period_from: string | null;
  readonly period: string | null;
  readonly first_fiscal_number: number | null;
  readonly last_fiscal_number: number | null;
  readonly after_fiscal_number: number;
  readonly z_first: number | null;
  readonly z_last: number | null;
  readonly incomplete: number | null;
  readonly figures: Figures | null;
  readonly article_count: number | null;
  readonly lines: readonly ArticleLine[] | null;
  readonly matches_store: boolean;
  readonly signed: { readonly record: string; readonly signature: string; readonly hash: string };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The view of a verified report; `number` for an A report is the store's; `lines` for an A report. */
export function reportView(
  verified: VerifiedReport,
  options: { number?: number; lines?: readonly ArticleLine[] } = {},
): ReportView {
  const r = verified.report;
  const day = r.kind === "Z_REPORT" || r.kind === "X_REPORT";
  const closure = r.kind === "MONTH_CLOSURE" || r.kind === "YEAR_CLOSURE";
  return {
    kind: r.kind,
    number: r.kind === "A_REPORT" ? (options.number ?? null) : r.number,
    device_id: r.device_id,
    merchant_nif: r.merchant_nif,
    outlet_id: r.outlet_id,
    isf: r.isf,
    issued_at: iso(r.issued_at),
    period_from: day && r.period_from !== null ? iso(r.period_from) : null,
    period: closure ? r.period : null,
    first_fiscal_number: r.first_fiscal_number,
    last_fiscal_number: r.last_fiscal_number,
    after_fiscal_number: r.after_fiscal_number,
    z_first: closure ? r.z_first : null,
    z_last: closure ? r.z_last : null,
    incomplete: r.kind === "A_REPORT" ? null : r.incomplete,
    figures: r.kind === "A_REPORT" ? null : r.figures,
    article_count: r.kind === "A_REPORT" ? r.article_count : null,
    lines: r.kind === "A_REPORT" ? (options.lines ?? null) : null,
    matches_store: verified.matches_store,
    signed: {
      record: toBase64Url(verified.sealed.record),
      signature: toBase64Url(verified.sealed.signature),
      hash: toHex(recordHash(verified.sealed.record)),
    },
  };
}
