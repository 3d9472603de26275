import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CanonicalInvoice,
  canonicaliseInvoice,
  checkCreditAgainstOriginal,
  ERRORS,
  type ErrorName,
  encodeInvoice,
  FiscalError,
  formatQuantity,
  invoiceHash,
  parseQuantity,
  TAX_GROUP_IDS,
  TAX_TABLE,
  toHex,
  validateCanonicalInvoice,
} from "../../protocol/index.js";

const CTX = { cashierId: "CASHIER-1", defaultClientRef: "IDEM-1" };

function sale(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    items: [
      { code: "SKU-1", name: "Sucre 1 kg", kind: "GOODS", quantity: "2.5", unit_price: 3500, tax_group: "B" },
      { name: "Pain", kind: "GOODS", quantity: 1, unit_price: 1200, tax_group: "A" },
    ],
    payments: [{ method: "CASH", amount: 9950 }],
    ...overrides,
  };
}

function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

function codesOf(fn: () => unknown): { code: number; path: string }[] {
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

describe("canonical invoice", () => {
  it("gives identical bytes and hash whatever the key order and number formatting", () => {
    const a = canonicaliseInvoice(sale(), CTX);
    const shuffled = reverseKeys(sale()) as Record<string, unknown>;
    const items = shuffled.items as Record<string, unknown>[];
    items[0]!.quantity = "2.500";
    items[1]!.quantity = "1";
    const b = canonicaliseInvoice(shuffled, CTX);
    expect(toHex(encodeInvoice(b))).toBe(toHex(encodeInvoice(a)));
    expect(toHex(invoiceHash(b))).toBe(toHex(invoiceHash(a)));
  });

  it("normalises text to NFC and trims it, so the same name typed two ways hashes the same", () => {
    const nfd = sale({
      items: [{ name: "  Cafe\u0301 ", kind: "GOODS", quantity: 1, unit_price: 100, tax_group: "A" }],
    });
    const nfc = sale({
      items: [{ name: "Caf\u00e9", kind: "GOODS", quantity: 1, unit_price: 100, tax_group: "A" }],
    });
    const pay = { payments: [{ method: "CASH", amount: 100 }] };
    expect(invoiceHash(canonicaliseInvoice({ ...nfd, ...pay }, CTX))).toEqual(
      invoiceHash(canonicaliseInvoice({ ...nfc, ...pay }, CTX)),
    );
  });

  it("fills client_ref from the context and cashier_id from the caller, never from the POS body", () => {
    const inv = canonicaliseInvoice(sale(), CTX);
    expect(inv.client_ref).toBe("IDEM-1");
    expect(inv.cashier_id).toBe("CASHIER-1");
    expect(canonicaliseInvoice(sale({ client_ref: "POS-9" }), CTX).client_ref).toBe("POS-9");
    expect(codesOf(() => canonicaliseInvoice(sale({ cashier_id: "X" }), CTX))).toContainEqual({
      code: 304,
      path: "/cashier_id",
    });
  });

  it("agrees with an independent reference computation and passes the device's own check", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            milli: fc.integer({ min: 1, max: 5_000_000 }),
            price: fc.integer({ min: 0, max: 10_000_000 }),
            group: fc.constantFrom(...TAX_GROUP_IDS.filter((g) => g !== "E")),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        (lines) => {
          // Reference: exact rational arithmetic, rounding half up, written apart from the code.
          const gross = new Map<string, bigint>();
          for (const l of lines) {
            const amount = (BigInt(l.milli) * BigInt(l.price) * 2n + 1000n) / 2000n;
            gross.set(l.group, (gross.get(l.group) ?? 0n) + amount);
          }
          let total = 0n;
          let taxTotal = 0n;
          for (const [g, v] of gross) {
            const r = BigInt(TAX_TABLE.groups[g as "A"].rateBp);
            total += v;
            taxTotal += (v * r * 2n + (10_000n + r)) / (2n * (10_000n + r));
          }
          fc.pre(total > 0n);
          const items = lines.map((l, i) => ({
            name: `item ${i}`,
            kind: "GOODS",
            quantity: formatQuantity(l.milli),
            unit_price: l.price,
            tax_group: l.group,
          }));
          const inv = canonicaliseInvoice(
            sale({ items, payments: [{ method: "CASH", amount: Number(total) }] }),
            CTX,
          );
          expect(inv.totals.total).toBe(Number(total));
          expect(inv.totals.tax_total).toBe(Number(taxTotal));
          for (const g of inv.totals.groups) expect(g.base + g.tax).toBe(Number(gross.get(g.group)));
          expect(validateCanonicalInvoice(structuredClone(inv))).toEqual(inv);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("rounding rules, per tax group", () => {
  it.each(TAX_GROUP_IDS.filter((g) => g !== "E"))(
    "splits a gross of 116,000 in group %s at its table rate",
    (g) => {
      const inv = canonicaliseInvoice(
        sale({
          items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 116_000, tax_group: g }],
          payments: [{ method: "CASH", amount: 116_000 }],
        }),
        CTX,
      );
      const rate = TAX_TABLE.groups[g].rateBp;
      // 116,000 is divisible by 1.16 and 1.08 exactly only at 16 %; at 8 % the tax is 8592.59… → 8593.
      const expectedTax = rate === 1600 ? 16_000 : rate === 800 ? 8593 : 0;
      expect(inv.totals.groups).toEqual([
        { group: g, rate_bp: rate, base: 116_000 - expectedTax, tax: expectedTax },
      ]);
    },
  );

  it("rounds line amounts half up: 0.5 × 3 = 1.5 → 2, 1.005 × 1 → 1, 0.001 × 499 → 0", () => {
    const amounts = (quantity: string, unit_price: number): number =>
      canonicaliseInvoice(
        sale({
          items: [
            { name: "x", kind: "GOODS", quantity, unit_price, tax_group: "A" },
            { name: "y", kind: "GOODS", quantity: 1, unit_price: 10, tax_group: "A" },
          ],
          expected_total: undefined,
          payments: [
            { method: "CASH", amount: 10 + Math.floor((Number(quantity) * unit_price * 1000 + 500) / 1000) },
          ],
        }),
        CTX,
      ).items[0]!.amount;
    expect(amounts("0.5", 3)).toBe(2);
    expect(amounts("1.005", 1)).toBe(1);
    expect(amounts("0.001", 499)).toBe(0);
  });

  it("rounds tax per group, not per line", () => {
    const items = [1, 2, 3].map((i) => ({
      name: `x${i}`,
      kind: "GOODS",
      quantity: 1,
      unit_price: 1,
      tax_group: "B",
    }));
    const inv = canonicaliseInvoice(sale({ items, payments: [{ method: "CASH", amount: 3 }] }), CTX);
    // per line: 3 × round(0.138) = 0; per group: round(3 × 0.138) = round(0.41) = 0; with 4 lines of 2: round(1.10) = 1
    expect(inv.totals.tax_total).toBe(0);
    const four = [1, 2, 3, 4].map((i) => ({
      name: `x${i}`,
      kind: "GOODS",
      quantity: 1,
      unit_price: 2,
      tax_group: "B",
    }));
    const inv4 = canonicaliseInvoice(sale({ items: four, payments: [{ method: "CASH", amount: 8 }] }), CTX);
    expect(inv4.totals.groups[0]).toEqual({ group: "B", rate_bp: 1600, base: 7, tax: 1 });
  });

  it("parses and formats quantities as fixed-point thousandths", () => {
    expect(parseQuantity("2.5")).toBe(2500);
    expect(parseQuantity(0.125)).toBe(125);
    expect(parseQuantity("3.1400")).toBe(3140);
    expect(parseQuantity("1.0005")).toBe("QUANTITY_PRECISION");
    expect(parseQuantity("0.0001")).toBe("QUANTITY_PRECISION");
    expect(parseQuantity("0")).toBe("FIELD_RANGE");
    expect(parseQuantity(1e-7)).toBe("FIELD_TYPE");
    expect(formatQuantity(2500)).toBe("2.5");
    expect(formatQuantity(1000)).toBe("1");
    expect(formatQuantity(1)).toBe("0.001");
  });
});

const credit = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
  sale({
    type: "CREDIT",
    reference: { fiscal_number: 12, kind: "REFUND", reason: "returned goods" },
    ...overrides,
  });

describe("validation: every rule has a refusing case", () => {
  const cases: [string, Record<string, unknown>, ErrorName, string][] = [
    ["missing type", { type: undefined }, "FIELD_REQUIRED", "/type"],
    ["unknown invoice type", { type: "GIFT" }, "FIELD_TYPE", "/type"],
    ["unknown field", { colour: "red" }, "FIELD_UNKNOWN", "/colour"],
    ["unsupported currency", { currency: "XYZ" }, "CURRENCY_UNSUPPORTED", "/currency"],
    ["no items", { items: [] }, "FIELD_RANGE", "/items"],
    ["no payments", { payments: [] }, "FIELD_RANGE", "/payments"],
    [
      "float price",
      { items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 1.5, tax_group: "A" }] },
      "FIELD_TYPE",
      "/items/0/unit_price",
    ],
    [
      "negative price",
      { items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: -1, tax_group: "A" }] },
      "FIELD_RANGE",
      "/items/0/unit_price",
    ],
    [
      "unknown tax group",
      { items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 1, tax_group: "Q" }] },
      "TAX_GROUP_UNKNOWN",
      "/items/0/tax_group",
    ],
    [
      "export group on a sale",
      {
        items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 100, tax_group: "E" }],
        payments: [{ method: "CASH", amount: 100 }],
      },
      "TAX_GROUP_NOT_ALLOWED",
      "/items/0/tax_group",
    ],
    [
      "4-decimal quantity",
      { items: [{ name: "x", kind: "GOODS", quantity: "1.0001", unit_price: 1, tax_group: "A" }] },
      "QUANTITY_PRECISION",
      "/items/0/quantity",
    ],
    [
      "quantity as words",
      { items: [{ name: "x", kind: "GOODS", quantity: "two", unit_price: 1, tax_group: "A" }] },
      "FIELD_TYPE",
      "/items/0/quantity",
    ],
    [
      "blank name",
      {
        items: [{ name: "   ", kind: "GOODS", quantity: 1, unit_price: 1, tax_group: "A" }],
        payments: [{ method: "CASH", amount: 1 }],
      },
      "FIELD_REQUIRED",
      "/items/0/name",
    ],
    [
      "control character in a name",
      {
        items: [{ name: "ab", kind: "GOODS", quantity: 1, unit_price: 1, tax_group: "A" }],
        payments: [{ method: "CASH", amount: 1 }],
      },
      "FIELD_TYPE",
      "/items/0/name",
    ],
    [
      "discount above the line",
      { items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 10, discount: 11, tax_group: "A" }] },
      "FIELD_RANGE",
      "/items/0/discount",
    ],
    [
      "payments that do not add up",
      { payments: [{ method: "CASH", amount: 9949 }] },
      "PAYMENTS_MISMATCH",
      "/payments",
    ],
    ["a POS total that does not add up", { expected_total: 1 }, "TOTALS_MISMATCH", "/expected_total"],
    [
      "a reference on a sale",
      { reference: { fiscal_number: 1, kind: "VOID", reason: "x" } },
      "REFERENCE_FORBIDDEN",
      "/reference",
    ],
    [
      "a company client without NIF",
      { client: { type: "COMPANY", name: "ACME" } },
      "FIELD_REQUIRED",
      "/client/nif",
    ],
    ["export details on a sale", { export: { destination_country: "ZM" } }, "FIELD_UNKNOWN", "/export"],
    ["a bad client_ref", { client_ref: "has space" }, "FIELD_TYPE", "/client_ref"],
  ];
  it.each(cases)("refuses %s", (_what, overrides, name, path) => {
    const body = { ...sale(), ...overrides };
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    expect(codesOf(() => canonicaliseInvoice(body, CTX))).toContainEqual({ code: ERRORS[name].code, path });
  });

  it("refuses an invoice with many unknown fields, never sealing it without them", () => {
    const extra = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`extra_${i}`, i]));
    const codes = codesOf(() => canonicaliseInvoice({ ...sale(), ...extra }, CTX));
    expect(codes.length).toBeGreaterThan(0);
    expect(
      codes.every((c) => c.code === ERRORS.FIELD_UNKNOWN.code || c.code === ERRORS.FIELD_TYPE.code),
    ).toBe(true);
  });

  it("escapes / and ~ in the pointer of an unknown field (RFC 6901)", () => {
    expect(codesOf(() => canonicaliseInvoice({ ...sale(), "a/b~c": 1 }, CTX))).toContainEqual({
      code: ERRORS.FIELD_UNKNOWN.code,
      path: "/a~1b~0c",
    });
  });

  it("refuses a credit note without a reference", () => {
    expect(codesOf(() => canonicaliseInvoice(sale({ type: "CREDIT" }), CTX))).toContainEqual({
      code: 309,
      path: "/reference",
    });
  });

  it("refuses an export invoice with a non-export group or without its destination", () => {
    const exp = sale({ type: "EXPORT", export: { destination_country: "ZM" } });
    expect(codesOf(() => canonicaliseInvoice(exp, CTX))).toContainEqual({
      code: 306,
      path: "/items/0/tax_group",
    });
    const noDest = sale({
      type: "EXPORT",
      items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 9950, tax_group: "E" }],
    });
    expect(codesOf(() => canonicaliseInvoice(noDest, CTX))).toContainEqual({ code: 301, path: "/export" });
  });

  it("refuses an invoice without any client_ref", () => {
    expect(codesOf(() => canonicaliseInvoice(sale(), { cashierId: "C-1" }))).toContainEqual({
      code: 301,
      path: "/client_ref",
    });
  });

  it("refuses an invoice too large for one frame with INVOICE_TOO_LARGE", () => {
    const items = Array.from({ length: 200 }, () => ({
      name: "水".repeat(128),
      kind: "GOODS",
      quantity: 1,
      unit_price: 1,
      tax_group: "A",
    }));
    expect(() =>
      canonicaliseInvoice(sale({ items, payments: [{ method: "CASH", amount: 200 }] }), CTX),
    ).toThrow(/E316/);
  });

  it("reports every issue at once, not only the first", () => {
    const issues = codesOf(() =>
      canonicaliseInvoice({ type: "SALE", currency: "XYZ", items: [], payments: [], x: 1 }, CTX),
    );
    expect(issues.length).toBeGreaterThanOrEqual(4);
  });

  it("refuses non-objects with a clear issue", () => {
    expect(codesOf(() => canonicaliseInvoice(null, CTX))).toEqual([{ code: 302, path: "/" }]);
    expect(codesOf(() => canonicaliseInvoice([1, 2], CTX))).toEqual([{ code: 302, path: "/" }]);
  });
});

describe("device-side check of a canonical invoice", () => {
  const good = (): CanonicalInvoice => structuredClone(canonicaliseInvoice(sale(), CTX));

  it("refuses tampered totals, a tampered line amount, and another tax table", () => {
    const t = good();
    (t.totals as { total: number }).total += 1;
    expect(codesOf(() => validateCanonicalInvoice(t))).toContainEqual({ code: 307, path: "/totals" });
    const a = good();
    a.items[0]!.amount += 1;
    expect(codesOf(() => validateCanonicalInvoice(a))[0]!.code).toBe(307);
    const v = good();
    v.tax_table = "RDC-1999.1";
    expect(codesOf(() => validateCanonicalInvoice(v))).toContainEqual({ code: 307, path: "/tax_table" });
  });

  it("refuses text that is not normalised", () => {
    const n = good();
    n.items[0]!.name = " Sucre 1 kg";
    expect(codesOf(() => validateCanonicalInvoice(n))).toContainEqual({ code: 302, path: "/" });
  });

  it("refuses a POS-shaped body and unknown fields", () => {
    expect(codesOf(() => validateCanonicalInvoice(sale()))[0]!.code).toBe(301);
  });
});

describe("credit notes against their original", () => {
  const inv = canonicaliseInvoice(credit(), CTX);
  const original = { invoiceType: "SALE" as const, total: 20_000, currency: "CDF", credited: 0 };
  const code = (fn: () => void): number => codesOf(fn)[0]!.code;

  it("accepts a refund within the original and a void of exactly what remains", () => {
    expect(() => checkCreditAgainstOriginal(inv, original)).not.toThrow();
    const voidInv = canonicaliseInvoice(
      credit({ reference: { fiscal_number: 12, kind: "VOID", reason: "error" } }),
      CTX,
    );
    expect(() => checkCreditAgainstOriginal(voidInv, { ...original, total: 9950 })).not.toThrow();
    expect(() => checkCreditAgainstOriginal(voidInv, { ...original, credited: 20_000 - 9950 })).not.toThrow();
  });

  it("refuses an unknown original, the wrong type, another currency, an excess and a partial void", () => {
    expect(code(() => checkCreditAgainstOriginal(inv, undefined))).toBe(312);
    expect(code(() => checkCreditAgainstOriginal(inv, { ...original, invoiceType: "EXPORT" }))).toBe(311);
    expect(code(() => checkCreditAgainstOriginal(inv, { ...original, currency: "USD" }))).toBe(318);
    expect(code(() => checkCreditAgainstOriginal(inv, { ...original, credited: 15_000 }))).toBe(313);
    const voidInv = canonicaliseInvoice(
      credit({ reference: { fiscal_number: 12, kind: "VOID", reason: "error" } }),
      CTX,
    );
    expect(code(() => checkCreditAgainstOriginal(voidInv, original))).toBe(317);
  });

  it("requires an export credit to reference an export", () => {
    const expCredit = canonicaliseInvoice(
      credit({
        type: "EXPORT_CREDIT",
        export: { destination_country: "ZM" },
        items: [{ name: "x", kind: "GOODS", quantity: 1, unit_price: 9950, tax_group: "E" }],
      }),
      CTX,
    );
    expect(code(() => checkCreditAgainstOriginal(expCredit, original))).toBe(311);
    expect(() => checkCreditAgainstOriginal(expCredit, { ...original, invoiceType: "EXPORT" })).not.toThrow();
  });
});
