/**
 * What `verifyExport` reports: every problem with the fiscal number it concerns and a stable reason
 * code, summary counts, and the chain's two ends, so an auditor can compare them with the device's
 * STATUS `last_hash` or with an earlier export.
 */

import type { UncheckedCredit } from "./credit-ledger.js";

/** Why a record failed. Stable: scripts branch on these, docs/EXPORT.md explains each. */
export const RECORD_FAILURE_REASONS = [
  "malformed", // the entry is not an export record (missing field, bad base64url)
  "non_canonical", // the record bytes are CBOR but not in deterministic encoding
  "not_a_record", // the record bytes are not a fiscal record at all
  "index_mismatch", // the entry's fiscal_number differs from the signed one
  "signature", // the record signature does not verify with the device key
  "auth_code", // the auth code is not the one derived from the signature
  "qr_invalid", // the QR does not parse or its own signature does not verify
  "qr_mismatch", // the QR's fields differ from the signed record
  "chain_break", // prev_hash is not the hash of the previous record (or of the activation, for 1)
  "counter_gap", // fiscal numbers are missing from the range
  "type_counter_gap", // the per-type counter skips or repeats within the export
  "duplicate", // the same fiscal number (or the same invoice payload) appears twice
  "out_of_order", // the record comes after a higher fiscal number in the file
  "time_backwards", // issued_at is earlier than the record before it (or the activation)
  "foreign_device", // the record names another device or another merchant identity
  "out_of_range", // the fiscal number lies outside the range the file declares
  "tax_table_unknown", // the tax table is not a known version, or not the record version's
  "tax_arithmetic", // a group's rate is not the table's, or its tax does not follow by the rounding rule
  "totals_sum", // total or tax_total is not the sum of the groups (or the groups are not in letter order)
  "export_group", // an export type taxed outside group E, or group E on another type
  "reference_rule", // a credit note without a reference, another type with one, or a v2 nature rule broken
  "credit_exceeds", // with the credits before it, the credit exceeds its original's total
  "void_not_full", // a void (v1 VOID, v2 RAN) does not reverse exactly what remained
  "credit_reference", // references a type it may not credit, a later record, a credit, or one not in the file
  "credit_currency", // the credit is in another currency than its original
  "duplicate_client_ref", // the client_ref was already sealed in the file
  "invoice_missing", // a version-2 record whose entry carries no invoice (format /2)
  "payload_hash", // SHA-256 of the entry's invoice is not the record's payload_hash
  "invoice_invalid", // the invoice does not pass the device's own validation (the message has the code)
  "invoice_mismatch", // a record field differs from the invoice's
  "credit_lines", // a credit note's lines are not on the original, exceed what was sold, or change a price
  "prints_invalid", // format /3: the receipt log is malformed, misnumbered or out of time order
] as const;
/** A record failure reason. */
export type RecordFailureReason = (typeof RECORD_FAILURE_REASONS)[number];

/** Why a journaled report (format /4) failed. Stable, like the record reasons; docs/EXPORT.md §3.6. */
export const REPORT_FAILURE_REASONS = [
  "report_malformed", // the entry is not a report entry (missing field, bad base64url), or kind/number differ from the signed ones
  "report_not_a_report", // the bytes are not a canonical report record of a journaled kind (PROTOCOL §13.2)
  "report_signature", // the report signature does not verify with the device key
  "report_foreign_device", // the report names another device or another merchant identity
  "report_duplicate", // the same kind and number appear twice
  "report_gap", // a number of the kind is missing between two in the file, or the first of a full export is not 1
  "report_chain", // prev_report_hash is not the previous report of its kind, or prev_hash is not its place in the journal's chain
  "report_range", // a Z's day is not the invoices after the previous Z: first, last or period_from differ
  "report_figures", // a Z's figures are not those recomputed from its day's invoices
  "report_time", // the report is older than an invoice it covers, or than the report before it
  "closure_period", // a closure sums a Z of another period, or its Z range does not follow the previous closure's
  "closure_sums", // a closure's figures, incomplete count or fiscal numbers are not the sums of its Z reports
  "closure_missing", // a new month (or year) began between two Z reports and no closure of the old one is in the journal
] as const;
/** A report failure reason. */
export type ReportFailureReason = (typeof REPORT_FAILURE_REASONS)[number];

/** One problem with one journaled report. */
export interface ReportFailure {
  /** The report's kind and number as signed (as the entry claims when it cannot be read; null if neither). */
  readonly kind: string | null;
  readonly number: number | null;
  /** Position of the entry in `reports` (0-based); null for a report that is missing. */
  readonly index: number | null;
  readonly reason: ReportFailureReason;
  readonly message: string;
}

/** What the verifier found of the journaled reports (format /4; all zero before). */
export interface ReportsVerification {
  /** Report entries in the file. */
  readonly entries: number;
  /** Of those, Z reports, monthly and yearly closures that decoded. */
  readonly z: number;
  readonly month_closures: number;
  readonly year_closures: number;
  /** Z reports whose day lies wholly in the file and was recomputed from its invoices. */
  readonly days_checked: number;
  /** Z reports whose day was not recomputed: it starts before the range, or a record of it is missing or unreadable. */
  readonly days_unchecked: number;
  /** Closures whose Z reports are all in the file and were summed. */
  readonly closures_checked: number;
  /** Records after the last Z of the file: the open day, closed by no Z yet (not a failure). */
  readonly open_day_records: number;
  /** Sorted by kind, then number, then reason. */
  readonly failures: readonly ReportFailure[];
}

/** Problems with the file as a whole. */
export const DOCUMENT_ISSUE_REASONS = [
  "format", // not a /1 … /4 export, a header field missing, mistyped or unknown, or exported_at not ISO 8601
  "public_key", // the file's key is malformed, or differs from the pinned key
  "activation", // the activation record is malformed, unsigned, or names another key or device
  "range", // the declared range is inconsistent
] as const;
/** A document issue reason. */
export type DocumentIssueReason = (typeof DOCUMENT_ISSUE_REASONS)[number];

/** One problem with one record. */
export interface RecordFailure {
  /** The fiscal number concerned (for a gap, the first missing number). Null when unreadable. */
  readonly fiscal_number: number | null;
  /** Position of the entry in `records` (0-based); null for a gap, which has no entry. */
  readonly index: number | null;
  readonly reason: RecordFailureReason;
  readonly message: string;
}

/** One problem with the document. */
export interface DocumentIssue {
  readonly reason: DocumentIssueReason;
  readonly message: string;
}

/** The verification report. */
export interface ExportVerification {
  /** True when the document, every record and every report verify and nothing is missing. */
  readonly ok: boolean;
  readonly format: string | null;
  readonly device_id: string | null;
  /** Hex of the key every signature was checked with. */
  readonly public_key: string | null;
  /** `pinned` when the caller supplied the key (an auditor's registered key), else `file`. */
  readonly key_source: "pinned" | "file";
  /** The declared range and the device's last fiscal number at export time (to < last: a partial export). */
  readonly range: { readonly from: number; readonly to: number; readonly last_on_device: number } | null;
  /** True when fiscal number 1 is in the file and its prev_hash matched against the activation record's hash. */
  readonly genesis_checked: boolean;
  readonly counts: {
    /** Entries in the file. */
    readonly records: number;
    /** Entries with no failure. */
    readonly verified: number;
    /** Entries with at least one failure. */
    readonly failed: number;
    /** Fiscal numbers of the range with no entry. */
    readonly missing: number;
    /** Records per invoice type, among entries that decode. */
    readonly by_type: Readonly<Record<string, number>>;
    /** Format /3: receipts printed, all records together (originals and duplicates). */
    readonly printed: number;
    /** Format /3: of those, duplicates (every copy after a record's first). */
    readonly duplicates: number;
  };
  readonly chain: {
    /** Hex prev_hash of the lowest fiscal number (the genesis hash for a full export). */
    readonly first_prev_hash: string | null;
    /**
     * Hex SHA-256 of the chain's last entry in the file: the highest fiscal number's record, or the
     * last journaled report made after it (format /4). Compare with the device's STATUS last_hash.
     */
    readonly last_hash: string | null;
  };
  readonly document_issues: readonly DocumentIssue[];
  /**
   * Credit notes whose original the file cannot show (it lies before a range export's first number,
   * or on another device): their type, currency, amount and line checks were not made.
   */
  readonly unchecked_credits: readonly UncheckedCredit[];
  /** Sorted by fiscal number, then by reason. */
  readonly failures: readonly RecordFailure[];
  /** The distinct fiscal numbers named by `failures`, ascending. */
  readonly bad_fiscal_numbers: readonly number[];
  /** The journaled reports (format /4): what was checked, and what failed. */
  readonly reports: ReportsVerification;
}

/** Progress of a long verification: entries done out of the total. */
export type VerifyProgress = (done: number, total: number) => void;
