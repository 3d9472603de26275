/**
 * The English words of `stalela verify`'s summary (docs/EXPORT.md §3): the verdict, the counts, and
 * what each failure reason means. The failures' own messages stay English, as every `detail` does.
 */
export const AUDIT_EN: Readonly<Record<string, string>> = {
  "verify.verified": "VERIFIED",
  "verify.failed": "VERIFICATION FAILED",
  "verify.device":
    "device {device}, fiscal numbers {from}–{to}{partial}, {records, plural, one {# record} other {# records}}",
  "verify.partial": " (the device held {last}: a partial export)",
  "verify.key.pinned": "key {key} (pinned with --pubkey)",
  "verify.key.file": "key {key} (taken from the file: pin the registered key with --pubkey)",
  "verify.key.none": "(none)",
  "verify.counts": "verified {verified}, failed {failed}, missing {missing}",
  "verify.genesis": "chain checked from the activation record (genesis)",
  "verify.no_genesis": "chain checked from fiscal number {from} on; the genesis was not checked",
  "verify.last_hash": "last hash {hash}",
  "verify.prints": "receipts printed {printed}, of which DUPLICATA {duplicates}",
  "verify.reports":
    "Z reports {z}, monthly closures {months}, yearly {years}; days recomputed {checked}, not recomputed {unchecked}; invoices of the open day {open}",
  "verify.more": "… and {count} more {reason} failures (--json lists every one)",
  "verify.bad_records": "bad records: {ranges}",
  "verify.unchecked":
    "{count, plural, one {# credit note references} other {# credit notes reference}} an original this file does not hold (not checked):",
  "verify.unchecked.before_range": "before the range",
  "verify.unchecked.other_device": "another device",
  "verify.unchecked.more": "… and {count} more",
  "verify.reasons": "what the reasons mean:",
  "verify.wrong_key": "no record verifies under this key ({bad} of {readable} signatures fail): ",
  "verify.wrong_key.pinned": "wrong --pubkey? Pin the key registered for this device",
  "verify.wrong_key.file": "the file's key is not the one that signed its records",
  "verify.reason.malformed":
    "the entry is not a well-formed export entry (a missing or unknown field, bad base64url)",
  "verify.reason.non_canonical": "the record bytes are CBOR but not in deterministic encoding",
  "verify.reason.not_a_record": "the record bytes are not a fiscal record",
  "verify.reason.index_mismatch": "the entry's fiscal_number is not the signed one",
  "verify.reason.signature": "the record signature does not verify with the key",
  "verify.reason.auth_code": "the printed code is not the one derived from the signature",
  "verify.reason.qr_invalid": "the QR does not parse or its signature does not verify",
  "verify.reason.qr_mismatch": "the QR is genuine but its fields are another record's",
  "verify.reason.chain_break": "prev_hash is not the hash of the record before (or of the activation)",
  "verify.reason.counter_gap": "fiscal numbers of the range are missing",
  "verify.reason.type_counter_gap": "a per-type counter skips or repeats",
  "verify.reason.duplicate": "a fiscal number or an invoice payload appears twice",
  "verify.reason.out_of_order": "the entry comes after a higher fiscal number",
  "verify.reason.time_backwards": "issued before the record before it, or before the activation",
  "verify.reason.foreign_device": "the record names another device, NIF, outlet or fiscal authority",
  "verify.reason.out_of_range": "the fiscal number lies outside the declared range",
  "verify.reason.tax_table_unknown": "the tax table is not a known version, or not the record version's",
  "verify.reason.tax_arithmetic": "a group's rate or tax is not what its tax table and rounding rule give",
  "verify.reason.totals_sum": "total or tax total is not the sum of the groups",
  "verify.reason.export_group": "an export taxed outside group E, or group E on another type",
  "verify.reason.reference_rule":
    "a credit note without a reference, another type with one, or a nature rule broken",
  "verify.reason.credit_exceeds":
    "with the credit notes before it, more is credited than the original's total",
  "verify.reason.void_not_full": "an annulation (VOID, RAN) that does not reverse exactly what remained",
  "verify.reason.credit_reference":
    "the credit note references a type it may not credit, a later record, or one not in the file",
  "verify.reason.credit_currency": "the credit note is in another currency than its original",
  "verify.reason.duplicate_client_ref": "the client_ref was already sealed",
  "verify.reason.invoice_missing": "a version-2 record whose entry carries no invoice",
  "verify.reason.payload_hash": "the invoice bytes do not hash to the record's payload_hash",
  "verify.reason.invoice_invalid": "the invoice fails the device's own validation (code in the message)",
  "verify.reason.invoice_mismatch": "the record says something else than its invoice",
  "verify.reason.credit_lines":
    "a credited line is not on the original, changes its price, or exceeds what was sold",
  "verify.reason.prints_invalid":
    "the receipt log (/3 prints) is malformed, misnumbered or out of time order",
  "verify.reason.report_malformed":
    "the entry is not a report entry (missing field, bad base64url), or its kind and number are not the signed report's",
  "verify.reason.report_not_a_report":
    "the bytes are not a canonical journaled report (a Z, a monthly or a yearly closure)",
  "verify.reason.report_signature": "the report signature does not verify with the device key",
  "verify.reason.report_foreign_device": "the report names another device or another merchant identity",
  "verify.reason.report_duplicate": "the same report (kind and number) appears twice",
  "verify.reason.report_gap":
    "a report number is missing between two in the file, or the first of a full export is not 1",
  "verify.reason.report_chain":
    "prev_report_hash is not the previous report of its kind, or prev_hash is not its place in the journal's chain",
  "verify.reason.report_range":
    "a Z's day is not the invoices after the previous Z (first or last number, or period_from)",
  "verify.reason.report_figures": "a Z's figures are not those recomputed from the invoices of its day",
  "verify.reason.report_time": "the report is older than an invoice it covers, or than the report before it",
  "verify.reason.closure_period":
    "a closure sums a Z of another period, or its Z range does not follow the previous closure's",
  "verify.reason.closure_sums":
    "a closure's figures, incomplete count or fiscal numbers are not the sums of its Z reports",
  "verify.reason.closure_missing":
    "a new month (or year) began between two Z reports with no closure of the old one in the journal",
  "verify.reason.format":
    "not a /1 … /4 export, a header field missing, mistyped or unknown, or exported_at not ISO 8601",
  "verify.reason.public_key": "the file's key is malformed, or is not the pinned key",
  "verify.reason.activation": "the activation record is malformed, unsigned, or names another key or device",
  "verify.reason.range": "the declared range is inconsistent",
};
