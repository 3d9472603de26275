/**
 * The daemon's check of a credit note against its original, from the store, before the device is
 * asked (docs/PROTOCOL.md §7.4). The device runs the same rules (protocol/invoice/credit-lines.ts)
 * from its own journal; the daemon runs them first so a POS gets the precise refusal at once, and it
 * is the only check for an original another device sealed, which this device's journal cannot see.
 */
import {
  type CanonicalInvoiceV2,
  type CreditLine,
  type CreditOriginal,
  checkCreditAgainstOriginalV2,
  decodeCanonical,
} from "../../protocol/index.js";
import type { InvoiceStore } from "../store/invoice-store.js";

/** The reference a credit note's row stores, or undefined for an invoice that references nothing. */
export interface StoredReference {
  readonly deviceId: string;
  readonly fiscalNumber: number;
}

/** The lines of a stored canonical invoice, when it is version 2 (a v1 payload has no line rules). */
function linesOf(
  payload: Buffer | Uint8Array | null,
): { lines: CreditLine[]; priceMode: "TTC" | "HT" } | null {
  if (payload === null) return null;
  const invoice = decodeCanonical(payload) as { v?: number };
  if (invoice.v !== 2) return null;
  const v2 = invoice as unknown as CanonicalInvoiceV2;
  return { lines: v2.items, priceMode: v2.price_mode };
}

/**
 * Checks `invoice` against its original in the store and returns the reference to store with it.
 * Throws the coded refusal (REFERENCE_NOT_FOUND, CREDIT_QUANTITY_EXCEEDED …). An RRR credit note
 * references no original and is not checked against one.
 */
export function checkReferenceInStore(
  store: InvoiceStore,
  invoice: CanonicalInvoiceV2,
  ownDeviceId: () => string,
): StoredReference | undefined {
  const reference = invoice.reference;
  if (reference?.fiscal_number === undefined) return undefined;
  const deviceId = reference.device_id ?? ownDeviceId();
  const fiscalNumber = reference.fiscal_number;
  const record = store.recordByNumber(deviceId, fiscalNumber);
  const row = record && store.byId(record.invoice_id);
  let original: CreditOriginal | undefined;
  if (row !== undefined) {
    const sold = linesOf(row.payload);
    const credits = store.creditsAgainst(deviceId, fiscalNumber);
    original = {
      invoiceType: row.type,
      total: (JSON.parse(row.totals_json) as { total: number }).total,
      currency: row.currency,
      credited: credits.reduce((sum, c) => sum + c.total, 0),
      ...(sold && {
        priceMode: sold.priceMode,
        lines: sold.lines,
        creditedLines: credits.flatMap((c) => linesOf(c.payload)?.lines ?? []),
      }),
    };
  }
  checkCreditAgainstOriginalV2(invoice, original);
  return { deviceId, fiscalNumber };
}
