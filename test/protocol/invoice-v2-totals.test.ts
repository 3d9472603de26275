/**
 * The arithmetic of invoice version 2 (docs/PROTOCOL.md §7.3): rounding and its tie rules, the three
 * forms of specific tax and how they enter the VAT base in HT and TTC, each slot computation, the
 * 10^15 bound, the fiscal year; then a fixed-seed property test against an independent implementation.
 */
import { describe, expect, it } from "vitest";
import {
  computeTotalsV2,
  FiscalError,
  fiscalYearOf,
  roundHalfDown,
  roundHalfUp,
} from "../../protocol/index.js";
import { canon, codesOf, oneLine } from "./invoice-v2-fixtures.js";

const HT = { price_mode: "HT" };

describe("rounding", () => {
  it("rounds half down: ⌊(2n + d − 1) / 2d⌋", () => {
    expect(roundHalfDown(5n, 2n)).toBe(2n); // 2.5 → 2 (the tie goes down)
    expect(roundHalfDown(7n, 2n)).toBe(3n); // 3.5 → 3
    expect(roundHalfDown(13n, 5n)).toBe(3n); // 2.6 → 3
    expect(roundHalfDown(12n, 5n)).toBe(2n); // 2.4 → 2
    expect(roundHalfDown(4n, 2n)).toBe(2n); // exact
    expect(roundHalfDown(0n, 7n)).toBe(0n);
    expect(roundHalfUp(5n, 2n)).toBe(3n); // while half up takes 2.5 to 3
  });

  it("never meets a tie in a group split at the published rates 16 % and 8 %", () => {
    // TTC: total × 10000 / (10000 + r) = total × 25/29 (16 %) or × 25/27 (8 %); HT: base × 4/25 or × 2/25.
    // A tie needs an odd multiple of d/2 as remainder, impossible with an odd reduced denominator:
    // checking every residue class of total modulo the denominator proves it.
    for (const [num, den] of [
      [25n, 29n],
      [25n, 27n],
      [4n, 25n],
      [2n, 25n],
    ] as const) {
      for (let t = 0n; t < den; t += 1n) expect((2n * num * t) % (2n * den)).not.toBe(den);
    }
  });
});

describe("TTC mode (default)", () => {
  it("B 16 %: 8750 → base ⌊8750 × 10000 / 11600 = 7543.10⌋ = 7543, tax 1207", () => {
    const inv = canon(oneLine({ quantity: "2.5", unit_price: 3500, tax_group: "B" }, 8750));
    expect(inv.totals).toEqual({
      total: 8750,
      tax_total: 1207,
      specific_tax_total: 0,
      groups: [{ group: "B", rate_bp: 1600, base: 7543, tax: 1207, total: 8750 }],
    });
  });

  it("C 8 %: 1000 → base 10 000 000 / 10 800 = 925.93 → 926, tax 74; groups in letter order", () => {
    const input = {
      type: "SALE",
      items: [
        { name: "Riz", kind: "BIE", quantity: 1, unit_price: 1000, tax_group: "C" },
        { name: "Eau", kind: "BIE", quantity: 1, unit_price: 1080, tax_group: "C" },
        { name: "Pain", kind: "BIE", quantity: 1, unit_price: 500, tax_group: "A" },
      ],
      payments: [{ method: "CASH", amount: 2580 }],
    };
    // C: 1000 + 1080 = 2080 → 20 800 000 / 10 800 = 1925.93 → 1926, tax 154 (per group, not per line).
    expect(canon(input).totals).toEqual({
      total: 2580,
      tax_total: 154,
      specific_tax_total: 0,
      groups: [
        { group: "A", rate_bp: 0, base: 500, tax: 0, total: 500 },
        { group: "C", rate_bp: 800, base: 1926, tax: 154, total: 2080 },
      ],
    });
  });
});

describe("HT mode", () => {
  it("B 16 %: base 7543 → tax 7543 × 0.16 = 1206.88 → 1207, total 8750", () => {
    const inv = canon(oneLine({ unit_price: 7543, tax_group: "B" }, 8750, HT));
    expect(inv.price_mode).toBe("HT");
    expect(inv.totals.groups).toEqual([{ group: "B", rate_bp: 1600, base: 7543, tax: 1207, total: 8750 }]);
  });

  it("refuses payments equal to the HT sum instead of the total (7543 ≠ 8750)", () => {
    expect(codesOf(() => canon(oneLine({ unit_price: 7543, tax_group: "B" }, 7543, HT)))).toEqual([
      { code: 308, path: "/payments" },
    ]);
  });
});

describe("specific tax (SFE EG1.13, §1.5.10)", () => {
  it("as an amount enters the HT base: 10000 + 500 = 10500, tax 1680, total 12180", () => {
    const inv = canon(
      oneLine({ unit_price: 10_000, tax_group: "B", specific_tax: { amount: 500 } }, 12_180, HT),
    );
    expect(inv.items[0]!.specific_tax_amount).toBe(500);
    expect(inv.totals).toEqual({
      total: 12_180,
      tax_total: 1680,
      specific_tax_total: 500,
      groups: [{ group: "B", rate_bp: 1600, base: 10_500, tax: 1680, total: 12_180 }],
    });
  });

  it("per unit: 2.5 × 150 = 375; ties half up: 0.5 × 3 = 1.5 → 2", () => {
    const a = canon(
      oneLine(
        { quantity: "2.5", unit_price: 1000, tax_group: "A", specific_tax: { per_unit: 150 } },
        2875,
        HT,
      ),
    );
    // HT A: base 2500 + 375 = 2875, tax 0.
    expect(a.items[0]!.specific_tax_amount).toBe(375);
    expect(a.totals.groups[0]).toEqual({ group: "A", rate_bp: 0, base: 2875, tax: 0, total: 2875 });
    const b = canon(
      oneLine({ quantity: "0.5", unit_price: 10, tax_group: "A", specific_tax: { per_unit: 3 } }, 7, HT),
    );
    expect(b.items[0]!.specific_tax_amount).toBe(2); // line 5 + 2 = 7
  });

  it("as a percentage in HT: 10000 × 5 % = 500; ties half up: 5 × 10 % = 0.5 → 1", () => {
    const a = canon(
      oneLine({ unit_price: 10_000, tax_group: "B", specific_tax: { rate_bp: 500 } }, 12_180, HT),
    );
    expect(a.items[0]!.specific_tax_amount).toBe(500);
    const b = canon(oneLine({ unit_price: 5, tax_group: "A", specific_tax: { rate_bp: 1000 } }, 6, HT));
    expect(b.items[0]!.specific_tax_amount).toBe(1);
  });

  it("in TTC is contained in the price: 11600 at 16 % and 10 % → 11600 × 10⁷ / (11600 × 11000) = 909.09 → 909", () => {
    const inv = canon(
      oneLine({ unit_price: 11_600, tax_group: "B", specific_tax: { rate_bp: 1000 } }, 11_600),
    );
    // HT before the specific tax 10000 − 909 = 9091; the VAT base 9091 + 909 = 10000, tax 1600.
    expect(inv.items[0]!.specific_tax_amount).toBe(909);
    expect(inv.totals).toEqual({
      total: 11_600,
      tax_total: 1600,
      specific_tax_total: 909,
      groups: [{ group: "B", rate_bp: 1600, base: 10_000, tax: 1600, total: 11_600 }],
    });
  });

  it("in TTC as a percentage ties half up: 3 at 0 % and 100 % → 3 × 10⁸ / (10⁴ × 2·10⁴) = 1.5 → 2", () => {
    expect(
      canon(oneLine({ unit_price: 3, tax_group: "A", specific_tax: { rate_bp: 10_000 } }, 3)).items[0]!
        .specific_tax_amount,
    ).toBe(2);
  });

  it("in TTC must be less than the line amount that contains it", () => {
    expect(
      codesOf(() => canon(oneLine({ unit_price: 500, tax_group: "B", specific_tax: { amount: 500 } }, 500))),
    ).toEqual([{ code: 303, path: "/items/0/specific_tax" }]);
    expect(
      canon(oneLine({ unit_price: 500, tax_group: "B", specific_tax: { amount: 499 } }, 500)).totals
        .specific_tax_total,
    ).toBe(499);
  });

  it("refuses a specific tax that rounds to zero: 100 × 0.01 % = 0.01 → 0", () => {
    expect(
      codesOf(() =>
        canon(oneLine({ unit_price: 100, tax_group: "B", specific_tax: { rate_bp: 1 } }, 116, HT)),
      ),
    ).toEqual([{ code: 327, path: "/items/0/specific_tax" }]);
  });

  it.each([
    ["H", "BIE"],
    ["L", "TAX"],
    ["N", "TAX"],
  ])("refuses a specific tax in group %s, which is not computed at a rate", (group, kind) => {
    expect(
      codesOf(() =>
        canon(oneLine({ kind, unit_price: 100, tax_group: group, specific_tax: { amount: 5 } }, 100)),
      ),
    ).toEqual([{ code: 306, path: "/items/0/specific_tax" }]);
  });
});

describe("line_vat N and the groups outside VAT", () => {
  it.each(["TTC", "HT"])("N in %s: the amount is wholly VAT (base 0, tax = total)", (price_mode) => {
    const input = {
      type: "SALE",
      price_mode,
      items: [
        { name: "Boisson réglementée", kind: "BIE", quantity: 1, unit_price: 2000, tax_group: "M" },
        { name: "TVA spécifique", kind: "TAX", quantity: 1, unit_price: 300, tax_group: "N" },
      ],
      payments: [{ method: "CASH", amount: 2300 }],
    };
    // M is at 0 %: base 2000, tax 0; N: base 0, tax 300. tax_total = 300, total 2300 in both modes.
    expect(canon(input).totals).toEqual({
      total: 2300,
      tax_total: 300,
      specific_tax_total: 0,
      groups: [
        { group: "M", rate_bp: 0, base: 2000, tax: 0, total: 2000 },
        { group: "N", rate_bp: 0, base: 0, tax: 300, total: 300 },
      ],
    });
  });

  it.each([
    ["H", "BIE", "TTC"],
    ["I", "SER", "HT"],
    ["J", "SER", "TTC"],
    ["L", "TAX", "HT"],
  ])("%s is outside VAT: base = total, tax 0 (%s, %s)", (group, kind, price_mode) => {
    const inv = canon(oneLine({ kind, unit_price: 1234, tax_group: group }, 1234, { price_mode }));
    expect(inv.totals.groups).toEqual([{ group, rate_bp: 0, base: 1234, tax: 0, total: 1234 }]);
    expect(inv.totals.tax_total).toBe(0);
  });
});

describe("bounds and the fiscal year", () => {
  it("refuses a total above 10^15 even when each line is below, and allows unbounded intermediate products", () => {
    const line = (name: string) => ({
      name,
      kind: "BIE",
      quantity: 1,
      unit_price: 600_000_000_000_000,
      tax_group: "B",
    });
    const input = { type: "SALE", items: [line("a"), line("b")], payments: [{ method: "CASH", amount: 1 }] };
    expect(codesOf(() => canon(input))).toEqual([{ code: 303, path: "/items" }]);
    // 8.6·10^14 HT → tax 1.376·10^14, total 9.976·10^14 ≤ 10^15 although base × r is ~1.4·10^18 > 2^53.
    const ok = canon(oneLine({ unit_price: 860_000_000_000_000, tax_group: "B" }, 997_600_000_000_000, HT));
    expect(ok.totals.groups[0]).toMatchObject({ base: 860_000_000_000_000, tax: 137_600_000_000_000 });
  });

  it("computeTotalsV2 refuses a reserved slot", () => {
    expect(() => computeTotalsV2([{ group: "O", amount: 1 }], "TTC")).toThrow(FiscalError);
  });

  it("counts the fiscal year at UTC+01:00", () => {
    expect(fiscalYearOf(Date.UTC(2026, 11, 31, 22, 59, 59, 999))).toBe(2026); // 23:59:59.999 in Kinshasa
    expect(fiscalYearOf(Date.UTC(2026, 11, 31, 23, 0, 0))).toBe(2027); // 00:00 on 1 January in Kinshasa
    expect(fiscalYearOf(Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(2026);
  });
});
