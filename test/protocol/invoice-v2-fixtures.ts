/**
 * Shared fixtures of the invoice version-2 tests: a context, a sale, and a helper that returns the
 * codes and paths of a refusal. Amounts are CDF centimes (3500 = 35,00 CDF).
 */
import {
  type CanonicalInvoiceV2,
  canonicaliseInvoiceV2,
  FiscalError,
  type InvoiceContextV2,
} from "../../protocol/index.js";

export const SELLER = {
  nif: "NIF-0012345",
  name: "Boutique Amani",
  address: "1, avenue du Commerce, Gombe",
} as const;

/** The daemon's context: cashier id and label of the API key, the SFE identity, no reference rate. */
export const CTX: InvoiceContextV2 = {
  cashierId: "CASHIER-1",
  operatorName: "Caisse 1",
  defaultClientRef: "IDEM-1",
  isf: "ISF-0001",
  seller: SELLER,
};

/**
 * A TTC sale: 2.5 × 3500 = 8750 in B, 1 × 1200 = 1200 in A, total 9950.
 * B: base = round_half_down(8750 × 10000 / 11600) = ⌊7543.10…⌋ = 7543, tax = 8750 − 7543 = 1207.
 */
export function sale(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    items: [
      { code: "SKU-1", name: "Sucre 1 kg", kind: "BIE", quantity: "2.5", unit_price: 3500, tax_group: "B" },
      { name: "Pain", kind: "BIE", quantity: 1, unit_price: 1200, tax_group: "A" },
    ],
    payments: [{ method: "CASH", amount: 9950 }],
    ...overrides,
  };
}

/** One item `{ name, kind, quantity 1, unit_price, tax_group }` paid in cash: the smallest invoice. */
export function oneLine(
  item: Record<string, unknown>,
  paid: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "SALE",
    items: [{ name: "Article", kind: "BIE", quantity: 1, ...item }],
    payments: [{ method: "CASH", amount: paid }],
    ...overrides,
  };
}

/** The issues of a refusal as `{ code, path }`; fails the test when the call is accepted. */
export function codesOf(fn: () => unknown): { code: number; path: string }[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof FiscalError) {
      return (err.details?.issues ?? [{ path: "", code: err.code }]).map((i) => ({
        code: i.code,
        path: i.path,
      }));
    }
    throw err;
  }
  throw new Error("expected the call to be refused");
}

/** Canonicalises with CTX (or `ctx`). */
export function canon(input: Record<string, unknown>, ctx: InvoiceContextV2 = CTX): CanonicalInvoiceV2 {
  return canonicaliseInvoiceV2(input, ctx);
}
