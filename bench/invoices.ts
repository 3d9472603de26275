/**
 * The invoice the device benchmarks seal: two lines in two tax groups, a fractional quantity, paid in
 * cash; `i` varies the amount and makes the client_ref unique.
 */
import { type CanonicalInvoiceV2, canonicaliseInvoiceV2, type InvoiceContextV2 } from "../protocol/index.js";

/** The SFE context of every benchmark invoice; the seller's NIF is the one the benches activate with. */
export const BENCH_CONTEXT: InvoiceContextV2 = {
  cashierId: "CASHIER-1",
  operatorName: "Mireille Kabeya",
  isf: "ISF-BENCH-0001",
  seller: { nif: "A1234567B", name: "Boutique du banc d'essai", address: "1, avenue du Banc, Kinshasa" },
};

/** The i-th benchmark invoice, with client_ref `${prefix}-${i}`. */
export function benchInvoice(prefix: string, i: number): CanonicalInvoiceV2 {
  const amount = 1_000 + (i % 9_000);
  return canonicaliseInvoiceV2(
    {
      type: "SALE",
      client_ref: `${prefix}-${i}`,
      currency: "CDF",
      items: [
        { name: "Sac de riz 25 kg", kind: "BIE", quantity: 2, unit_price: amount, tax_group: "B" },
        { name: "Transport", kind: "SER", quantity: "1.5", unit_price: 2_000, tax_group: "A" },
      ],
      payments: [{ method: "CASH", amount: amount * 2 + 3_000 }],
    },
    BENCH_CONTEXT,
  );
}
