/**
 * What an export entry's invoice bytes (format /2, docs/EXPORT.md) make checkable: they hash to the
 * record's payload_hash, they are a canonical invoice the device's own validation accepts (so every
 * line amount, every total and every business rule holds), and the record says what the invoice
 * says. And for credit notes, the lines against the original's (EG1.26), through the same function
 * the device and the daemon run (checkCreditAgainstOriginalV2).
 */
import { bytesEqual, decodeCanonical, encodeCanonical } from "../cbor.js";
import { errorNameOf, type FieldIssue, isFiscalError } from "../errors.js";
import { sha256, validateCanonicalInvoice } from "../invoice/canonical.js";
import { validateCanonicalInvoiceV2 } from "../invoice/canonical-v2.js";
import { checkCreditAgainstOriginalV2 } from "../invoice/credit-lines.js";
import type { CanonicalInvoice } from "../invoice/schema.js";
import type { CanonicalInvoiceV2 } from "../invoice/schema-v2.js";
import { CREDITABLE_TYPES_V2 } from "../invoice/tables-v2.js";
import type { FiscalRecord } from "../security/record.js";
import type { CreditLinesCheck, LedgerLine } from "./credit-ledger.js";
import type { RuleBreach } from "./record-rules.js";

/** The invoice as the ledger needs it: v2 price mode and lines (v1 invoices are checked on amounts). */
export interface InvoiceFacts {
  readonly invoiceV2?: CanonicalInvoiceV2;
  readonly priceMode?: "TTC" | "HT";
  readonly lines?: readonly LedgerLine[];
}

/** The result of checking one entry's invoice bytes against its record. */
export interface InvoiceCheck {
  readonly breaches: RuleBreach[];
  readonly facts: InvoiceFacts;
}

/** `E308 PAYMENTS_MISMATCH at /payments: …`: the first field issue of a refused invoice, with its code. */
function issueText(err: unknown): string {
  if (!isFiscalError(err)) return (err as Error).message;
  const first = (err.details?.issues as readonly FieldIssue[] | undefined)?.[0];
  if (first === undefined) return err.message;
  return `E${first.code} ${errorNameOf(first.code) ?? err.errorName} at ${first.path || "/"}: ${first.message}`;
}

/** Checks an entry's invoice bytes against its (decoded) record. */
export function checkInvoice(record: FiscalRecord, invoice: Uint8Array): InvoiceCheck {
  const breaches: RuleBreach[] = [];
  const add = (reason: RuleBreach["reason"], message: string): void => {
    breaches.push({ reason, message });
  };
  if (!bytesEqual(sha256(invoice), record.payload_hash)) {
    add("payload_hash", "SHA-256 of the invoice bytes is not the record's payload_hash");
  }
  let value: unknown;
  try {
    value = decodeCanonical(invoice);
  } catch (err) {
    add("invoice_invalid", `the invoice bytes are not canonical CBOR: ${issueText(err)}`);
    return { breaches, facts: {} };
  }
  const version = (value as { v?: unknown } | null)?.v;
  if (version !== record.v) {
    add("invoice_mismatch", `a version-${record.v} record with a version-${String(version)} invoice`);
    return { breaches, facts: {} };
  }
  try {
    if (record.v === 1) {
      mismatches(
        recordFieldsV1(record),
        invoiceFieldsV1(validateCanonicalInvoice(value), record.device_id),
        add,
      );
      return { breaches, facts: {} };
    }
    const inv = validateCanonicalInvoiceV2(value);
    mismatches(recordFieldsV2(record), invoiceFieldsV2(inv, record.device_id), add);
    const lines = inv.items.map(
      (i): LedgerLine => ({
        code: i.code,
        name: i.name,
        kind: i.kind,
        tax_group: i.tax_group,
        unit_price: i.unit_price,
        quantity_milli: i.quantity_milli,
      }),
    );
    return { breaches, facts: { invoiceV2: inv, priceMode: inv.price_mode, lines } };
  } catch (err) {
    add("invoice_invalid", issueText(err));
    return { breaches, facts: {} };
  }
}

type Fields = Readonly<Record<string, unknown>>;

function recordFieldsV1(r: FiscalRecord & { v: 1 }): Fields {
  return {
    type: r.invoice_type,
    client_ref: r.client_ref,
    cashier_id: r.cashier_id,
    currency: r.currency,
    tax_table: r.tax_table,
    totals: r.totals,
    reference: r.reference,
  };
}

function invoiceFieldsV1(inv: CanonicalInvoice, deviceId: string): Fields {
  // The device fills in its own id when the reference names none, and seals no reason.
  const ref = inv.reference;
  return {
    type: inv.type,
    client_ref: inv.client_ref,
    cashier_id: inv.cashier_id,
    currency: inv.currency,
    tax_table: inv.tax_table,
    totals: inv.totals,
    reference: ref && {
      device_id: ref.device_id ?? deviceId,
      fiscal_number: ref.fiscal_number,
      kind: ref.kind,
    },
  };
}

function recordFieldsV2(r: FiscalRecord & { v: 2 }): Fields {
  return {
    type: r.invoice_type,
    dgi_type: r.dgi_type,
    client_ref: r.client_ref,
    rn: r.rn,
    isf: r.isf,
    merchant_nif: r.merchant_nif,
    cashier_id: r.cashier_id,
    currency: r.currency,
    price_mode: r.price_mode,
    tax_table: r.tax_table,
    totals: r.totals,
    reference: r.reference,
  };
}

function invoiceFieldsV2(inv: CanonicalInvoiceV2, deviceId: string): Fields {
  const ref = inv.reference;
  return {
    type: inv.type,
    dgi_type: inv.dgi_type,
    client_ref: inv.client_ref,
    rn: inv.rn,
    isf: inv.isf,
    merchant_nif: inv.seller.nif,
    cashier_id: inv.operator.id,
    currency: inv.currency,
    price_mode: inv.price_mode,
    tax_table: inv.tax_table,
    totals: inv.totals,
    reference:
      ref &&
      (ref.nature === "RRR"
        ? { nature: "RRR" }
        : { nature: ref.nature, device_id: ref.device_id ?? deviceId, fiscal_number: ref.fiscal_number }),
  };
}

/** Field by field, compared as canonical CBOR (so key order and integer forms cannot differ). */
function mismatches(
  record: Fields,
  invoice: Fields,
  add: (reason: "invoice_mismatch", message: string) => void,
): void {
  for (const field of Object.keys(record)) {
    const a = record[field];
    const b = invoice[field];
    const same =
      a === undefined || b === undefined
        ? a === b
        : bytesEqual(encodeCanonical(a as never), encodeCanonical(b as never));
    if (!same) add("invoice_mismatch", `record ${field} ${show(a)} differs from the invoice's ${show(b)}`);
  }
}

function show(value: unknown): string {
  const text = value === undefined ? "(none)" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * EG1.26 from the export: a v2 credit note's lines against its v2 original's, cumulated over the
 * credit notes before it. The type, currency and amount rules are the ledger's own checks, so the
 * original is presented with those satisfied: what the shared check then refuses is about lines
 * (an item not on the original, a changed price or price mode, a quantity above what remains, an
 * annulation that leaves a quantity).
 */
export const checkCreditLines: CreditLinesCheck = (credit, original) => {
  const invoice = credit.invoiceV2;
  if (invoice === undefined) return [];
  const allowed: readonly string[] = CREDITABLE_TYPES_V2[invoice.type] ?? [];
  try {
    checkCreditAgainstOriginalV2(invoice, {
      invoiceType: allowed.includes(original.invoiceType) ? original.invoiceType : (allowed[0] ?? ""),
      currency: invoice.currency,
      total: original.credited + invoice.totals.total,
      credited: original.credited,
      priceMode: original.priceMode,
      lines: original.lines,
      creditedLines: original.creditedLines,
    });
    return [];
  } catch (err) {
    const name = isFiscalError(err) ? err.errorName : undefined;
    const reason = name === "VOID_NOT_FULL" ? "void_not_full" : "credit_lines";
    return [{ reason, message: issueText(err) }];
  }
};
