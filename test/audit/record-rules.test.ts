/**
 * The rules one signed record proves about itself (docs/EXPORT.md §3): each tamper below is signed
 * with the device key, so the signature, the chain and the counters all hold, and only the named
 * rule can catch it. Expected taxes are worked out by hand in the comments.
 */
import { describe, expect, it } from "vitest";
import { type ExportVerification, type FiscalRecordV1, verifyExport } from "../../protocol/index.js";
import { build, exportSale, sale, wideSale } from "../emulator/fixtures.js";
import { SYNTH_DEVICE_ID, type SyntheticJournal, syntheticJournal, syntheticJournalV2 } from "./synthetic.js";

function failuresOf(report: ExportVerification): [number | null, string][] {
  return report.failures.map((f) => [f.fiscal_number, f.reason]);
}
function verify(journal: SyntheticJournal): ExportVerification {
  return verifyExport(journal.doc, { publicKey: journal.publicKey });
}
/** Record 2 of a v1 journal of two SALEs of 11.60, signed with `override`. */
function second(override: Partial<FiscalRecordV1> | Record<string, unknown>): ExportVerification {
  return verify(syntheticJournal([{}, override as Partial<FiscalRecordV1>]));
}

describe("record v1 on its own", () => {
  it("an unknown tax table, and the v2 table on a v1 record, are tax_table_unknown", () => {
    expect(failuresOf(second({ tax_table: "RDC-2025.9" }))).toEqual([[2, "tax_table_unknown"]]);
    const report = second({ tax_table: "RDC-2026.2" });
    expect(failuresOf(report)).toEqual([[2, "tax_table_unknown"]]);
    expect(report.failures[0]!.message).toContain("RDC-2026.1");
  });

  it("a tax that the rounding rule does not give, and a wrong rate, are tax_arithmetic", () => {
    // Gross 11.60 at 16 %: tax = round_half_up(1160 × 1600 / 11600) = 160, not 159.
    const rounded = second({
      totals: {
        total: 1_160,
        tax_total: 159,
        groups: [{ group: "B", rate_bp: 1_600, base: 1_001, tax: 159 }],
      },
    });
    expect(failuresOf(rounded)).toEqual([[2, "tax_arithmetic"]]);
    expect(rounded.failures[0]!.message).toContain("gives 160");
    // Group B is 16 % in RDC-2026.1; 8 % is group C's rate.
    const rate = second({
      totals: { total: 1_160, tax_total: 160, groups: [{ group: "B", rate_bp: 800, base: 1_000, tax: 160 }] },
    });
    expect(failuresOf(rate)).toEqual([[2, "tax_arithmetic"]]);
    expect(rate.failures[0]!.message).toContain("1600 bp");
  });

  it("totals that are not the sums of the groups, or groups out of letter order, are totals_sum", () => {
    const total = second({
      totals: {
        total: 1_161,
        tax_total: 160,
        groups: [{ group: "B", rate_bp: 1_600, base: 1_000, tax: 160 }],
      },
    });
    expect(failuresOf(total)).toEqual([[2, "totals_sum"]]);
    const tax = second({
      totals: {
        total: 1_160,
        tax_total: 161,
        groups: [{ group: "B", rate_bp: 1_600, base: 1_000, tax: 160 }],
      },
    });
    expect(failuresOf(tax)).toEqual([[2, "totals_sum"]]);
    // C: gross 10.80 at 8 %, tax round_half_up(1080 × 800 / 10800) = 80; B as above. Sums are right.
    const order = second({
      totals: {
        total: 2_240,
        tax_total: 240,
        groups: [
          { group: "C", rate_bp: 800, base: 1_000, tax: 80 },
          { group: "B", rate_bp: 1_600, base: 1_000, tax: 160 },
        ],
      },
    });
    expect(failuresOf(order)).toEqual([[2, "totals_sum"]]);
  });

  it("an EXPORT taxed in group B, and a SALE in group E, are export_group", () => {
    expect(failuresOf(second({ invoice_type: "EXPORT" }))).toEqual([[2, "export_group"]]);
    const saleInE = second({
      totals: { total: 1_000, tax_total: 0, groups: [{ group: "E", rate_bp: 0, base: 1_000, tax: 0 }] },
    });
    expect(failuresOf(saleInE)).toEqual([[2, "export_group"]]);
  });

  it("a CREDIT without a reference, and a SALE with one, are reference_rule", () => {
    expect(failuresOf(second({ invoice_type: "CREDIT" }))).toEqual([[2, "reference_rule"]]);
    const saleWithRef = second({
      reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1, kind: "REFUND" },
    });
    expect(failuresOf(saleWithRef)).toEqual([[2, "reference_rule"]]);
  });

  it("a record that breaks another schema rule is still not_a_record", () => {
    expect(failuresOf(second({ currency: "XXX" }))).toEqual([[2, "not_a_record"]]);
  });
});

describe("record v2 on its own", () => {
  /** A v2 journal: a sale, then `invoice` signed with `record` overrides and without its invoice bytes' help. */
  function v2(record: Record<string, unknown>, invoice = sale("S-2")): ExportVerification {
    return verify(syntheticJournalV2([{ invoice: sale("S-1") }, { invoice, record }]));
  }
  const reasons = (r: ExportVerification) => [...new Set(r.failures.map((f) => f.reason))].sort();

  it("a genuine v2 journal with its invoices verifies: TTC, HT, specific taxes, every slot kind, exports", () => {
    const withSpecificTax = (mode: "TTC" | "HT", ref: string) =>
      build({
        type: "SALE",
        client_ref: ref,
        price_mode: mode,
        items: [
          {
            name: "Bière 65 cl",
            kind: "BIE",
            quantity: 3,
            unit_price: 2_333,
            tax_group: "B",
            specific_tax: { rate_bp: 1_000 },
          },
          {
            name: "Ciment",
            kind: "BIE",
            quantity: "2.5",
            unit_price: 1_999,
            tax_group: "C",
            specific_tax: { per_unit: 101 },
          },
          {
            name: "Sucre",
            kind: "BIE",
            quantity: 1,
            unit_price: 777,
            tax_group: "B",
            specific_tax: { amount: 33 },
          },
        ],
        // TTC: 6999 + 4998 + 777. HT: B base 6999 + 700 + 777 + 33 = 8509, tax 1361; C base 4998 + 253
        // = 5251, tax 420: 8509 + 1361 + 5251 + 420.
        payments: [{ method: "CASH", amount: mode === "TTC" ? 12_774 : 15_541 }],
      });
    const invoices = [
      sale("S-1"),
      sale("S-2", 1_159, "SALE", "0.333"),
      withSpecificTax("TTC", "T-1"),
      withSpecificTax("HT", "H-1"),
      wideSale("W-1"),
      exportSale("E-1", 12_345, "EXPORT_ADVANCE"),
    ];
    const report = verify(syntheticJournalV2(invoices.map((invoice) => ({ invoice }))));
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("TTC: a base that is not round_half_down(total × 10000 / (10000 + r)) is tax_arithmetic", () => {
    // 116.00 TTC at 16 %: base = 11600 × 10000 / 11600 = 10000 exactly, tax 1600.
    const report = v2({
      totals: {
        total: 11_600,
        tax_total: 1_599,
        specific_tax_total: 0,
        groups: [{ group: "B", rate_bp: 1_600, base: 10_001, tax: 1_599, total: 11_600 }],
      },
    });
    // The record no longer says what its invoice says, either.
    expect(reasons(report)).toEqual(["invoice_mismatch", "tax_arithmetic"]);
    expect(report.failures.find((f) => f.reason === "tax_arithmetic")!.message).toContain("gives 10000");
  });

  it("HT: a tax that is not round_half_up(base × r / 10000) is tax_arithmetic", () => {
    // 10.00 HT at 16 %: tax = 160, total 11.60.
    const ht = build({
      type: "SALE",
      client_ref: "H-1",
      price_mode: "HT",
      items: [{ name: "Savon", kind: "BIE", quantity: 1, unit_price: 1_000, tax_group: "B" }],
      payments: [{ method: "CASH", amount: 1_160 }],
    });
    expect(ht.totals.groups).toEqual([{ group: "B", rate_bp: 1_600, base: 1_000, tax: 160, total: 1_160 }]);
    expect(reasons(v2({}, ht))).toEqual([]);
    const report = v2(
      {
        totals: {
          ...ht.totals,
          tax_total: 161,
          total: 1_161,
          groups: [{ group: "B", rate_bp: 1_600, base: 1_000, tax: 161, total: 1_161 }],
        },
      },
      ht,
    );
    expect(reasons(report)).toEqual(["invoice_mismatch", "tax_arithmetic"]);
  });

  it("tax in an outside-VAT slot, a base in the line-VAT slot, a reserved slot, a wrong rate: tax_arithmetic", () => {
    const group = (g: Record<string, unknown>) => ({
      totals: { total: 1_000, tax_total: Number(g.tax), specific_tax_total: 0, groups: [g] },
    });
    for (const g of [
      { group: "H", rate_bp: 0, base: 900, tax: 100, total: 1_000 }, // H is outside VAT: no tax
      { group: "N", rate_bp: 0, base: 100, tax: 900, total: 1_000 }, // N is wholly VAT: base 0
      { group: "O", rate_bp: 0, base: 1_000, tax: 0, total: 1_000 }, // O is reserved
      { group: "C", rate_bp: 1_600, base: 862, tax: 138, total: 1_000 }, // C is 8 %, not 16 %
      { group: "B", rate_bp: 1_600, base: 900, tax: 100, total: 900 }, // base + tax is not the total
    ]) {
      const report = v2(group(g));
      expect(
        report.failures.filter((f) => f.reason === "tax_arithmetic"),
        JSON.stringify(g),
      ).toHaveLength(1);
    }
  });

  it("totals_sum, export_group and the nature rules of v2 references", () => {
    const sum = v2({
      totals: {
        total: 11_601,
        tax_total: 1_600,
        specific_tax_total: 0,
        groups: [{ group: "B", rate_bp: 1_600, base: 10_000, tax: 1_600, total: 11_600 }],
      },
    });
    expect(reasons(sum)).toEqual(["invoice_mismatch", "totals_sum"]);
    expect(reasons(v2({ invoice_type: "EXPORT_ADVANCE", dgi_type: "ET" }))).toEqual([
      "export_group",
      "invoice_mismatch",
    ]);
    const rrrWithOriginal = v2({
      invoice_type: "CREDIT",
      dgi_type: "FA",
      reference: { nature: "RRR", device_id: SYNTH_DEVICE_ID, fiscal_number: 1 },
    });
    expect(reasons(rrrWithOriginal)).toEqual(["invoice_mismatch", "reference_rule"]);
    const corWithout = v2({ invoice_type: "CREDIT", dgi_type: "FA", reference: { nature: "COR" } });
    expect(reasons(corWithout)).toEqual(["invoice_mismatch", "reference_rule"]);
  });
});
