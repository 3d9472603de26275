/**
 * A credit note against its original in this device's journal (SFE EG1.25–1.28, DRC-RULES §3.5).
 * The journal keeps every record's canonical invoice bytes, so the device knows the original's lines
 * and every earlier credit note's lines, and enforces the EG1.26 item rules itself: every credited
 * item is on the original at its unit price, and the quantities credited over all credit notes never
 * exceed what was sold. A record v1 (sealed before the journal kept invoices) is checked on its
 * totals only, as before.
 */
import {
  type CanonicalInvoiceV2,
  type CreditOriginal,
  checkCreditAgainstOriginalV2,
  decodeCanonical,
} from "../../protocol/index.js";
import type { FiscalDevice } from "./fiscal-device.js";

/** Decodes canonical invoice bytes the device itself stored at COMMIT (validated then). */
function storedInvoice(bytes: Uint8Array): CanonicalInvoiceV2 {
  return decodeCanonical(bytes) as unknown as CanonicalInvoiceV2;
}

/** What the checker needs of original `fiscalNumber` of this device, or undefined when unknown. */
function originalOf(device: FiscalDevice, fiscalNumber: number): CreditOriginal | undefined {
  const queries = device.memory.queries;
  const row = queries.byFiscalNumber(fiscalNumber);
  if (row === undefined) return undefined;
  const own = device.deviceId;
  const totals = {
    invoiceType: row.invoiceType,
    total: row.total,
    currency: row.currency,
    credited: queries.creditedTotal(own, fiscalNumber),
  };
  // A record v1: the device never kept its lines, so only totals, type and currency are checked.
  if (row.invoice === null) return totals;
  const original = storedInvoice(row.invoice);
  return {
    ...totals,
    priceMode: original.price_mode,
    // A canonical item carries every field of a CreditLine (code, name, kind, group, price, quantity).
    lines: original.items,
    creditedLines: queries
      .creditInvoicesAgainst(own, fiscalNumber)
      .flatMap((bytes) => storedInvoice(bytes).items),
  };
}

/**
 * Checks a credit note against its original in this journal; throws the checker's coded FiscalError.
 * An RRR credit note references no sale and is not checked; a reference to another device's invoice
 * cannot be checked here and is accepted (the daemon checks it from its store, the verifier from the
 * export).
 */
export function assertCreditAllowed(device: FiscalDevice, invoice: CanonicalInvoiceV2): void {
  const reference = invoice.reference;
  if (reference === undefined || reference.nature === "RRR") return;
  if (reference.device_id !== undefined && reference.device_id !== device.deviceId) return;
  // COR, RAN and RAM without a fiscal number were refused by the invoice rules already.
  if (reference.fiscal_number === undefined) return;
  checkCreditAgainstOriginalV2(invoice, originalOf(device, reference.fiscal_number));
}
