/**
 * The independent journal verifier (docs/EXPORT.md): given an export document and, ideally, the key
 * the DGI registered for the device, it checks every record's signature, auth code and QR, the hash
 * chain from the activation record on, the counters (gaps, duplicates, order, per-type counters), the
 * device time, and that every record belongs to the exported device. Pure: the caller reads the file.
 */
import Type from "typebox";
import { toHex } from "../bytes.js";
import { bytesEqual } from "../cbor.js";
import { ERRORS, isFiscalError } from "../errors.js";
import { compileChecker } from "../schema-issues.js";
import { type ActivationRecord, genesisHash, openActivationRecord } from "../security/activation.js";
import { authCodeOf } from "../security/auth-code.js";
import { SignContext, verifyWith } from "../security/ed25519.js";
import { buildQrPayload, parseQrPayload, verifyQrPayload } from "../security/qr.js";
import { decodeRecord, type FiscalRecord, recordHash } from "../security/record.js";
import { checkJournalOrder, type VerifiedEntry } from "./chain.js";
import {
  activationBlobOf,
  EXPORT_FORMAT,
  type ExportedRecord,
  type JournalExport,
  publicKeyFromHex,
  sealedRecordOf,
} from "./export-format.js";
import type {
  DocumentIssue,
  ExportVerification,
  RecordFailure,
  RecordFailureReason,
  VerifyProgress,
} from "./report.js";

/** Options of `verifyExport`. */
export interface VerifyExportOptions {
  /** The key to verify with (an auditor pins the registered one); the file's key when absent. */
  readonly publicKey?: Uint8Array;
  /** Called after each entry with (entries done, entries in the file). */
  readonly onProgress?: VerifyProgress;
}

const Uint = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = Type.String();
const HeaderSchema = Type.Object({
  format: Type.Literal(EXPORT_FORMAT),
  exported_at: Text,
  device: Type.Object({
    device_id: Text,
    public_key: Text,
    activation: Type.Object({ bytes: Text, signature: Text }),
  }),
  range: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Uint, last_on_device: Uint }),
  records: Type.Array(Type.Unknown()),
});
const RecordEntrySchema = Type.Object({
  fiscal_number: Uint,
  record: Text,
  signature: Text,
  auth_code: Text,
  qr: Text,
});
/** Reasons that leave an entry undecoded: its fiscal number is claimed, not missing. */
const UNREADABLE: ReadonlySet<RecordFailureReason> = new Set(["malformed", "non_canonical", "not_a_record"]);
const headerChecker = compileChecker(HeaderSchema);
const entryChecker = compileChecker(RecordEntrySchema);

/** Verifies an export document (parsed JSON). Never throws for bad content: it reports it. */
export function verifyExport(doc: unknown, options: VerifyExportOptions = {}): ExportVerification {
  const issues: DocumentIssue[] = [];
  const keySource = options.publicKey === undefined ? "file" : "pinned";
  const headerIssues = headerChecker.issues(doc);
  if (headerIssues.length > 0) {
    for (const issue of headerIssues) {
      issues.push({ reason: "format", message: `${issue.path || "/"} ${issue.message}` });
    }
    return emptyReport(doc, issues, keySource, options.publicKey);
  }
  const file = doc as JournalExport;
  const key = chooseKey(file, options.publicKey, issues);
  const activation = checkActivation(file, key, issues);
  const { from, to, last_on_device: lastOnDevice } = file.range;
  if (to < from - 1)
    issues.push({ reason: "range", message: `range ends (${to}) before it starts (${from})` });
  if (to > lastOnDevice) {
    issues.push({
      reason: "range",
      message: `range ends at ${to}, after the device's last record ${lastOnDevice}`,
    });
  }

  const failures: RecordFailure[] = [];
  const entries: VerifiedEntry[] = [];
  const total = file.records.length;
  file.records.forEach((raw, index) => {
    const fail = (reason: RecordFailureReason, message: string, fn: number | null = null): void => {
      failures.push({ fiscal_number: fn, index, reason, message });
    };
    const entry = checkEntry(raw, index, file, key, activation, fail);
    if (entry !== null) entries.push(entry);
    options.onProgress?.(index + 1, total);
  });
  const order = checkJournalOrder(entries, {
    from,
    to,
    genesis: activation === null ? null : genesisHash(activationBlobOf(file.device).bytes),
    activatedAt: activation?.activated_at ?? null,
    unreadable: new Set(
      failures.flatMap((f) =>
        UNREADABLE.has(f.reason) && f.fiscal_number !== null ? [f.fiscal_number] : [],
      ),
    ),
  });
  failures.push(...order.failures);
  failures.sort(
    (a, b) =>
      (a.fiscal_number ?? -1) - (b.fiscal_number ?? -1) ||
      (a.index ?? -1) - (b.index ?? -1) ||
      a.reason.localeCompare(b.reason),
  );
  const failedIndexes = new Set(failures.flatMap((f) => (f.index === null ? [] : [f.index])));
  const byType: Record<string, number> = {};
  for (const e of entries) byType[e.record.invoice_type] = (byType[e.record.invoice_type] ?? 0) + 1;
  return {
    ok: issues.length === 0 && failures.length === 0,
    format: file.format,
    device_id: file.device.device_id,
    public_key: key === null ? null : toHex(key),
    key_source: keySource,
    range: { from, to, last_on_device: lastOnDevice },
    genesis_checked: order.genesisChecked,
    counts: {
      records: total,
      verified: total - failedIndexes.size,
      failed: failedIndexes.size,
      missing: order.missing,
      by_type: byType,
    },
    chain: order.chain,
    document_issues: issues,
    failures,
    bad_fiscal_numbers: [
      ...new Set(failures.flatMap((f) => (f.fiscal_number === null ? [] : [f.fiscal_number]))),
    ],
  };
}

function chooseKey(
  file: JournalExport,
  pinned: Uint8Array | undefined,
  issues: DocumentIssue[],
): Uint8Array | null {
  let fileKey: Uint8Array | null = null;
  try {
    fileKey = publicKeyFromHex(file.device.public_key);
  } catch (err) {
    issues.push({ reason: "public_key", message: `device.public_key: ${(err as Error).message}` });
  }
  if (pinned === undefined) return fileKey;
  if (fileKey !== null && !bytesEqual(fileKey, pinned)) {
    issues.push({
      reason: "public_key",
      message: `the file carries key ${toHex(fileKey)}, not the pinned key ${toHex(pinned)}`,
    });
  }
  return pinned;
}

function checkActivation(
  file: JournalExport,
  key: Uint8Array | null,
  issues: DocumentIssue[],
): ActivationRecord | null {
  try {
    const record = openActivationRecord(activationBlobOf(file.device), key ?? undefined);
    if (record.device_id !== file.device.device_id) {
      issues.push({ reason: "activation", message: `activation record is for device ${record.device_id}` });
      return null;
    }
    return record;
  } catch (err) {
    issues.push({ reason: "activation", message: messageOf(err) });
    return null;
  }
}

/** Checks one entry on its own; returns it decoded for the order checks, or null if unreadable. */
function checkEntry(
  raw: unknown,
  index: number,
  file: JournalExport,
  key: Uint8Array | null,
  activation: ActivationRecord | null,
  fail: (reason: RecordFailureReason, message: string, fn?: number | null) => void,
): VerifiedEntry | null {
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
  const entry = raw as ExportedRecord;
  let sealed: ReturnType<typeof sealedRecordOf>;
  try {
    sealed = sealedRecordOf(entry);
  } catch (err) {
    fail("malformed", `entry ${index}: ${messageOf(err)}`, entry.fiscal_number);
    return null;
  }
  let record: FiscalRecord;
  try {
    record = decodeRecord(sealed.record);
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
  if (entry.fiscal_number !== fn)
    bad("index_mismatch", `entry says ${entry.fiscal_number}, the record is ${fn}`);
  if (key !== null && !verifyWith(key, SignContext.RECORD, sealed.record, sealed.signature)) {
    bad("signature", "record signature does not verify with the device key");
  }
  if (authCodeOf(sealed.signature) !== entry.auth_code) {
    bad("auth_code", `auth code ${entry.auth_code} is not the one derived from the signature`);
  }
  try {
    const qr = key === null ? parseQrPayload(entry.qr) : verifyQrPayload(entry.qr, key);
    if (qr.body !== buildQrPayload(record, entry.auth_code, null)) {
      bad("qr_mismatch", "QR fields differ from the signed record");
    }
  } catch (err) {
    bad("qr_invalid", messageOf(err));
  }
  if (record.device_id !== file.device.device_id) {
    bad("foreign_device", `record of device ${record.device_id}, export of ${file.device.device_id}`);
  } else if (activation !== null) {
    for (const field of ["merchant_nif", "outlet_id", "fiscal_authority_id"] as const) {
      if (record[field] !== activation[field]) {
        bad("foreign_device", `${field} ${record[field]} differs from the activation's ${activation[field]}`);
      }
    }
  }
  return { index, record, hash: recordHash(sealed.record) };
}

function emptyReport(
  doc: unknown,
  issues: DocumentIssue[],
  keySource: "pinned" | "file",
  pinned: Uint8Array | undefined,
): ExportVerification {
  const records = (doc as { records?: unknown } | null)?.records;
  const format = (doc as { format?: unknown } | null)?.format;
  return {
    ok: false,
    format: typeof format === "string" ? format : null,
    device_id: null,
    public_key: pinned === undefined ? null : toHex(pinned),
    key_source: keySource,
    range: null,
    genesis_checked: false,
    counts: {
      records: Array.isArray(records) ? records.length : 0,
      verified: 0,
      failed: 0,
      missing: 0,
      by_type: {},
    },
    chain: { first_prev_hash: null, last_hash: null },
    document_issues: issues,
    failures: [],
    bad_fiscal_numbers: [],
  };
}

function messageOf(err: unknown): string {
  return isFiscalError(err) ? err.text : (err as Error).message;
}
