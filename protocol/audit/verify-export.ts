/**
 * The independent journal verifier (docs/EXPORT.md): given an export document and, ideally, the key
 * the DGI registered for the device, it checks every record's signature, code and QR, the record's
 * own tax and reference rules, its invoice (format /2), the hash chain from the activation record on,
 * the counters (gaps, duplicates, order, per-type counters), the device time, the credit notes
 * against their originals, and that every record belongs to the exported device. Pure: the caller
 * reads the file.
 *
 * Streamable: `ExportVerifier` takes the header, then the entries one at a time, and keeps of each
 * only a compact summary (docs/EXPORT.md §3 gives the cost); `verifyExport` runs it over a parsed
 * document.
 */
import Type from "typebox";
import { toHex } from "../bytes.js";
import { bytesEqual } from "../cbor.js";
import { compileChecker } from "../schema-issues.js";
import { type ActivationRecord, genesisHash, openActivationRecord } from "../security/activation.js";
import { checkJournalOrder, type VerifiedEntry } from "./chain.js";
import { CreditLedger } from "./credit-ledger.js";
import { type EntryContext, messageOf } from "./entry-check.js";
import { type EntryVerdict, entryVerdictOf } from "./entry-verdict.js";
import {
  activationBlobOf,
  EXPORT_FORMAT,
  EXPORT_FORMATS,
  isIsoUtc,
  type JournalExport,
  publicKeyFromHex,
} from "./export-format.js";
import { checkCreditLines } from "./invoice-checks.js";
import type { DocumentIssue, ExportVerification, RecordFailure, VerifyProgress } from "./report.js";
import { NO_REPORTS, ReportCheck } from "./report-check.js";

/** Options of `verifyExport` and `ExportVerifier`. */
export interface VerifyExportOptions {
  /** The key to verify with (an auditor pins the registered one); the file's key when absent. */
  readonly publicKey?: Uint8Array;
  /** Called after each entry with (entries done, entries in the file). */
  readonly onProgress?: VerifyProgress;
}

/** The header of an export: everything but `records`. */
export type ExportHeader = Omit<JournalExport, "records">;

const Uint = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Text = Type.String();
/** The header fields a reader needs; `closed` refuses any other (a non-fatal `format` issue). */
function headerSchema(closed: boolean) {
  const options = closed ? { additionalProperties: false } : {};
  return Type.Object(
    {
      format: Type.Enum([...EXPORT_FORMATS]),
      exported_at: Text,
      device: Type.Object(
        {
          device_id: Text,
          public_key: Text,
          model: Type.Optional(Text),
          firmware: Type.Optional(Text),
          activation: Type.Object({ bytes: Text, signature: Text }, options),
        },
        options,
      ),
      range: Type.Object({ from: Type.Integer({ minimum: 1 }), to: Uint, last_on_device: Uint }, options),
      reports: Type.Optional(Type.Array(Type.Unknown())),
      records: Type.Optional(Type.Array(Type.Unknown())),
    },
    options,
  );
}
const headerChecker = compileChecker(headerSchema(false));
const closedHeaderChecker = compileChecker(headerSchema(true));
/** The file's key: 64 hex digits, either case, nothing else (no spaces, no `0x`). */
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * A verification under way: the header, then every entry in file order (`add`), then `finish`.
 * Never throws for bad content: it reports it.
 */
export class ExportVerifier {
  private readonly issues: DocumentIssue[] = [];
  private readonly failures: RecordFailure[] = [];
  private readonly entries: VerifiedEntry[] = [];
  private readonly unreadable = new Set<number>();
  private readonly byType: Record<string, number> = {};
  private printed = 0;
  private duplicates = 0;
  private readonly header: ExportHeader | null;
  /** The `format` field as given, for a report on a document that is not an export. */
  private readonly givenFormat: string | null;
  private readonly key: Uint8Array | null = null;
  private readonly activation: ActivationRecord | null = null;
  private readonly ledger: CreditLedger | null = null;
  /** Format /4: the journaled reports, checked with the records. */
  private readonly reports: ReportCheck | null = null;
  /** What each entry is checked against (entry-verdict.ts); null when the header is unusable. */
  readonly entryContext: EntryContext | null = null;
  private count = 0;

  constructor(
    header: unknown,
    private readonly options: VerifyExportOptions = {},
  ) {
    const format = (header as { format?: unknown } | null)?.format;
    this.givenFormat = typeof format === "string" ? format : null;
    const fatal = headerChecker.issues(header);
    for (const issue of fatal)
      this.issues.push({ reason: "format", message: `${issue.path || "/"} ${issue.message}` });
    if (fatal.length > 0) {
      this.header = null;
      return;
    }
    for (const issue of closedHeaderChecker.issues(header)) {
      this.issues.push({ reason: "format", message: `${issue.path} is not a header field of this format` });
    }
    this.header = header as ExportHeader;
    const { exported_at: at, device, range } = this.header;
    if (!isIsoUtc(at)) {
      this.issues.push({
        reason: "format",
        message: `exported_at ${JSON.stringify(at)} is not ISO 8601 UTC`,
      });
    }
    this.key = this.chooseKey();
    this.activation = this.checkActivation();
    this.entryContext = {
      format: this.header.format,
      deviceId: device.device_id,
      key: this.key,
      activation: this.activation,
    };
    if (range.to < range.from - 1) {
      this.issues.push({
        reason: "range",
        message: `range ends (${range.to}) before it starts (${range.from})`,
      });
    }
    if (range.to > range.last_on_device) {
      this.issues.push({
        reason: "range",
        message: `range ends at ${range.to}, after the device's last record ${range.last_on_device}`,
      });
    }
    this.reports = this.checkReports(header as { reports?: unknown });
    this.ledger = new CreditLedger({
      deviceId: device.device_id,
      from: range.from,
      to: range.to,
      checkLines: checkCreditLines,
    });
  }

  /** Checks the next entry; `total` (the entries expected) is only for progress. */
  add(raw: unknown, total?: number): void {
    const ctx = this.entryContext;
    this.addVerdict(ctx === null ? null : entryVerdictOf(raw, this.count, ctx), total);
  }

  /**
   * Takes the next entry's own verdict, computed anywhere from `entryContext` (null when that is
   * null: the entry is then only counted). Verdicts must come in file order: the checks across
   * entries read them in that order, so anything else is a bug of the caller and throws.
   */
  addVerdict(verdict: EntryVerdict | null, total?: number): void {
    const index = this.count++;
    if (this.entryContext !== null) {
      if (verdict?.index !== index)
        throw new Error(`entry ${index}'s verdict expected, got ${verdict?.index}`);
      this.take(verdict);
    }
    this.options.onProgress?.(index + 1, total ?? index + 1);
  }

  private take({ failures, checked, claimed }: EntryVerdict): void {
    this.failures.push(...failures);
    if (checked === null) {
      // An entry that cannot be read still claims its fiscal number: it is not reported missing too.
      if (claimed !== null) this.unreadable.add(claimed);
      return;
    }
    this.entries.push(checked.chain);
    this.ledger?.add(checked.ledger);
    this.reports?.add(checked.record, checked.ledger.invoiceV2);
    this.byType[checked.invoiceType] = (this.byType[checked.invoiceType] ?? 0) + 1;
    this.printed += checked.printed;
    this.duplicates += Math.max(0, checked.printed - 1);
  }

  /** Adds a problem of the document found by the caller (the reader of the file). */
  documentIssue(issue: DocumentIssue): void {
    if (this.header !== null) this.issues.push(issue);
  }

  /** The report. */
  finish(): ExportVerification {
    const header = this.header;
    if (header === null || this.ledger === null) return this.emptyReport();
    const { from, to, last_on_device: lastOnDevice } = header.range;
    const order = checkJournalOrder(this.entries, {
      from,
      to,
      genesis: this.activation === null ? null : toHex(genesisHash(activationBlobOf(header.device).bytes)),
      activatedAt: this.activation?.activated_at ?? null,
      unreadable: this.unreadable,
      ...(this.reports === null ? {} : { tipAfter: this.reports.tipAfter }),
    });
    this.ledger.finish();
    const failures = [...this.failures, ...order.failures, ...this.ledger.failures].sort(
      (a, b) =>
        (a.fiscal_number ?? -1) - (b.fiscal_number ?? -1) ||
        (a.index ?? -1) - (b.index ?? -1) ||
        a.reason.localeCompare(b.reason),
    );
    const failed = new Set(failures.flatMap((f) => (f.index === null ? [] : [f.index]))).size;
    const hashes = new Map(this.entries.map((e) => [e.record.fiscal_number, e.hash]));
    const reports = this.reports?.finish((fn) => hashes.get(fn)) ?? NO_REPORTS;
    return {
      ok: this.issues.length === 0 && failures.length === 0 && reports.failures.length === 0,
      format: header.format,
      device_id: header.device.device_id,
      public_key: this.key === null ? null : toHex(this.key),
      key_source: this.options.publicKey === undefined ? "file" : "pinned",
      range: { from, to, last_on_device: lastOnDevice },
      genesis_checked: order.genesisChecked,
      counts: {
        records: this.count,
        verified: this.count - failed,
        failed,
        missing: order.missing,
        by_type: this.byType,
        printed: this.printed,
        duplicates: this.duplicates,
      },
      chain: order.chain,
      document_issues: this.issues,
      unchecked_credits: [...this.ledger.unchecked].sort((a, b) => a.fiscal_number - b.fiscal_number),
      failures,
      bad_fiscal_numbers: [
        ...new Set(failures.flatMap((f) => (f.fiscal_number === null ? [] : [f.fiscal_number]))),
      ],
      reports,
    };
  }

  /** Format /4 requires `reports`; the formats before have none. */
  private checkReports(header: { readonly reports?: unknown }): ReportCheck | null {
    const { format, device, range } = this.header!;
    if (format !== EXPORT_FORMAT) {
      if (header.reports !== undefined)
        this.issues.push({ reason: "format", message: `/reports is not a header field of ${format}` });
      return null;
    }
    if (!Array.isArray(header.reports)) {
      this.issues.push({ reason: "format", message: `/reports is required in ${format}` });
      return null;
    }
    return new ReportCheck(header.reports, {
      deviceId: device.device_id,
      key: this.key,
      activation: this.activation,
      from: range.from,
      to: range.to,
      genesis: this.activation === null ? null : toHex(genesisHash(activationBlobOf(device).bytes)),
    });
  }

  private chooseKey(): Uint8Array | null {
    const pinned = this.options.publicKey;
    const hex = this.header!.device.public_key;
    let fileKey: Uint8Array | null = null;
    if (KEY_HEX.test(hex)) fileKey = publicKeyFromHex(hex);
    else this.issues.push({ reason: "public_key", message: "device.public_key is not 64 hex digits" });
    if (pinned === undefined) return fileKey;
    if (fileKey !== null && !bytesEqual(fileKey, pinned)) {
      this.issues.push({
        reason: "public_key",
        message: `the file carries key ${toHex(fileKey)}, not the pinned key ${toHex(pinned)}`,
      });
    }
    return pinned;
  }

  private checkActivation(): ActivationRecord | null {
    const device = this.header!.device;
    try {
      const record = openActivationRecord(activationBlobOf(device), this.key ?? undefined);
      if (record.device_id !== device.device_id) {
        this.issues.push({
          reason: "activation",
          message: `activation record is for device ${record.device_id}`,
        });
        return null;
      }
      return record;
    } catch (err) {
      this.issues.push({ reason: "activation", message: messageOf(err) });
      return null;
    }
  }

  private emptyReport(): ExportVerification {
    const pinned = this.options.publicKey;
    return {
      ok: false,
      format: this.givenFormat,
      device_id: null,
      public_key: pinned === undefined ? null : toHex(pinned),
      key_source: pinned === undefined ? "file" : "pinned",
      range: null,
      genesis_checked: false,
      counts: {
        records: this.count,
        verified: 0,
        failed: 0,
        missing: 0,
        by_type: {},
        printed: 0,
        duplicates: 0,
      },
      chain: { first_prev_hash: null, last_hash: null },
      document_issues: this.issues,
      unchecked_credits: [],
      failures: [],
      bad_fiscal_numbers: [],
      reports: NO_REPORTS,
    };
  }
}

/** The issue of a document without a `records` array. */
export const RECORDS_REQUIRED: DocumentIssue = { reason: "format", message: "/records is required" };

/** Verifies an export document (parsed JSON). Never throws for bad content: it reports it. */
export function verifyExport(doc: unknown, options: VerifyExportOptions = {}): ExportVerification {
  const verifier = new ExportVerifier(doc, options);
  const records = (doc as { records?: unknown } | null)?.records;
  if (Array.isArray(records)) for (const raw of records) verifier.add(raw, records.length);
  else verifier.documentIssue({ ...RECORDS_REQUIRED });
  return verifier.finish();
}
