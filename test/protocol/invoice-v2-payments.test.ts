/**
 * Canonical invoice version 2: payments (their sum, USD conversion, the reference-rate check) and
 * what the context brings (operator, rn, client_ref, ISF, seller, defaults). One refusal (exact code
 * and path) and one acceptance per rule; amounts are CDF centimes, worked by hand.
 */
import { describe, expect, it } from "vitest";
import { ERRORS, posInvoiceOfV2, validateCanonicalInvoiceV2 } from "../../protocol/index.js";
import { CTX, canon, codesOf, oneLine, SELLER, sale } from "./invoice-v2-fixtures.js";

const C = (name: keyof typeof ERRORS) => ERRORS[name].code;

describe("payments (SFE EG1.19, EG1.30)", () => {
  it("refuses payments that do not sum to the total", () => {
    expect(codesOf(() => canon(sale({ payments: [{ method: "CASH", amount: 9949 }] })))).toEqual([
      { code: C("PAYMENTS_MISMATCH"), path: "/payments" },
    ]);
  });

  it("accepts several payments summing to the total: 5000 + 4950 = 9950", () => {
    const payments = [
      { method: "CARD", amount: 5000 },
      { method: "MOBILE_MONEY", amount: 4950 },
    ];
    expect(canon(sale({ payments })).payments).toEqual(payments);
  });

  // 1 USD = 100 cents at 2850.5 CDF: 100 × 28 505 000 / 10 000 = 285 050 centimes.
  const usd = (amount: number, usdCents: number, rate: string) =>
    oneLine({ unit_price: amount, tax_group: "A" }, amount, {
      payments: [
        {
          method: "CASH",
          amount,
          foreign: { currency: "USD", amount: usdCents, rate, rate_date: "2026-12-01" },
        },
      ],
    });

  it("converts a USD payment and carries rate × 10^4", () => {
    const inv = canon(usd(285_050, 100, "2850.50"));
    expect(inv.payments[0]!.foreign).toEqual({
      currency: "USD",
      amount: 100,
      rate_e4: 28_505_000,
      rate_date: "2026-12-01",
    });
    expect(posInvoiceOfV2(inv).payments[0]!.foreign!.rate).toBe("2850.5");
  });

  it("rounds the conversion half up: 1 cent at 2850.5 = 2850.5 → 2851", () => {
    expect(canon(usd(2851, 1, "2850.5")).payments[0]!.amount).toBe(2851);
    expect(codesOf(() => canon(usd(2850, 1, "2850.5")))).toEqual([
      { code: C("PAYMENTS_MISMATCH"), path: "/payments/0/amount" },
    ]);
  });

  // Reference 2850 (28 500 000), tolerance 1 %: |rate_e4 − ref| × 10 000 ≤ ref × 100, so |Δ| ≤ 285 000 (28.5 CDF).
  const fx = { ...CTX, fx: { reference: { USD: 28_500_000 }, toleranceBp: 100 } };
  it.each([
    ["2878.5", 287_850], // 100 × 28 785 000 / 10 000 = 287 850
    ["2821.5", 282_150], // 100 × 28 215 000 / 10 000 = 282 150
  ])("accepts a rate exactly 1 %% from the reference (%s)", (rate, amount) => {
    expect(canon(usd(amount, 100, rate), fx).totals.total).toBe(amount);
  });

  it.each([
    ["2878.5001", 287_850], // Δ = 285 001 > 285 000; 100 × 28 785 001 / 10 000 = 287 850.01 → 287 850
    ["2821.4999", 282_150], // Δ = 285 001; 100 × 28 214 999 / 10 000 = 282 149.99 → 282 150
  ])("refuses a rate just beyond 1 %% (%s)", (rate, amount) => {
    expect(codesOf(() => canon(usd(amount, 100, rate), fx))).toEqual([
      { code: C("FX_RATE_OUT_OF_RANGE"), path: "/payments/0/foreign/rate" },
    ]);
  });

  it("refuses a USD payment when the daemon has no reference rate, and the device (no fx) does not check", () => {
    const noRate = { ...CTX, fx: { reference: {}, toleranceBp: 100 } };
    expect(codesOf(() => canon(usd(287_850, 100, "2878.5001"), noRate))).toEqual([
      { code: C("FX_REFERENCE_MISSING"), path: "/payments/0/foreign/rate" },
    ]);
    expect(validateCanonicalInvoiceV2(canon(usd(287_850, 100, "2878.5001"))).totals.total).toBe(287_850);
  });

  it("refuses any currency but CDF for the invoice", () => {
    expect(codesOf(() => canon(sale({ currency: "USD" })))).toEqual([
      { code: C("CURRENCY_UNSUPPORTED"), path: "/currency" },
    ]);
    expect(canon(sale({ currency: "CDF" })).currency).toBe("CDF");
  });
});

describe("operator, identifiers and defaults", () => {
  it("takes the operator's name from the request, else from the API key's label", () => {
    expect(canon(sale({ operator: { name: " Marie K. " } })).operator).toEqual({
      id: "CASHIER-1",
      name: "Marie K.",
    });
    expect(canon(sale()).operator).toEqual({ id: "CASHIER-1", name: "Caisse 1" });
  });

  it("refuses an invoice with no operator name from either", () => {
    const { operatorName: _, ...ctx } = CTX;
    expect(codesOf(() => canon(sale(), ctx))).toEqual([
      { code: C("FIELD_REQUIRED"), path: "/operator/name" },
    ]);
  });

  it("defaults rn to client_ref, itself defaulting to the context's", () => {
    expect(canon(sale())).toMatchObject({ client_ref: "IDEM-1", rn: "IDEM-1" });
    expect(canon(sale({ client_ref: "POS-9" }))).toMatchObject({ client_ref: "POS-9", rn: "POS-9" });
    expect(canon(sale({ client_ref: "POS-9", rn: "T-42" }))).toMatchObject({
      client_ref: "POS-9",
      rn: "T-42",
    });
  });

  it("refuses an invoice without any client_ref", () => {
    const { defaultClientRef: _, ...ctx } = CTX;
    expect(codesOf(() => canon(sale(), ctx))).toEqual([{ code: C("FIELD_REQUIRED"), path: "/client_ref" }]);
  });

  it("takes isf and seller from the context, and defaults price mode TTC and currency CDF", () => {
    const inv = canon(sale());
    expect(inv).toMatchObject({ isf: "ISF-0001", seller: SELLER, price_mode: "TTC", currency: "CDF", v: 2 });
    expect(inv.tax_table).toBe("RDC-2026.2");
  });

  it("refuses a context whose ISF or seller does not meet the sealed schema", () => {
    expect(codesOf(() => canon(sale(), { ...CTX, isf: "ISF 1" }))).toEqual([
      { code: C("FIELD_TYPE"), path: "/isf" },
    ]);
    expect(codesOf(() => canon(sale(), { ...CTX, seller: { ...SELLER, name: "  " } }))).toEqual([
      { code: C("FIELD_REQUIRED"), path: "/seller/name" },
    ]);
  });
});
