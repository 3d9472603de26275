/**
 * The fiscal data tables: tax groups and currencies. This is data, not logic: a DGI rate change is an
 * edit here plus a new TAX_TABLE.version, which every signed record carries, so an auditor always
 * knows which rates a record was computed with.
 *
 * Sources: the DRC's 14 tax groups A–N as described in public, second-hand material (SPEC §2). Rows
 * marked `confirmed: false` have no published rate; they are placeholders until the DGI publishes
 * one, and docs/PROTOCOL.md §7 says so.
 */

/** One tax group: its rate in basis points (1600 = 16 %) and what it means. */
export interface TaxGroup {
  readonly rateBp: number;
  readonly label: string;
  /** False where the rate is our placeholder, not a published DGI figure. */
  readonly confirmed: boolean;
  /** True for the export group, which only export invoices may use (and they use only it). */
  readonly exportOnly: boolean;
}

function group(rateBp: number, label: string, confirmed = true, exportOnly = false): TaxGroup {
  return { rateBp, label, confirmed, exportOnly };
}

/** The versioned tax table. */
export const TAX_TABLE = {
  version: "RDC-2026.1",
  groups: {
    A: group(0, "Exempt"),
    B: group(1600, "Standard VAT 16 %"),
    C: group(800, "Reduced VAT 8 %"),
    D: group(0, "Special VAT regime", false),
    E: group(0, "Export, zero-rated", true, true),
    F: group(1600, "Public works with external funding, VAT 16 %"),
    G: group(800, "Public works, VAT 8 %"),
    H: group(0, "Packaging deposit"),
    I: group(0, "Guarantee deposit"),
    J: group(0, "Disbursements"),
    K: group(0, "Seller not registered for VAT"),
    L: group(0, "Levies on sales", false),
    M: group(1600, "Sales with specific VAT", false),
    N: group(1600, "Specific VAT", false),
  },
} as const;

/** A tax group letter, A to N. */
export type TaxGroupId = keyof typeof TAX_TABLE.groups;

/** The 14 group letters in order. */
export const TAX_GROUP_IDS = Object.keys(TAX_TABLE.groups) as TaxGroupId[];

/** True when `id` is one of the 14 groups. */
export function isTaxGroupId(id: string): id is TaxGroupId {
  return Object.hasOwn(TAX_TABLE.groups, id);
}

/**
 * Currencies an invoice may be in (ISO 4217) and their minor-unit exponent. Amounts are always
 * integers in minor units; the exponent only tells a printer where the decimal point goes.
 */
export const CURRENCIES: Readonly<Record<string, number>> = {
  CDF: 2,
  USD: 2,
  EUR: 2,
  XAF: 0,
  ZAR: 2,
  ZMW: 2,
  AOA: 2,
  RWF: 0,
  BIF: 0,
  UGX: 0,
  TZS: 2,
  KES: 2,
  CNY: 2,
  GBP: 2,
};

/** The invoice types of SPEC §2. */
export const INVOICE_TYPES = ["SALE", "ADVANCE", "CREDIT", "EXPORT", "EXPORT_CREDIT"] as const;
export type InvoiceType = (typeof INVOICE_TYPES)[number];

/** Types that are credit notes and must reference an original. */
export const CREDIT_TYPES: ReadonlySet<InvoiceType> = new Set(["CREDIT", "EXPORT_CREDIT"]);

/** Types that use the export tax group. */
export const EXPORT_TYPES: ReadonlySet<InvoiceType> = new Set(["EXPORT", "EXPORT_CREDIT"]);

/** The original types a credit note type may reference. */
export const CREDITABLE_TYPES: Readonly<Record<"CREDIT" | "EXPORT_CREDIT", readonly InvoiceType[]>> = {
  CREDIT: ["SALE", "ADVANCE"],
  EXPORT_CREDIT: ["EXPORT"],
};
