/**
 * Checking one uploaded fiscal report the way the real cloud must (docs/CLOUD_API.md §Report
 * upload): its bytes decode as a report (canonical CBOR, its kind's schema and the rules of
 * PROTOCOL §13.2), it is of the kind and number the item says and names the device of the request,
 * its signature verifies with the key the device registered (the record context, as for invoices),
 * and (device_id, kind, number) is stored at most once: the same bytes again are a duplicate, other
 * bytes under a stored key are rejected. Every ack carries `record_hash`, the base64url SHA-256 of
 * the report bytes received, so the daemon can tell which report it answers.
 */
import { CONTRACT_STRING_MAX, type ReportAck, type ReportItem } from "../../daemon/sync/contract.js";
import {
  decodeReport,
  type ReportRecord,
  SignContext,
  sha256,
  toBase64Url,
  verifyWith,
} from "../../protocol/index.js";
import type { CloudStore } from "./store.js";
import type { CloudCounters, DecodedItem } from "./uploads.js";
import type { SignedItem } from "./verify-pool.js";

/** A report item's bytes and signature decoded, and its report record, once. */
export type DecodedReport =
  | { readonly signed: SignedItem; readonly report: ReportRecord }
  | { readonly error: string };

/** Adds the report's decode and checks (decodeReport): done while the workers check the signatures. */
export function decodeReportOf(signed: DecodedItem | SignedItem): DecodedReport {
  if (!("bytes" in signed)) return "error" in signed ? signed : { error: "no report bytes" };
  try {
    return { signed, report: decodeReport(signed.bytes) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/**
 * base64url(SHA-256) of the report bytes the item carries: the bytes it decoded to, or, for a record
 * that is not canonical base64url, what a lenient base64url decode of the text gives.
 */
export function receivedReportHash(item: ReportItem, decoded: DecodedReport): string {
  const bytes =
    "signed" in decoded ? decoded.signed.bytes : new Uint8Array(Buffer.from(item.record, "base64url"));
  return toBase64Url(sha256(bytes));
}

/**
 * Checks and stores one report of an authenticated device's upload; answers its ack. `signatureValid`
 * is the signature's check when it was already made (in parallel, VerifyPool).
 */
export function ingestReport(
  store: CloudStore,
  deviceId: string,
  publicKey: Uint8Array,
  item: ReportItem,
  decoded: DecodedReport,
  counters: CloudCounters,
  signatureValid?: boolean,
): ReportAck {
  const recordHash = receivedReportHash(item, decoded);
  const base = { device_id: deviceId, kind: item.kind, number: item.number, record_hash: recordHash };
  const ack = check();
  counters[ack.outcome]++;
  return ack;

  function rejected(reason: string): ReportAck {
    return { ...base, outcome: "rejected", reason: reason.slice(0, CONTRACT_STRING_MAX) };
  }

  function check(): ReportAck {
    if ("error" in decoded) return rejected(`the report does not decode: ${decoded.error}`);
    const { signed, report } = decoded;
    if (report.kind !== item.kind) return rejected(`the report is a ${report.kind}, not a ${item.kind}`);
    if (report.device_id !== deviceId) return rejected("the report names another device");
    // A Z or a closure carries the device's number; an A report has none (the daemon numbers them).
    if ("number" in report && report.number !== item.number) {
      return rejected(`the report is number ${report.number}, not ${item.number}`);
    }
    const valid = signatureValid ?? verifyWith(publicKey, SignContext.RECORD, signed.bytes, signed.signature);
    if (!valid) return rejected("the report signature does not verify with the registered device key");
    const stored = store.insertReport({
      device_id: deviceId,
      kind: item.kind,
      number: item.number,
      issued_at: report.issued_at,
      after_fiscal_number: report.after_fiscal_number,
      first_fiscal_number: report.first_fiscal_number,
      last_fiscal_number: report.last_fiscal_number,
      period: "period" in report ? report.period : null,
      record: signed.bytes,
      signature: signed.signature,
      record_hash: recordHash,
    });
    if (!stored) {
      const previous = store.storedReport(deviceId, item.kind, item.number);
      if (previous === undefined || Buffer.compare(previous, signed.bytes) !== 0) {
        return rejected("another report is already stored under this kind and number");
      }
      return { ...base, outcome: "duplicate" };
    }
    return { ...base, outcome: "accepted" };
  }
}
