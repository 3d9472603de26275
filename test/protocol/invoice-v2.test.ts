/**
 * Canonical invoice version 2: the SFE rules of docs/PROTOCOL.md §7.4, one refusal (exact code and
 * path) and one acceptance each. Amounts are CDF centimes; every expected amount is worked by hand.
 */
import { describe, expect, it } from "vitest";
import {
  canonicaliseInvoice,
  ERRORS,
  encodeInvoice,
  invoiceHash,
  MAX_INVOICE_BYTES,
  toHex,
  validateCanonicalInvoiceV2,
} from "../../protocol/index.js";
import { ILL_FORMED_TEXT_MESSAGE } from "../../protocol/invoice/unicode.js";
import { canon, codesOf, oneLine, sale } from "./invoice-v2-fixtures.js";

const C = (name: keyof typeof ERRORS) => ERRORS[name].code;
const EXPORT = { destination_country: "CG" };
const REF = { nature: "COR", fiscal_number: 7, reason: "Erreur de prix" };

describe("invoice types and their DGI codes", () => {
  // SFE EG1.7: FV FT FA EV ET EA.
  const cases: [string, string, Record<string, unknown>][] = [
    ["SALE", "FV", {}],
    ["ADVANCE", "FT", {}],
    ["CREDIT", "FA", { reference: REF }],
    ["EXPORT", "EV", { export: EXPORT }],
    ["EXPORT_ADVANCE", "ET", { export: EXPORT }],
    ["EXPORT_CREDIT", "EA", { export: EXPORT, reference: REF }],
  ];
  it.each(cases)("accepts %s and carries dgi_type %s", (type, code, extra) => {
    const group = type.startsWith("EXPORT") ? "E" : "B";
    const inv = canon(oneLine({ unit_price: 1000, tax_group: group }, 1000, { type, ...extra }));
    expect(inv.dgi_type).toBe(code);
    expect(validateCanonicalInvoiceV2(inv).dgi_type).toBe(code);
  });

  it("refuses a type outside the six", () => {
    expect(codesOf(() => canon(sale({ type: "VOID" })))).toEqual([{ code: C("FIELD_TYPE"), path: "/type" }]);
  });

  it("the device refuses a dgi_type that is not the type's", () => {
    const inv = { ...canon(sale()), dgi_type: "FT" };
    expect(codesOf(() => validateCanonicalInvoiceV2(inv))).toEqual([
      { code: C("FIELD_RANGE"), path: "/dgi_type" },
    ]);
  });
});

describe("clients (SFE Annex I)", () => {
  const full = {
    PM: { name: "Société X", nif: "A1234567" },
    PC: { name: "Jean Commerçant", nif: "A7654321" },
    PL: { name: "Me Avocat", nif: "A1111111" },
    AO: { name: "Ambassade Y", exemption_ref: "EXO-2026-1" },
  } as const;
  const missing: [string, string][] = [
    ["PM", "name"],
    ["PM", "nif"],
    ["PC", "name"],
    ["PC", "nif"],
    ["PL", "name"],
    ["PL", "nif"],
    ["AO", "name"],
    ["AO", "exemption_ref"],
  ];
  it.each(missing)("refuses a %s client without %s", (type, field) => {
    const client: Record<string, unknown> = { type, ...full[type as keyof typeof full] };
    delete client[field];
    expect(codesOf(() => canon(sale({ client })))).toEqual([
      { code: C("CLIENT_FIELDS_MISSING"), path: `/client/${field}` },
    ]);
  });

  it.each(Object.keys(full))("accepts a %s client with its required fields", (type) => {
    const client = { type, ...full[type as keyof typeof full] };
    expect(canon(sale({ client })).client).toEqual(client);
  });

  it("accepts a PP client with no other field (all optional)", () => {
    expect(canon(sale({ client: { type: "PP" } })).client).toEqual({ type: "PP" });
  });

  it("refuses an exemption reference on a client that is not AO", () => {
    const client = { ...full.PM, type: "PM", exemption_ref: "EXO-1" };
    expect(codesOf(() => canon(sale({ client })))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: "/client/exemption_ref" },
    ]);
  });
});

describe("comment lines (SFE EG1.24, Annex IV)", () => {
  const ao = { type: "AO", name: "Ambassade Y", exemption_ref: "EXO-2026-1" };
  it("writes an AO client's exemption reference as line A", () => {
    expect(canon(sale({ client: ao })).comments).toEqual({ A: "EXO-2026-1" });
    expect(canon(sale({ client: ao, comments: { A: " EXO-2026-1 ", B: "Livraison" } })).comments).toEqual({
      A: "EXO-2026-1",
      B: "Livraison",
    });
  });

  it("refuses a line A other than the AO client's exemption reference", () => {
    expect(codesOf(() => canon(sale({ client: ao, comments: { A: "EXO-9" } })))).toEqual([
      { code: C("FIELD_RANGE"), path: "/comments/A" },
    ]);
  });

  it("refuses a line A without an AO client", () => {
    expect(codesOf(() => canon(sale({ comments: { A: "EXO-9" } })))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: "/comments/A" },
    ]);
  });

  it("carries lines B to H as normalised free text, and refuses a ninth line", () => {
    const comments = Object.fromEntries(["B", "C", "D", "E", "F", "G", "H"].map((l) => [l, ` ligne ${l} `]));
    expect(canon(sale({ comments })).comments).toEqual(
      Object.fromEntries(["B", "C", "D", "E", "F", "G", "H"].map((l) => [l, `ligne ${l}`])),
    );
    expect(codesOf(() => canon(sale({ comments: { I: "x" } })))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: "/comments/I" },
    ]);
  });
});

describe("item types against tax groups (SFE Annex II, EG1.12)", () => {
  // From DRC-RULES §3.4: BIE and SER in every group but L and N (and E, export only); TAX only in L and N.
  const goodsGroups = ["A", "B", "C", "D", "F", "G", "H", "I", "J", "K", "M"];
  const cases = [
    ...goodsGroups.flatMap((g) => [
      ["BIE", g],
      ["SER", g],
    ]),
    ["TAX", "L"],
    ["TAX", "N"],
  ];
  it.each(cases)("accepts a %s item in group %s", (kind, group) => {
    const inv = canon(oneLine({ kind, unit_price: 1000, tax_group: group }, 1000));
    expect(inv.items[0]).toMatchObject({ kind, tax_group: group, amount: 1000 });
  });

  const refused = [
    ...goodsGroups.map((g) => ["TAX", g]),
    ["BIE", "L"],
    ["BIE", "N"],
    ["SER", "L"],
    ["SER", "N"],
  ];
  it.each(refused)("refuses a %s item in group %s", (kind, group) => {
    expect(codesOf(() => canon(oneLine({ kind, unit_price: 1000, tax_group: group }, 1000)))).toEqual([
      { code: C("ITEM_TYPE_NOT_ALLOWED"), path: "/items/0/kind" },
    ]);
  });

  it.each(["O", "P"])("refuses the reserved slot %s", (group) => {
    expect(codesOf(() => canon(oneLine({ unit_price: 1000, tax_group: group }, 1000)))).toEqual([
      { code: C("TAX_GROUP_NOT_ALLOWED"), path: "/items/0/tax_group" },
    ]);
  });

  it("refuses a slot beyond P as unknown", () => {
    expect(codesOf(() => canon(oneLine({ unit_price: 1000, tax_group: "Q" }, 1000)))).toEqual([
      { code: C("TAX_GROUP_UNKNOWN"), path: "/items/0/tax_group" },
    ]);
  });
});

describe("export group E, both ways", () => {
  it("refuses group E on a sale", () => {
    expect(codesOf(() => canon(oneLine({ unit_price: 1000, tax_group: "E" }, 1000)))).toEqual([
      { code: C("TAX_GROUP_NOT_ALLOWED"), path: "/items/0/tax_group" },
    ]);
  });

  it.each(["EXPORT", "EXPORT_ADVANCE"])("refuses another group than E on an %s", (type) => {
    const input = oneLine({ unit_price: 1000, tax_group: "B" }, 1000, { type, export: EXPORT });
    expect(codesOf(() => canon(input))).toEqual([
      { code: C("TAX_GROUP_NOT_ALLOWED"), path: "/items/0/tax_group" },
    ]);
  });

  it("accepts group E on an export, at 0 %: base = total", () => {
    const inv = canon(
      oneLine({ unit_price: 1000, tax_group: "E" }, 1000, { type: "EXPORT", export: EXPORT }),
    );
    expect(inv.totals.groups).toEqual([{ group: "E", rate_bp: 0, base: 1000, tax: 0, total: 1000 }]);
  });
});

describe("zero and negative amounts (SFE EG1.21–1.22)", () => {
  it("refuses a line whose amount rounds to zero: 0.001 × 1 = 0.001 → 0", () => {
    expect(codesOf(() => canon(oneLine({ quantity: "0.001", unit_price: 1, tax_group: "A" }, 1)))).toEqual([
      { code: C("AMOUNT_NOT_POSITIVE"), path: "/items/0" },
    ]);
  });

  it("accepts a line whose amount is exactly one half: 0.001 × 500 = 0.5 → 1 (half up)", () => {
    expect(canon(oneLine({ quantity: "0.001", unit_price: 500, tax_group: "A" }, 1)).items[0]!.amount).toBe(
      1,
    );
  });

  it.each([0, -100])("refuses a unit price of %d", (price) => {
    expect(codesOf(() => canon(oneLine({ unit_price: price, tax_group: "A" }, 1)))).toEqual([
      { code: C("FIELD_RANGE"), path: "/items/0/unit_price" },
    ]);
  });

  it.each([0, -1, "0"])("refuses a quantity of %s", (quantity) => {
    expect(codesOf(() => canon(oneLine({ quantity, unit_price: 100, tax_group: "A" }, 100)))).toEqual([
      { code: C("FIELD_RANGE"), path: "/items/0/quantity" },
    ]);
  });

  it("refuses a line amount above 10^15: 1 000 000 × 10^15", () => {
    const input = oneLine({ quantity: 1_000_000, unit_price: 1_000_000_000_000_000, tax_group: "A" }, 1);
    expect(codesOf(() => canon(input))).toEqual([{ code: C("FIELD_RANGE"), path: "/items/0" }]);
  });
});

describe("discounts and price changes (SFE §1.2 l)", () => {
  const item = { unit_price: 900, tax_group: "A" };
  it("carries the original price with its description", () => {
    const inv = canon(oneLine({ ...item, original_price: 1000, price_change: " Remise 10 % " }, 900));
    expect(inv.items[0]).toMatchObject({
      unit_price: 900,
      original_price: 1000,
      price_change: "Remise 10 %",
      amount: 900,
    });
  });

  it("refuses an original price without its description", () => {
    expect(codesOf(() => canon(oneLine({ ...item, original_price: 1000 }, 900)))).toEqual([
      { code: C("FIELD_REQUIRED"), path: "/items/0/price_change" },
    ]);
  });

  it("refuses a description without the original price", () => {
    expect(codesOf(() => canon(oneLine({ ...item, price_change: "Remise" }, 900)))).toEqual([
      { code: C("FIELD_REQUIRED"), path: "/items/0/original_price" },
    ]);
  });

  it("refuses an original price equal to the unit price", () => {
    expect(
      codesOf(() => canon(oneLine({ ...item, original_price: 900, price_change: "Remise" }, 900))),
    ).toEqual([{ code: C("FIELD_RANGE"), path: "/items/0/original_price" }]);
  });
});

describe("text, shape and size", () => {
  it("normalises text exactly as version 1: NFC, then ECMAScript trim (U+FEFF, U+3000 and U+00A0 included)", () => {
    const name = "\uFEFF\u3000 Cafe\u0301 \u00A0";
    const v2 = canon(oneLine({ name, unit_price: 100, tax_group: "A" }, 100)).items[0]!.name;
    const v1Input = {
      type: "SALE",
      currency: "CDF",
      items: [{ name, kind: "GOODS", quantity: 1, unit_price: 100, tax_group: "A" }],
      payments: [{ method: "CASH", amount: 100 }],
    };
    const v1 = canonicaliseInvoice(v1Input, { cashierId: "C", defaultClientRef: "R" }).items[0]!.name;
    expect(v2).toBe("Caf\u00e9");
    expect(v2).toBe(v1);
  });

  it("refuses control characters and ill-formed UTF-16 in text", () => {
    expect(codesOf(() => canon(oneLine({ name: "a\u0007b", unit_price: 100, tax_group: "A" }, 100)))).toEqual(
      [{ code: C("FIELD_TYPE"), path: "/items/0/name" }],
    );
    try {
      canon(oneLine({ name: "a\ud800b", unit_price: 100, tax_group: "A" }, 100));
      expect.unreachable();
    } catch (err) {
      expect((err as { details: { issues: unknown[] } }).details.issues).toEqual([
        { path: "/items/0/name", code: C("FIELD_TYPE"), message: ILL_FORMED_TEXT_MESSAGE },
      ]);
    }
  });

  it("reports schema issues alone, before any business rule", () => {
    expect(codesOf(() => canon(sale({ colour: "red", payments: [{ method: "CASH", amount: 1 }] })))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: "/colour" },
    ]);
  });

  it("collects every business issue of one invoice", () => {
    const input = sale({
      comments: { A: "x" },
      payments: [{ method: "CASH", amount: 1 }],
      client: { type: "PM" },
    });
    expect(codesOf(() => canon(input))).toEqual([
      { code: C("CLIENT_FIELDS_MISSING"), path: "/client/name" },
      { code: C("CLIENT_FIELDS_MISSING"), path: "/client/nif" },
      { code: C("FIELD_UNKNOWN"), path: "/comments/A" },
    ]);
  });

  it(`refuses a canonical invoice above ${MAX_INVOICE_BYTES} bytes, and accepts a large one below`, () => {
    const item = (n: number) => ({
      name: `${"x".repeat(120)}${n}`,
      kind: "BIE",
      quantity: 1,
      unit_price: 1,
      tax_group: "A",
    });
    // 200 names of ≥ 121 bytes alone are ≥ 24 200 bytes, plus the other fields: over 24 576.
    const big = {
      type: "SALE",
      items: Array.from({ length: 200 }, (_, n) => item(n)),
      payments: [{ method: "CASH", amount: 200 }],
    };
    expect(codesOf(() => canon(big))).toEqual([{ code: C("INVOICE_TOO_LARGE"), path: "" }]);
    const small = { ...big, items: big.items.slice(0, 100), payments: [{ method: "CASH", amount: 100 }] };
    expect(encodeInvoice(canon(small)).length).toBeLessThan(MAX_INVOICE_BYTES);
  });
});

describe("the device's check (validateCanonicalInvoiceV2)", () => {
  it("accepts what the daemon built, with the same bytes and hash", () => {
    const inv = canon(
      sale({
        client: { type: "AO", name: "Ambassade", exemption_ref: "EXO-1" },
        operator: { name: "Marie" },
      }),
    );
    const again = validateCanonicalInvoiceV2(structuredClone(inv));
    expect(toHex(invoiceHash(again))).toBe(toHex(invoiceHash(inv)));
  });

  it("refuses another tax table version", () => {
    const inv = { ...canon(sale()), tax_table: "RDC-2026.1" };
    expect(codesOf(() => validateCanonicalInvoiceV2(inv))).toEqual([
      { code: C("TOTALS_MISMATCH"), path: "/tax_table" },
    ]);
  });

  it("refuses a tampered line amount or total", () => {
    const inv = canon(sale());
    const line = structuredClone(inv);
    line.items[0]!.amount += 1;
    expect(codesOf(() => validateCanonicalInvoiceV2(line))).toEqual([
      { code: C("TOTALS_MISMATCH"), path: "/totals" },
    ]);
    const tax = structuredClone(inv);
    tax.totals.groups[1]!.tax -= 1;
    expect(codesOf(() => validateCanonicalInvoiceV2(tax))).toEqual([
      { code: C("TOTALS_MISMATCH"), path: "/totals" },
    ]);
  });

  it("refuses text that is not normalised", () => {
    const inv = structuredClone(canon(sale()));
    inv.items[1]!.name = "Pain ";
    expect(codesOf(() => validateCanonicalInvoiceV2(inv))).toEqual([{ code: C("FIELD_TYPE"), path: "/" }]);
  });

  it("refuses a line A the daemon would not have written", () => {
    const inv = { ...canon(sale()), comments: { A: "EXO-FAKE" } };
    expect(codesOf(() => validateCanonicalInvoiceV2(inv))).toEqual([
      { code: C("FIELD_UNKNOWN"), path: "/comments/A" },
    ]);
  });
});
