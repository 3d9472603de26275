/**
 * Builds the API's view of an invoice: from its stored rows (a GET), or from the parts the request
 * that sealed it holds in hand (its 201). Either way the fiscal response is decoded from the record
 * bytes the device signed and the signature verified, so what the POS sees is exactly what was signed.
 */
import {
  type CanonicalInvoice,
  type CanonicalInvoiceV2,
  decodeCanonical,
  decodeRecord,
  errorNameOf,
  type FiscalRecord,
  toBase64Url,
  toHex,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore, RecordRow } from "../store/invoice-store.js";
import type { OutboxStatus as OutboxRow } from "../store/outbox.js";
import type { ReceiptSummary } from "../store/receipt-prints.js";
import type { AnyInvoiceTotals, FiscalResponse, InvoiceType, InvoiceView } from "./types.js";

/** A transition as stored. */
export interface TransitionRow {
  readonly state: InvoiceRow["state"];
  readonly at: number;
  readonly note: string | null;
}

/** A sealed record's stored bytes and codes: a RecordRow, or the sealed reply in hand. */
export type StoredSeal = Pick<RecordRow, "auth_code" | "qr" | "signature" | "record" | "record_hash">;

/** The fiscal response of a stored record. */
export function fiscalResponseOf(row: RecordRow): FiscalResponse {
  return fiscalResponseFrom(decodeRecord(row.record), row);
}

/** The fiscal response of a record, decoded from `stored.record`, and its stored bytes. */
function fiscalResponseFrom(record: FiscalRecord, stored: StoredSeal): FiscalResponse {
  return {
    fiscal_number: record.fiscal_number,
    type_number: record.type_number,
    device_id: record.device_id,
    auth_code: stored.auth_code,
    timestamp: new Date(record.issued_at).toISOString(),
    qr: stored.qr,
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
    signature: toBase64Url(stored.signature),
    record: toBase64Url(stored.record),
    record_hash: toHex(stored.record_hash),
  };
}

/** Everything an invoice's view is made of. */
export interface ViewParts {
  readonly row: InvoiceRow;
  readonly transitions: readonly TransitionRow[];
  /** The sealed record, decoded, and its stored bytes; undefined while unsealed. */
  readonly record: { readonly fields: FiscalRecord; readonly stored: StoredSeal } | undefined;
  readonly outbox: OutboxRow | undefined;
  readonly receipts: ReceiptSummary;
  /** The canonical invoice the payload holds; null without payload. */
  readonly invoice: CanonicalInvoice | CanonicalInvoiceV2 | null;
}

/** The outbox entry of a record sealed a moment ago: queued, never tried. */
export const FRESH_OUTBOX: OutboxRow = { status: "PENDING", attempts: 0, last_error: null, dgi_status: null };
/** The receipts of an invoice sealed a moment ago: none yet. */
export const NO_RECEIPTS: ReceiptSummary = { printed: 0, duplicates: 0, last_printed_at: null };

/** The full view of one invoice, read from the store. */
export function invoiceView(
  store: InvoiceStore,
  outboxOf: (id: string) => OutboxRow | undefined,
  row: InvoiceRow,
): InvoiceView {
  const record = store.recordOf(row.id);
  return viewOf({
    row,
    transitions: store.transitionsOf(row.id),
    record: record && { fields: decodeRecord(record.record), stored: record },
    outbox: outboxOf(row.id),
    receipts: store.receiptSummaryOf(row.id),
    invoice:
      row.payload === null
        ? null
        : (decodeCanonical(row.payload) as unknown as CanonicalInvoice | CanonicalInvoiceV2),
  });
}

/**
 * The view of an invoice from its parts: read from the store (invoiceView), or held in hand by the
 * request that just sealed it (FiscalService), which then answers without reading back what it wrote.
 */
export function viewOf(parts: ViewParts): InvoiceView {
  const { row, outbox } = parts;
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
    transitions: parts.transitions.map((t) => ({
      state: t.state,
      at: new Date(t.at).toISOString(),
      ...(t.note === null ? {} : { note: t.note }),
    })),
    commit_before:
      row.state === "PREPARED" && row.commit_before !== null
        ? new Date(row.commit_before).toISOString()
        : null,
    fiscal: parts.record ? fiscalResponseFrom(parts.record.fields, parts.record.stored) : null,
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
    receipts: parts.receipts,
    invoice: parts.invoice,
  };
}
