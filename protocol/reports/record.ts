/**
 * Report records: their canonical bytes, the rules a schema cannot say, signing and verifying
 * (docs/PROTOCOL.md §13.2). A report is signed like an invoice record (context
 * `STALELA-DEF/v1/record`); its `kind` tells it from an invoice, whose `kind` is `INVOICE`.
 */
import { decodeCanonical, encodeCanonical } from "../cbor.js";
import { ERRORS, type FieldIssue, FiscalError } from "../errors.js";
import { DGI_TYPES, FISCAL_YEAR_UTC_OFFSET_MINUTES } from "../invoice/tables-v2.js";
import { compileChecker } from "../schema-issues.js";
import { SignContext, signWith, verifyWith } from "../security/ed25519.js";
import { type ReportRecord, ReportRecordSchema, type SealedReport } from "./schema.js";

const checker = compileChecker(ReportRecordSchema);

/** The fiscal month (`YYYY-MM`) of a device time: its calendar month at UTC+01:00, as the fiscal year. */
export function fiscalMonthOf(issuedAtMs: number): string {
  return new Date(issuedAtMs + FISCAL_YEAR_UTC_OFFSET_MINUTES * 60_000).toISOString().slice(0, 7);
}

function issue(path: string, message: string): FieldIssue {
  return { path, code: ERRORS.FIELD_RANGE.code, message };
}

/** What the schema of a report cannot say (§13.2). */
function postCheck(report: ReportRecord): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { first_fiscal_number: first, last_fiscal_number: last } = report;
  if ((first === null) !== (last === null)) {
    issues.push(issue("/first_fiscal_number", "first and last fiscal numbers are both null or neither"));
  } else if (first !== null && last !== null && first > last) {
    issues.push(issue("/first_fiscal_number", "is after last_fiscal_number"));
  }
  if (last !== null && last > report.after_fiscal_number) {
    issues.push(issue("/last_fiscal_number", "is after after_fiscal_number"));
  }
  if (report.kind === "A_REPORT") return issues;
  if (
    (report.kind === "Z_REPORT" || report.kind === "X_REPORT") &&
    last !== null &&
    last !== report.after_fiscal_number
  ) {
    issues.push(issue("/after_fiscal_number", "a day report covers the invoices up to the last one"));
  }
  if (report.kind === "MONTH_CLOSURE" || report.kind === "YEAR_CLOSURE") {
    if (report.z_first > report.z_last) issues.push(issue("/z_first", "is after z_last"));
  }
  report.figures.types.forEach((t, i) => {
    if (t.dgi_type !== DGI_TYPES[t.invoice_type].code) {
      issues.push(issue(`/figures/types/${i}/dgi_type`, `must be ${DGI_TYPES[t.invoice_type].code}`));
    }
  });
  return issues;
}

/** Canonical bytes of a report record. */
export function encodeReport(report: ReportRecord): Uint8Array {
  return encodeCanonical(report as never);
}

/**
 * Decodes and checks report bytes: canonical CBOR, the schema of its kind, and the rules of §13.2.
 * Throws JOURNAL_CORRUPT, with the issues, when they are not a report.
 */
export function decodeReport(bytes: Uint8Array): ReportRecord {
  const value = decodeCanonical(bytes);
  let issues = checker.issues(value);
  if (issues.length === 0) issues = postCheck(value as ReportRecord);
  if (issues.length > 0) {
    throw new FiscalError("JOURNAL_CORRUPT", `not a report: ${issues[0]!.path} ${issues[0]!.message}`, {
      issues,
    });
  }
  return value as ReportRecord;
}

/** Signs a report with the device key. */
export function sealReport(report: ReportRecord, deviceSeed: Uint8Array): SealedReport {
  const record = encodeReport(report);
  return { record, signature: signWith(deviceSeed, SignContext.RECORD, record) };
}

/** Verifies a signed report with the device's public key and returns it (SIGNATURE_INVALID otherwise). */
export function openSealedReport(sealed: SealedReport, devicePublicKey: Uint8Array): ReportRecord {
  const report = decodeReport(sealed.record);
  if (!verifyWith(devicePublicKey, SignContext.RECORD, sealed.record, sealed.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", `${reportName(report)}: signature does not verify`);
  }
  return report;
}

/** How a person names a report: `Z 12`, `X (Z 13)`, `MONTH_CLOSURE 2026-11`, `A 1-40`. */
export function reportName(report: ReportRecord): string {
  switch (report.kind) {
    case "Z_REPORT":
      return `Z ${report.number}`;
    case "X_REPORT":
      return `X (Z ${report.number})`;
    case "MONTH_CLOSURE":
    case "YEAR_CLOSURE":
      return `${report.kind} ${report.period}`;
    case "A_REPORT":
      return `A ${report.first_fiscal_number ?? "-"}-${report.last_fiscal_number ?? "-"}`;
  }
}
