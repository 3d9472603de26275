/** How amounts in minor units read for people (protocol/invoice/money.ts): fr-CD, one convention. */
import { describe, expect, it } from "vitest";
import { formatAmount, MAX_AMOUNT } from "../../protocol/index.js";

/** The narrow no-break space fr-CD groups thousands with. */
const NNBSP = "\u202f";

describe("formatAmount", () => {
  it("reads centimes as CDF with a decimal comma and thousands apart", () => {
    expect(formatAmount(1_160_000)).toBe(`11${NNBSP}600,00 CDF`);
    expect(formatAmount(350_000, "CDF")).toBe(`3${NNBSP}500,00 CDF`);
    expect(formatAmount(5)).toBe("0,05 CDF");
    expect(formatAmount(0)).toBe("0,00 CDF");
    expect(formatAmount(-1_250)).toBe("-12,50 CDF");
  });

  it("is exact up to the largest amount, and follows the currency's exponent", () => {
    // 10^15 centimes = 10^13 CDF: 10 000 000 000 000,00, not a rounded float.
    expect(formatAmount(MAX_AMOUNT)).toBe(`10${NNBSP}000${NNBSP}000${NNBSP}000${NNBSP}000,00 CDF`);
    expect(formatAmount(1_000, "USD")).toBe("10,00 USD");
    expect(formatAmount(1_500, "XAF")).toBe(`1${NNBSP}500 XAF`);
  });
});
