/**
 * Checking one upload item the way the real cloud must: the record decodes, its signature verifies
 * with the key the device registered, the identifiers outside the record agree with the signed ones,
 * the invoice, when the item carries one, is the one the record binds (SHA-256 = payload_hash), is
 * valid and says what the record says, and (device_id, fiscal_number) is stored at most once. Every
 * ack carries `record_hash`, the base64url SHA-256 of the record bytes received, so the daemon can
 * tell which record it answers.
 */

import { CONTRACT_STRING_MAX, type UploadAck, type UploadItem } from "../../daemon/sync/contract.js";
import { checkInvoice } from "../../protocol/audit/invoice-checks.js";
import {
  decodeRecord,
  type FiscalRecord,
  fromBase64Url,
  SignContext,
  sha256,
  toBase64Url,
  verifyWith,
} from "../../protocol/index.js";
import { type CloudStore, EMULATED_DGI_STATUS, type SfeFields } from "./store.js";
import type { SignedItem } from "./verify-pool.js";

/** Per-run counters the emulator reports. */
export interface CloudCounters {
  accepted: number;
  duplicate: number;
  rejected: number;
  uploads: number;
}

/**
 * base64url(SHA-256) of the record bytes the item carries: the bytes it decoded to, or, for a record
 * that is not canonical base64url, what a lenient base64url decode of the text gives.
 */
export function receivedRecordHash(item: UploadItem, decoded: DecodedItem): string {
  const bytes =
    "signed" in decoded ? decoded.signed.bytes : new Uint8Array(Buffer.from(item.record, "base64url"));
  return toBase64Url(sha256(bytes));
}

function rejected(item: UploadItem, recordHash: string, reason: string): UploadAck {
  return {
    device_id: item.device_id,
    fiscal_number: item.fiscal_number,
    record_hash: recordHash,
    outcome: "rejected",
    reason: reason.slice(0, CONTRACT_STRING_MAX),
    dgi_status: null,
  };
}

function identifiersAgree(item: UploadItem, record: FiscalRecord): boolean {
  return (
    record.device_id === item.device_id &&
    record.fiscal_number === item.fiscal_number &&
    record.merchant_nif === item.merchant_nif &&
    record.outlet_id === item.outlet_id &&
    record.fiscal_authority_id === item.fiscal_authority_id &&
    record.cashier_id === item.cashier_id
  );
}

/**
 * The item's invoice bytes when it carries an acceptable one (null when it carries none), or why it
 * is refused: not base64url, not the record's payload (its SHA-256 is not payload_hash), not a valid
 * canonical invoice of the record's version (the reason names the field and the code), or saying
 * something else than the record (the same checks `stalela verify` makes, protocol/audit).
 */
export function invoiceOf(
  item: UploadItem,
  record: FiscalRecord,
): Uint8Array | null | { readonly refused: string } {
  if (item.invoice === null) return null;
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(item.invoice);
  } catch (err) {
    return { refused: `the invoice is not base64url: ${(err as Error).message}` };
  }
  const breach = checkInvoice(record, bytes).breaches[0];
  if (breach === undefined) return bytes;
  const what =
    breach.reason === "payload_hash"
      ? "the invoice is not the one the record binds (its SHA-256 is not payload_hash)"
      : breach.reason === "invoice_invalid"
        ? `the invoice is not a valid canonical invoice v${record.v}: ${breach.message}`
        : `the invoice differs from the signed record: ${breach.message}`;
  return { refused: what };
}

/** An item's record and signature decoded once, for the signature check and the store alike. */
export type DecodedItem =
  | { readonly signed: SignedItem; readonly record: FiscalRecord }
  | { readonly error: string };

const NOTHING = new Uint8Array(0);

/**
 * Decodes an item's base64url record and signature (the signature check needs only these): an
 * invoice item's, or a report item's (reports.ts).
 */
export function decodeSigned(item: Pick<UploadItem, "record" | "signature">): DecodedItem | SignedItem {
  try {
    return { bytes: fromBase64Url(item.record), signature: fromBase64Url(item.signature) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Adds the record's CBOR decode: done while the workers check the signatures. */
export function decodeRecordOf(signed: DecodedItem | SignedItem): DecodedItem {
  if (!("bytes" in signed)) return signed;
  try {
    return { signed, record: decodeRecord(signed.bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** What a signature check is given: empty bytes (which fail) for an item that does not decode. */
export function signedOf(decoded: DecodedItem | SignedItem): SignedItem {
  return "bytes" in decoded ? decoded : { bytes: NOTHING, signature: NOTHING };
}

/**
 * Checks and stores one item of an authenticated device's batch; answers its ack. `signatureValid`
 * is the record signature's check when it was already made (in parallel, VerifyPool).
 */
export function ingestItem(
  store: CloudStore,
  deviceId: string,
  publicKey: Uint8Array,
  item: UploadItem,
  decoded: DecodedItem,
  rejectNumbers: ReadonlySet<number>,
  counters: CloudCounters,
  signatureValid?: boolean,
): UploadAck {
  const recordHash = receivedRecordHash(item, decoded);
  const ack = check();
  counters[ack.outcome]++;
  return ack;

  function check(): UploadAck {
    if (item.device_id !== deviceId)
      return rejected(item, recordHash, "the credential is bound to another device");
    if ("error" in decoded) return rejected(item, recordHash, `the record does not decode: ${decoded.error}`);
    const { signed, record } = decoded;
    const { bytes, signature } = signed;
    if (!identifiersAgree(item, record))
      return rejected(item, recordHash, "the identifiers do not match the signed record");
    const valid = signatureValid ?? verifyWith(publicKey, SignContext.RECORD, bytes, signature);
    if (!valid) {
      return rejected(
        item,
        recordHash,
        "the record signature does not verify with the registered device key",
      );
    }
    const invoice = invoiceOf(item, record);
    if (invoice !== null && "refused" in invoice) return rejected(item, recordHash, invoice.refused);
    if (rejectNumbers.has(item.fiscal_number))
      return rejected(item, recordHash, "rejected by fault injection");
    const stored = store.insertUpload({
      device_id: item.device_id,
      fiscal_number: item.fiscal_number,
      invoice_id: item.invoice_id,
      fiscal_authority_id: item.fiscal_authority_id,
      outlet_id: item.outlet_id,
      merchant_nif: item.merchant_nif,
      cashier_id: item.cashier_id,
      api_key_id: item.api_key_id,
      record: bytes,
      signature,
      auth_code: item.auth_code,
      qr: item.qr,
      invoice,
      ...sfeFieldsOf(record),
    });
    if (!stored) {
      const previous = store.storedRecord(item.device_id, item.fiscal_number);
      if (previous === undefined || Buffer.compare(previous, bytes) !== 0) {
        return rejected(item, recordHash, "another record is already stored under this fiscal number");
      }
      return { ...base(), outcome: "duplicate", dgi_status: EMULATED_DGI_STATUS };
    }
    return { ...base(), outcome: "accepted", dgi_status: EMULATED_DGI_STATUS };
  }

  function base(): { device_id: string; fiscal_number: number; record_hash: string } {
    return { device_id: item.device_id, fiscal_number: item.fiscal_number, record_hash: recordHash };
  }
}

/** The version-2 fields the cloud keeps beside the record (null for a record v1). */
export function sfeFieldsOf(record: FiscalRecord): SfeFields {
  if (record.v !== 2) {
    return { record_v: 1, dgi_type: null, fiscal_year: null, year_number: null, isf: null, rn: null };
  }
  const { dgi_type, fiscal_year, year_number, isf, rn } = record;
  return { record_v: 2, dgi_type, fiscal_year, year_number, isf, rn };
}
