/**
 * Credit notes of version 2: the nature rules of canonicalisation (SFE Annex III) and the checks
 * against the original (EG1.26, checkCreditAgainstOriginalV2): type, currency, amounts, every item
 * on the original at its price, quantities cumulated over every credit note, and RAN = the remainder.
 */
import { describe, expect, it } from "vitest";
import {
  type CreditLine,
  type CreditOriginal,
  checkCreditAgainstOriginalV2,
  ERRORS,
} from "../../protocol/index.js";
import { canon, codesOf } from "./invoice-v2-fixtures.js";

const C = (name: keyof typeof ERRORS) => ERRORS[name].code;

// The original sale: Sucre 2.5 × 3500 = 8750 (B), Pain 3 × 1200 = 3600 (A); total 12 350.
const SUCRE: CreditLine = {
  code: "SKU-1",
  name: "Sucre 1 kg",
  kind: "BIE",
  tax_group: "B",
  unit_price: 3500,
  quantity_milli: 2500,
};
const PAIN: CreditLine = {
  name: "Pain",
  kind: "BIE",
  tax_group: "A",
  unit_price: 1200,
  quantity_milli: 3000,
};
const ORIGINAL: CreditOriginal = {
  invoiceType: "SALE",
  total: 12_350,
  currency: "CDF",
  credited: 0,
  priceMode: "TTC",
  lines: [SUCRE, PAIN],
  creditedLines: [],
};

type Item = Record<string, unknown>;
const sucre = (quantity: string, extra: Item = {}): Item => ({
  code: "SKU-1",
  name: "Sucre 1 kg",
  kind: "BIE",
  quantity,
  unit_price: 3500,
  tax_group: "B",
  ...extra,
});
const pain = (quantity: string, extra: Item = {}): Item => ({
  name: "Pain",
  kind: "BIE",
  quantity,
  unit_price: 1200,
  tax_group: "A",
  ...extra,
});

/** A credit note of `nature` against fiscal number 7, paid back in cash for `total`. */
function credit(items: Item[], total: number, nature = "RAM", extra: Item = {}) {
  return canon({
    type: "CREDIT",
    items,
    payments: [{ method: "CASH", amount: total }],
    reference: { nature, fiscal_number: 7, reason: "Retour client" },
    ...extra,
  });
}

const check = (inv: ReturnType<typeof credit>, original: CreditOriginal | undefined) => () =>
  checkCreditAgainstOriginalV2(inv, original);

describe("credit-note natures (SFE Annex III, EG1.25–1.28)", () => {
  const base = { type: "CREDIT", items: [pain("1")], payments: [{ method: "CASH", amount: 1200 }] };
  it("refuses a credit note without a reference", () => {
    expect(codesOf(() => canon(base))).toEqual([{ code: C("REFERENCE_REQUIRED"), path: "/reference" }]);
  });

  it("refuses a reference on a sale", () => {
    const input = { ...base, type: "SALE", reference: { nature: "COR", fiscal_number: 7, reason: "x" } };
    expect(codesOf(() => canon(input))).toEqual([{ code: C("REFERENCE_FORBIDDEN"), path: "/reference" }]);
  });

  it.each(["COR", "RAN", "RAM"])(
    "refuses a %s credit note without the original's fiscal number",
    (nature) => {
      expect(codesOf(() => canon({ ...base, reference: { nature, reason: "x" } }))).toEqual([
        { code: C("REFERENCE_REQUIRED"), path: "/reference/fiscal_number" },
      ]);
    },
  );

  it.each(["COR", "RAN", "RAM"])("accepts a %s credit note naming its original", (nature) => {
    const inv = canon({ ...base, reference: { nature, fiscal_number: 7, device_id: "DEF-2", reason: "x" } });
    expect(inv.reference).toEqual({ nature, fiscal_number: 7, device_id: "DEF-2", reason: "x" });
  });

  it.each(["fiscal_number", "device_id"])("refuses an RRR credit note with a %s", (field) => {
    const reference = {
      nature: "RRR",
      reason: "Ristourne annuelle",
      [field]: field === "device_id" ? "DEF-2" : 7,
    };
    expect(codesOf(() => canon({ ...base, reference }))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: `/reference/${field}` },
    ]);
  });

  it("accepts an RRR credit note, which references nothing and is not checked against an original", () => {
    const inv = canon({ ...base, reference: { nature: "RRR", reason: "Ristourne annuelle" } });
    expect(inv.reference).toEqual({ nature: "RRR", reason: "Ristourne annuelle" });
    expect(check(inv, undefined)).not.toThrow();
  });

  it("refuses an unknown nature", () => {
    expect(
      codesOf(() => canon({ ...base, reference: { nature: "VOID", fiscal_number: 7, reason: "x" } })),
    ).toEqual([{ code: C("FIELD_TYPE"), path: "/reference/nature" }]);
  });
});

describe("against the original: type, currency, amounts", () => {
  const one = credit([pain("1")], 1200);
  it("refuses an unknown original", () => {
    expect(codesOf(check(one, undefined))).toEqual([
      { code: C("REFERENCE_NOT_FOUND"), path: "/reference/fiscal_number" },
    ]);
  });

  it.each(["EXPORT", "CREDIT", "EXPORT_ADVANCE"])("refuses a CREDIT against a %s", (invoiceType) => {
    expect(codesOf(check(one, { ...ORIGINAL, invoiceType }))).toEqual([
      { code: C("REFERENCE_TYPE_MISMATCH"), path: "/reference/fiscal_number" },
    ]);
  });

  it("refuses an EXPORT_CREDIT against a SALE and accepts it against an EXPORT_ADVANCE", () => {
    const exportItem = { name: "Cobalt", kind: "BIE", quantity: "1", unit_price: 1000, tax_group: "E" };
    const ec = canon({
      type: "EXPORT_CREDIT",
      items: [exportItem],
      payments: [{ method: "BANK_TRANSFER", amount: 1000 }],
      reference: { nature: "COR", fiscal_number: 3, reason: "x" },
      export: { destination_country: "ZM" },
    });
    const lines = [{ ...exportItem, quantity_milli: 1000 }];
    expect(codesOf(check(ec, { ...ORIGINAL, invoiceType: "SALE", lines }))).toEqual([
      { code: C("REFERENCE_TYPE_MISMATCH"), path: "/reference/fiscal_number" },
    ]);
    expect(check(ec, { ...ORIGINAL, invoiceType: "EXPORT_ADVANCE", total: 1000, lines })).not.toThrow();
  });

  it("accepts a CREDIT against a version-1 SALE, on amounts only (no lines known)", () => {
    const v1 = { invoiceType: "SALE", total: 5000, currency: "CDF", credited: 0 };
    expect(
      check(
        credit([{ name: "Autre", kind: "SER", quantity: "1", unit_price: 1200, tax_group: "B" }], 1200),
        v1,
      ),
    ).not.toThrow();
  });

  it("refuses a credit against an original in another currency (a version-1 USD sale)", () => {
    expect(codesOf(check(one, { invoiceType: "SALE", total: 5000, currency: "USD", credited: 0 }))).toEqual([
      { code: C("CURRENCY_MISMATCH"), path: "/reference/fiscal_number" },
    ]);
  });

  it("refuses a credit above what remains: 12 350 − 11 500 = 850 < 1200, and accepts one equal to it", () => {
    expect(codesOf(check(one, { ...ORIGINAL, credited: 11_500 }))).toEqual([
      { code: C("CREDIT_EXCEEDS_ORIGINAL"), path: "/reference/fiscal_number" },
    ]);
    expect(check(one, { ...ORIGINAL, credited: 11_150 })).not.toThrow(); // 12 350 − 11 150 = 1200
  });
});

describe("against the original's lines (EG1.26)", () => {
  it("accepts items named by code, or by name when the original line has no code", () => {
    expect(check(credit([sucre("1"), pain("2")], 3500 + 2400), ORIGINAL)).not.toThrow();
  });

  const { code: _, ...sucreByName } = sucre("1");
  it.each([
    ["an unknown code", [sucre("1", { code: "SKU-9" })], 3500, "/items/0/code"],
    ["an unknown name", [pain("1", { name: "Lait" })], 1200, "/items/0/name"],
    ["the name of a line the original names by code", [sucreByName], 3500, "/items/0/name"],
    ["another tax group", [pain("1", { tax_group: "B" })], 1200, "/items/0/tax_group"],
    ["another item type", [pain("1", { kind: "SER" })], 1200, "/items/0/kind"],
  ] as const)("refuses an item with %s", (_, items, total, path) => {
    expect(codesOf(check(credit([...items], total), ORIGINAL))).toEqual([
      { code: C("CREDIT_ITEM_NOT_ON_ORIGINAL"), path },
    ]);
  });

  it("refuses a unit price other than the original's", () => {
    expect(codesOf(check(credit([pain("1", { unit_price: 1100 })], 1100), ORIGINAL))).toEqual([
      { code: C("CREDIT_PRICE_MISMATCH"), path: "/items/0/unit_price" },
    ]);
  });

  it("refuses a price mode other than the original's", () => {
    // HT 1 × 1200 in A (0 %): total 1200.
    expect(codesOf(check(credit([pain("1")], 1200, "RAM", { price_mode: "HT" }), ORIGINAL))).toEqual([
      { code: C("CREDIT_PRICE_MISMATCH"), path: "/price_mode" },
    ]);
  });

  it("refuses more than the quantity sold (2.6 > 2.5) and accepts exactly it", () => {
    // 2.6 × 3500 = 9100 ≤ 12 350, so the amount check passes and the quantity check decides.
    expect(codesOf(check(credit([sucre("2.6")], 9100), ORIGINAL))).toEqual([
      { code: C("CREDIT_QUANTITY_EXCEEDED"), path: "/items/0/quantity" },
    ]);
    expect(check(credit([sucre("2.5")], 8750), ORIGINAL)).not.toThrow();
  });

  it("cumulates quantities over several lines of one credit note: 1.5 + 1.5 = 3 > 2.5", () => {
    expect(codesOf(check(credit([sucre("1.5"), sucre("1.5")], 10_500), ORIGINAL))).toEqual([
      { code: C("CREDIT_QUANTITY_EXCEEDED"), path: "/items/1/quantity" },
    ]);
  });

  it("cumulates quantities over earlier credit notes: 1 + 1 + 0.6 = 2.6 > 2.5, while 1 + 1 + 0.5 passes", () => {
    // Two earlier notes of 1 × 3500 each: credited 7000, remaining 12 350 − 7000 = 5350.
    const earlier = {
      ...ORIGINAL,
      credited: 7000,
      creditedLines: [
        { ...SUCRE, quantity_milli: 1000 },
        { ...SUCRE, quantity_milli: 1000 },
      ],
    };
    expect(codesOf(check(credit([sucre("0.6")], 2100), earlier))).toEqual([
      { code: C("CREDIT_QUANTITY_EXCEEDED"), path: "/items/0/quantity" },
    ]);
    expect(check(credit([sucre("0.5")], 1750), earlier)).not.toThrow();
  });

  it("counts quantities per code and unit price: 3 at 3500 exceeds the 2.5 sold at 3500 though 1 more sold at 3000", () => {
    const twoPrices = {
      ...ORIGINAL,
      total: 11_750,
      lines: [SUCRE, { ...SUCRE, unit_price: 3000, quantity_milli: 1000 }],
    };
    expect(codesOf(check(credit([sucre("3")], 10_500), twoPrices))).toEqual([
      { code: C("CREDIT_QUANTITY_EXCEEDED"), path: "/items/0/quantity" },
    ]);
    expect(check(credit([sucre("2.5"), sucre("1", { unit_price: 3000 })], 11_750), twoPrices)).not.toThrow();
  });
});

describe("annulation (RAN) cancels the whole remainder", () => {
  it("refuses an annulation of less than what remains (1200 < 12 350)", () => {
    expect(codesOf(check(credit([pain("1")], 1200, "RAN"), ORIGINAL))).toEqual([
      { code: C("VOID_NOT_FULL"), path: "/reference/fiscal_number" },
    ]);
  });

  it("accepts an annulation of every remaining line after an earlier credit note", () => {
    // Earlier: Sucre 1 × 3500. Remains Sucre 1.5 × 3500 = 5250 and Pain 3 × 1200 = 3600: 8850 = 12 350 − 3500.
    const earlier = { ...ORIGINAL, credited: 3500, creditedLines: [{ ...SUCRE, quantity_milli: 1000 }] };
    expect(check(credit([sucre("1.5"), pain("3")], 8850, "RAN"), earlier)).not.toThrow();
  });

  it("refuses an annulation whose total is the remainder but whose quantities are not", () => {
    // Original: Clou 2.5 × 1 = 2.5 → 3. Credit: 1.5 × 1 → 2 and 0.5 × 1 → 1 (halves up): 3, but only 2 of 2.5 units.
    const clou: CreditLine = {
      name: "Clou",
      kind: "BIE",
      tax_group: "A",
      unit_price: 1,
      quantity_milli: 2500,
    };
    const original = { ...ORIGINAL, total: 3, lines: [clou] };
    const item = (quantity: string) => ({
      name: "Clou",
      kind: "BIE",
      quantity,
      unit_price: 1,
      tax_group: "A",
    });
    expect(codesOf(check(credit([item("1.5"), item("0.5")], 3, "RAN"), original))).toEqual([
      { code: C("VOID_NOT_FULL"), path: "/items" },
    ]);
    expect(check(credit([item("2.5")], 3, "RAN"), original)).not.toThrow();
  });

  it("accepts an annulation of a version-1 original on its total alone", () => {
    const v1 = { invoiceType: "ADVANCE", total: 1200, currency: "CDF", credited: 0 };
    expect(check(credit([pain("1")], 1200, "RAN"), v1)).not.toThrow();
  });
});
