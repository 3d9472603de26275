/**
 * The invoice the device benchmarks seal: two lines in two tax groups, a fractional quantity, paid in
 * cash; `i` varies the amount and makes the client_ref unique.
 */
import { type CanonicalInvoice, canonicaliseInvoice } from "../protocol/index.js";

/** The i-th benchmark invoice, with client_ref `${prefix}-${i}`. */
export function benchInvoice(prefix: string, i: number): CanonicalInvoice {
  const amount = 1_000 + (i % 9_000);
  return canonicaliseInvoice(
    {
      type: "SALE",
      client_ref: `${prefix}-${i}`,
      currency: "CDF",
      items: [
        { name: "Sac de riz 25 kg", kind: "GOODS", quantity: 2, unit_price: amount, tax_group: "B" },
        { name: "Transport", kind: "SERVICE", quantity: "1.5", unit_price: 2_000, tax_group: "A" },
      ],
      payments: [{ method: "CASH", amount: amount * 2 + 3_000 }],
    },
    { cashierId: "CASHIER-1" },
  );
}
