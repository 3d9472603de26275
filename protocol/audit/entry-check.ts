/**
 * One export entry on its own (docs/EXPORT.md §3, step 2): well formed, canonical record bytes, the
 * signature, the printed code and QR, the device identity, the record's own rules, and, with format
 * /2, its invoice bytes. Returns what the checks across records need, and nothing more, so that a
 * verifier streaming a million entries keeps only a compact summary of each.
 */
import Type from "typebox";
import { toHex } from "../bytes.js";
import { ERRORS, isFiscalError } from "../errors.js";
import { compileChecker } from "../schema-issues.js";
import type { ActivationRecord } from "../security/activation.js";
import { SignContext, verifyWith } from "../security/ed25519.js";
import { buildQrPayload, parseQrPayload, verifyQrPayload } from "../security/qr.js";
import { type FiscalRecord, recordCodeOf, recordHash, type SealedRecord } from "../security/record.js";
import { decodeAuditedRecord } from "./audited-record.js";
import { chainFieldsOf, type VerifiedEntry } from "./chain.js";
import type { LedgerEntry } from "./credit-ledger.js";
import {
  EXPORT_FORMAT_V1,
  type ExportedPrint,
  type ExportedRecord,
  type ExportFormat,
  FORMATS_WITH_PRINTS,
  isIsoUtc,
  RECEIPT_FORMATS,
  sealedRecordOf,
} from "./export-format.js";
import { checkInvoice } from "./invoice-checks.js";
import { checkRecordRules } from "./record-rules.js";
import type { RecordFailureReason } from "./report.js";

const Uint = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const ENTRY_FIELDS = {
  fiscal_number: Uint,
  record: Type.String(),
  signature: Type.String(),
  auth_code: Type.String(),
  qr: Type.String(),
};
/** One printed receipt (format /3). */
const PrintSchema = Type.Object(
  {
    copy_number: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    format: Type.Enum([...RECEIPT_FORMATS]),
    lang: Type.String({ minLength: 1, maxLength: 8 }),
    requested_by: Type.String({ minLength: 1, maxLength: 128 }),
    at: Type.String(),
  },
  { additionalProperties: false },
);
const Prints = Type.Array(PrintSchema);
/** What every entry must have; unknown fields are looked at separately (a non-fatal `malformed`). */
const entryChecker = compileChecker(Type.Object({ ...ENTRY_FIELDS, invoice: Type.Optional(Type.String()) }));
const withPrintsChecker = compileChecker(
  Type.Object(
    // The log itself is checked by checkPrints (prints_invalid), not here: one failure, its own name.
    { ...ENTRY_FIELDS, invoice: Type.Optional(Type.String()), prints: Type.Optional(Type.Unknown()) },
    { additionalProperties: false },
  ),
);
/** Entries are closed: /1 has the five fields, /2 adds `invoice`, /3 `prints` (/4 the same as /3). */
const closedChecker: Readonly<Record<ExportFormat, ReturnType<typeof compileChecker>>> = {
  "stalela-journal-export/1": compileChecker(Type.Object(ENTRY_FIELDS, { additionalProperties: false })),
  "stalela-journal-export/2": compileChecker(
    Type.Object({ ...ENTRY_FIELDS, invoice: Type.Optional(Type.String()) }, { additionalProperties: false }),
  ),
  "stalela-journal-export/3": withPrintsChecker,
  "stalela-journal-export/4": withPrintsChecker,
};
const printsChecker = compileChecker(Prints);

/** What an entry is checked against. */
export interface EntryContext {
  readonly format: ExportFormat;
  readonly deviceId: string;
  readonly key: Uint8Array | null;
  readonly activation: ActivationRecord | null;
}

/** An entry that decoded: its compact copy for the order checks and its facts for the credit ledger. */
export interface CheckedEntry {
  readonly chain: VerifiedEntry;
  readonly ledger: LedgerEntry;
  /** The decoded record (for the day it belongs to, format /4); not kept by the verifier. */
  readonly record: FiscalRecord;
  readonly invoiceType: string;
  /** Receipts printed of the record (format /3): the original and the duplicates. */
  readonly printed: number;
}

/** Reports one failure of the entry; `fn` is the fiscal number it concerns (null when unknown). */
export type EntryFail = (reason: RecordFailureReason, message: string, fn?: number | null) => void;

/** Checks one entry; returns it for the checks across records, or null when it cannot be read. */
export function checkEntry(
  raw: unknown,
  index: number,
  ctx: EntryContext,
  fail: EntryFail,
): CheckedEntry | null {
  if (!entryChecker.check(raw)) {
    const first = entryChecker.issues(raw)[0];
    const claimed = (raw as { fiscal_number?: unknown } | null)?.fiscal_number;
    fail(
      "malformed",
      `entry ${index}: ${first?.path ?? ""} ${first?.message ?? "is not a record entry"}`,
      Number.isSafeInteger(claimed) ? (claimed as number) : null,
    );
    return null;
  }
  const given = raw as ExportedRecord;
  const unknown = closedChecker[ctx.format].issues(raw)[0];
  // A /1 entry never carries an invoice: an `invoice` there is reported above and not used.
  const entry: ExportedRecord =
    ctx.format === EXPORT_FORMAT_V1 && given.invoice !== undefined ? { ...given, invoice: undefined } : given;
  let sealed: SealedRecord;
  try {
    sealed = sealedRecordOf(entry);
  } catch (err) {
    fail("malformed", `entry ${index}: ${messageOf(err)}`, entry.fiscal_number);
    return null;
  }
  let record: FiscalRecord;
  try {
    record = decodeAuditedRecord(sealed.record);
  } catch (err) {
    const canonical = isFiscalError(err) && err.code === ERRORS.CBOR_NOT_CANONICAL.code;
    fail(
      canonical ? "non_canonical" : "not_a_record",
      `record bytes: ${messageOf(err)}`,
      entry.fiscal_number,
    );
    return null;
  }
  const fn = record.fiscal_number;
  const bad = (reason: RecordFailureReason, message: string): void => fail(reason, message, fn);
  if (unknown !== undefined)
    bad("malformed", `entry ${index}: ${unknown.path} is not a field of ${ctx.format} (ignored)`);
  checkSeal(entry, sealed, record, ctx, bad);
  for (const breach of checkRecordRules(record)) bad(breach.reason, breach.message);
  let ledger: LedgerEntry = { index, record };
  if (sealed.invoice !== undefined) {
    const { breaches, facts } = checkInvoice(record, sealed.invoice);
    for (const breach of breaches) bad(breach.reason, breach.message);
    ledger = { ...ledger, ...facts };
  } else if (ctx.format !== EXPORT_FORMAT_V1 && record.v === 2) {
    bad("invoice_missing", "a version-2 record's entry carries its invoice (the device keeps every one)");
  }
  const printed = FORMATS_WITH_PRINTS.has(ctx.format) ? checkPrints(given.prints, bad) : 0;
  return {
    chain: { index, record: chainFieldsOf(record), hash: toHex(recordHash(sealed.record)) },
    ledger,
    record,
    invoiceType: record.invoice_type,
    printed,
  };
}

/**
 * A /3 entry's receipt log: well formed, copies numbered 1, 2, 3… in order (one original, then the
 * duplicates), each at an ISO 8601 UTC time no earlier than the copy before. Returns how many.
 */
function checkPrints(prints: unknown, bad: (reason: RecordFailureReason, message: string) => void): number {
  if (prints === undefined) return 0;
  if (!printsChecker.check(prints)) {
    const first = printsChecker.issues(prints)[0];
    bad("prints_invalid", `prints${first?.path ?? ""} ${first?.message ?? "is not a receipt log"}`);
    return 0;
  }
  const log = prints as readonly ExportedPrint[];
  let last = Number.NEGATIVE_INFINITY;
  log.forEach((p, i) => {
    if (p.copy_number !== i + 1) bad("prints_invalid", `prints/${i} is copy ${p.copy_number}, not ${i + 1}`);
    if (!isIsoUtc(p.at)) bad("prints_invalid", `prints/${i}/at ${JSON.stringify(p.at)} is not ISO 8601 UTC`);
    else if (Date.parse(p.at) < last) bad("prints_invalid", `prints/${i} is earlier than the copy before it`);
    else last = Date.parse(p.at);
  });
  return log.length;
}

/** The entry's index, signature, printed code, QR and device identity. */
function checkSeal(
  entry: ExportedRecord,
  sealed: SealedRecord,
  record: FiscalRecord,
  ctx: EntryContext,
  bad: (reason: RecordFailureReason, message: string) => void,
): void {
  const fn = record.fiscal_number;
  if (entry.fiscal_number !== fn)
    bad("index_mismatch", `entry says ${entry.fiscal_number}, the record is ${fn}`);
  if (ctx.key !== null && !verifyWith(ctx.key, SignContext.RECORD, sealed.record, sealed.signature)) {
    bad("signature", "record signature does not verify with the device key");
  }
  if (recordCodeOf(record.v, sealed.signature) !== entry.auth_code) {
    const what = record.v === 2 ? "Code DEF/DGI" : "auth code";
    bad("auth_code", `${what} ${entry.auth_code} is not the one derived from the signature`);
  }
  try {
    const qr = ctx.key === null ? parseQrPayload(entry.qr) : verifyQrPayload(entry.qr, ctx.key);
    if (qr.body !== buildQrPayload(record, entry.auth_code, null)) {
      bad("qr_mismatch", "QR fields differ from the signed record");
    }
  } catch (err) {
    bad("qr_invalid", messageOf(err));
  }
  for (const problem of identityProblems("record", record, ctx)) bad("foreign_device", problem);
}

/** The identity a signed record or report carries. */
type Identity = Pick<FiscalRecord, "device_id" | "merchant_nif" | "outlet_id" | "fiscal_authority_id">;

/**
 * How a record's or report's identity differs from the export's: another device, or another NIF,
 * outlet or fiscal authority than the activation's. Empty when it is the exported device's.
 */
export function identityProblems(
  what: string,
  signed: Identity,
  ctx: Pick<EntryContext, "deviceId" | "activation">,
): string[] {
  if (signed.device_id !== ctx.deviceId)
    return [`${what} of device ${signed.device_id}, export of ${ctx.deviceId}`];
  const activation = ctx.activation;
  if (activation === null) return [];
  return (["merchant_nif", "outlet_id", "fiscal_authority_id"] as const).flatMap((field) =>
    signed[field] === activation[field]
      ? []
      : [`${field} ${signed[field]} differs from the activation's ${activation[field]}`],
  );
}

/** A FiscalError's text without its code prefix; any other error's message. */
export function messageOf(err: unknown): string {
  return isFiscalError(err) ? err.text : (err as Error).message;
}
