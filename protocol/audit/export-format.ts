/**
 * The journal export file (docs/EXPORT.md): a JSON document an auditor can read with any tool and
 * verify offline with only the device's public key. Byte fields carry the exact signed bytes in
 * base64url, so nothing is re-encoded between the device and the verifier; text fields (auth code,
 * QR) travel as the receipt prints them.
 */
import { fromBase64Url, fromHex, toBase64Url, toHex } from "../bytes.js";
import type { JournaledReportKind, SealedReport } from "../reports/schema.js";
import type { SignedBlob } from "../security/activation.js";
import type { SealedRecord } from "../security/record.js";

/**
 * The `format` field the exporter writes: name and major version. /2 added each entry's `invoice`
 * (the canonical invoice bytes), so an auditor checks payload hashes, line arithmetic and credit-note
 * lines from the file alone; /3 adds each entry's `prints`, the receipts printed of it (the original,
 * then every DUPLICATA), from the daemon's receipt log; /4 adds `reports`, the journaled reports (Z
 * reports and the monthly and yearly closures) that sit in the range's hash chain.
 */
export const EXPORT_FORMAT = "stalela-journal-export/4";
/** Entries with `prints`, no `reports`. Still read. */
export const EXPORT_FORMAT_V3 = "stalela-journal-export/3";
/** Entries with `invoice`, without `prints`. Still read. */
export const EXPORT_FORMAT_V2 = "stalela-journal-export/2";
/** The first format: entries without `invoice`. Still read, so exports made before stay verifiable. */
export const EXPORT_FORMAT_V1 = "stalela-journal-export/1";
/** Every format a reader accepts; it refuses any other value. */
export const EXPORT_FORMATS = [EXPORT_FORMAT_V1, EXPORT_FORMAT_V2, EXPORT_FORMAT_V3, EXPORT_FORMAT] as const;
/** The formats whose entries may carry `prints`. */
export const FORMATS_WITH_PRINTS: ReadonlySet<string> = new Set([EXPORT_FORMAT_V3, EXPORT_FORMAT]);

/** The formats a receipt is rendered in (docs/RECEIPTS.md), as the receipt log and exports name them. */
export const RECEIPT_FORMATS = ["text", "escpos", "html", "pdf"] as const;

/**
 * One printed receipt of a record (format /3): copy 1 is the original, every later copy a DUPLICATA.
 * Not signed by the device: the daemon's append-only log of who printed what, and when.
 */
export interface ExportedPrint {
  readonly copy_number: number;
  readonly format: (typeof RECEIPT_FORMATS)[number];
  readonly lang: string;
  /** `api-key:ID`, `cli` or `console`. */
  readonly requested_by: string;
  /** ISO 8601 UTC. */
  readonly at: string;
}
/** One of EXPORT_FORMATS. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An ISO 8601 UTC time as `Date.prototype.toISOString` writes it (any fraction length, always `Z`). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** True for an ISO 8601 UTC time of a real calendar date (2026-02-30 and 24:00 are not). */
export function isIsoUtc(text: string): boolean {
  if (!ISO_UTC.test(text)) return false;
  const ms = Date.parse(text);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19);
}

/** One sealed record in an export, as the device returned it (JOURNAL_READ entry). */
export interface ExportedRecord {
  /** The record's fiscal number, repeated outside the signed bytes so a reader can index the file. */
  readonly fiscal_number: number;
  /** base64url of the canonical CBOR record, exactly as signed and hashed. */
  readonly record: string;
  /** base64url of the 64-byte Ed25519 record signature. */
  readonly signature: string;
  /** The printed code: v1 auth code (`XXXX-XXXX-XXXX-XXXX`), v2 Code DEF/DGI (24 characters). */
  readonly auth_code: string;
  /** The printed QR payload (`RDCDEF01;…`). */
  readonly qr: string;
  /**
   * Format /2: base64url of the record's canonical invoice bytes, exactly as the device keeps them
   * (SHA-256 of them is the record's payload_hash). Absent for a record whose device kept none (v1).
   */
  readonly invoice?: string;
  /** Format /3: the receipts printed of this record, in copy order; absent when none was printed. */
  readonly prints?: readonly ExportedPrint[];
}

/**
 * One journaled report in an export (format /4): a Z report or a monthly or yearly closure, exactly
 * as the device signed it (GET_REPORT). `kind` and `number` repeat the signed ones to index the file.
 */
export interface ExportedReport {
  readonly kind: JournaledReportKind;
  readonly number: number;
  /** base64url of the report's canonical CBOR, exactly as signed and hashed. */
  readonly record: string;
  /** base64url of the 64-byte Ed25519 signature (context `STALELA-DEF/v1/record`). */
  readonly signature: string;
}

/** The export form of a sealed report. */
export function exportedReportOf(
  kind: JournaledReportKind,
  number: number,
  sealed: SealedReport,
): ExportedReport {
  return { kind, number, record: toBase64Url(sealed.record), signature: toBase64Url(sealed.signature) };
}

/** The device an export comes from. */
export interface ExportedDevice {
  readonly device_id: string;
  /** Hex of the device's Ed25519 public key as the device reported it (an auditor may pin another). */
  readonly public_key: string;
  /** Informative only (not signed): what INFO reported. */
  readonly model: string;
  /** Informative only (not signed): what INFO reported. */
  readonly firmware: string;
  /** The signed activation record (base64url): it binds the key to the merchant and starts the chain. */
  readonly activation: { readonly bytes: string; readonly signature: string };
}

/** A journal export document. */
export interface JournalExport {
  readonly format: ExportFormat;
  /** When the export was made, ISO 8601 UTC (host clock; informative). */
  readonly exported_at: string;
  readonly device: ExportedDevice;
  /**
   * Inclusive fiscal-number range the file claims to hold (`to < from` for an empty journal), and the
   * device's last fiscal number at export time, so a reader knows whether the range is the whole journal.
   */
  readonly range: { readonly from: number; readonly to: number; readonly last_on_device: number };
  /**
   * Format /4: the journaled reports made after fiscal numbers `from − 1` … `to` (their
   * `after_fiscal_number`), by kind (Z_REPORT, MONTH_CLOSURE, YEAR_CLOSURE), then number. Written
   * before `records`, so a verifier reading line by line knows the days before their invoices.
   */
  readonly reports?: readonly ExportedReport[];
  readonly records: readonly ExportedRecord[];
}

/** The export form (/2) of one sealed record; `invoice` only when the device returned the bytes. */
export function exportedRecordOf(fiscalNumber: number, sealed: SealedRecord): ExportedRecord {
  const entry = {
    fiscal_number: fiscalNumber,
    record: toBase64Url(sealed.record),
    signature: toBase64Url(sealed.signature),
    auth_code: sealed.auth_code,
    qr: sealed.qr,
  };
  return sealed.invoice === undefined ? entry : { ...entry, invoice: toBase64Url(sealed.invoice) };
}

/** The export form of a device from what INFO reports; its activation must be present. */
export function exportedDeviceOf(info: {
  readonly device_id: string;
  readonly public_key: Uint8Array;
  readonly model: string;
  readonly firmware: string;
  readonly activation: SignedBlob;
}): ExportedDevice {
  return {
    device_id: info.device_id,
    public_key: toHex(info.public_key),
    model: info.model,
    firmware: info.firmware,
    activation: {
      bytes: toBase64Url(info.activation.bytes),
      signature: toBase64Url(info.activation.signature),
    },
  };
}

/** A sealed record decoded back from its export form. Throws TypeError for bad base64url. */
export function sealedRecordOf(entry: ExportedRecord): SealedRecord {
  const sealed = {
    record: fromBase64Url(entry.record),
    signature: fromBase64Url(entry.signature),
    auth_code: entry.auth_code,
    qr: entry.qr,
  };
  return entry.invoice === undefined ? sealed : { ...sealed, invoice: fromBase64Url(entry.invoice) };
}

/** The activation blob decoded back from its export form. Throws TypeError for bad base64url. */
export function activationBlobOf(device: ExportedDevice): SignedBlob {
  return {
    bytes: fromBase64Url(device.activation.bytes),
    signature: fromBase64Url(device.activation.signature),
  };
}

/** Parses a 32-byte Ed25519 public key from hex, in either case (RFC 4648 §8). Throws TypeError otherwise. */
export function publicKeyFromHex(hex: string): Uint8Array {
  const key = fromHex(hex);
  if (key.length !== 32) throw new TypeError(`an Ed25519 public key is 32 bytes, got ${key.length}`);
  return key;
}
