/**
 * Builds the API's view of an invoice from its stored rows. The fiscal response is read back from
 * the stored record bytes, so what the POS sees is exactly what the device signed.
 */
import {
  type CanonicalInvoice,
  type CanonicalInvoiceV2,
  decodeCanonical,
  decodeRecord,
  errorNameOf,
  toBase64Url,
  toHex,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore, RecordRow } from "../store/invoice-store.js";
import type { AnyInvoiceTotals, FiscalResponse, InvoiceType, InvoiceView, SyncStatus } from "./types.js";

interface OutboxRow {
  status: SyncStatus;
  attempts: number;
  last_error: string | null;
  dgi_status: string | null;
}

/** The fiscal response of a stored record. */
export function fiscalResponseOf(row: RecordRow): FiscalResponse {
  const record = decodeRecord(row.record);
  return {
    fiscal_number: record.fiscal_number,
    type_number: record.type_number,
    device_id: record.device_id,
    auth_code: row.auth_code,
    timestamp: new Date(record.issued_at).toISOString(),
    qr: row.qr,
    v: record.v,
    invoice_type: record.invoice_type,
    dgi_type: record.v === 2 ? record.dgi_type : null,
    fiscal_year: record.v === 2 ? record.fiscal_year : null,
    year_number: record.v === 2 ? record.year_number : null,
    isf: record.v === 2 ? record.isf : null,
    rn: record.v === 2 ? record.rn : null,
    totals: record.totals,
    merchant_nif: record.merchant_nif,
    outlet_id: record.outlet_id,
    fiscal_authority_id: record.fiscal_authority_id,
    cashier_id: record.cashier_id,
    client_ref: record.client_ref,
    signature: toBase64Url(row.signature),
    record: toBase64Url(row.record),
    record_hash: toHex(row.record_hash),
  };
}

/** The full view of one invoice. */
export function invoiceView(
  store: InvoiceStore,
  outboxOf: (id: string) => OutboxRow | undefined,
  row: InvoiceRow,
): InvoiceView {
  const record = store.recordOf(row.id);
  const outbox = outboxOf(row.id);
  const errorName = row.error_code === null ? undefined : errorNameOf(row.error_code);
  return {
    id: row.id,
    idempotency_key: row.idempotency_key,
    client_ref: row.client_ref,
    type: row.type as InvoiceType,
    state: row.state,
    api_key_id: row.api_key_id,
    cashier_id: row.cashier_id,
    currency: row.currency,
    totals: JSON.parse(row.totals_json) as AnyInvoiceTotals,
    payload_hash: toHex(row.payload_hash),
    created_at: new Date(row.created_at).toISOString(),
    transitions: store.transitionsOf(row.id).map((t) => ({
      state: t.state,
      at: new Date(t.at).toISOString(),
      ...(t.note === null ? {} : { note: t.note }),
    })),
    commit_before:
      row.state === "PREPARED" && row.commit_before !== null
        ? new Date(row.commit_before).toISOString()
        : null,
    fiscal: record ? fiscalResponseOf(record) : null,
    error:
      row.error_code === null
        ? null
        : { code: row.error_code, name: errorName ?? "UNKNOWN", message: row.error_message ?? "" },
    sync: {
      status: outbox?.status ?? "NOT_QUEUED",
      dgi_status: outbox?.dgi_status ?? null,
      attempts: outbox?.attempts ?? 0,
      last_error: outbox?.last_error ?? null,
    },
    receipts: store.receiptSummaryOf(row.id),
    invoice:
      row.payload === null
        ? null
        : (decodeCanonical(row.payload) as unknown as CanonicalInvoice | CanonicalInvoiceV2),
  };
}
