/**
 * Builds the upload items of a batch from outbox rows. The fiscal identifiers are taken from the
 * signed record itself (never from mutable daemon state), so what the cloud stores next to a record
 * always agrees with what the device signed.
 */
import { decodeStored, type FiscalRecord, toBase64Url } from "../../protocol/index.js";
import type { QueuedRecord } from "../store/sync-queue.js";
import type { UploadItem } from "./contract.js";

/** The contract item for one queued row. */
export function uploadItemOf(row: QueuedRecord): UploadItem {
  // The record was checked (canonical, schema, signature) when it was sealed and stored; only its
  // identifiers are read here, so the canonical re-encoding is not paid again.
  const record = decodeStored(row.record) as unknown as Pick<
    FiscalRecord,
    "merchant_nif" | "outlet_id" | "fiscal_authority_id"
  >;
  return {
    device_id: row.device_id,
    fiscal_number: row.fiscal_number,
    fiscal_authority_id: record.fiscal_authority_id,
    outlet_id: record.outlet_id,
    merchant_nif: record.merchant_nif,
    cashier_id: row.cashier_id,
    api_key_id: row.api_key_id,
    invoice_id: row.invoice_id,
    record: toBase64Url(row.record),
    signature: toBase64Url(row.signature),
    auth_code: row.auth_code,
    qr: row.qr,
    invoice: row.payload === null ? null : toBase64Url(row.payload),
  };
}

/** The key acks are matched by. */
export function ackKey(deviceId: string, fiscalNumber: number): string {
  return `${deviceId}#${fiscalNumber}`;
}
