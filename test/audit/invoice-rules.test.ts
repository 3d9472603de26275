/**
 * What the invoice bytes of an export /2 entry make checkable: the payload hash, the invoice's own
 * validity (every amount and rule), the record's agreement with it, and a credit note's lines against
 * its original's (SFE EG1.26). Records are signed with the device key; invoices are built with the
 * shared canonicaliser under the test fixtures' context, then tampered where a case says so.
 */
import { describe, expect, it } from "vitest";
import {
  type CanonicalInvoice,
  type CanonicalInvoiceV2,
  canonicaliseInvoice,
  type ExportVerification,
  encodeInvoice,
  verifyExport,
} from "../../protocol/index.js";
import { build, credit, RICE, sale } from "../emulator/fixtures.js";
import {
  type SyntheticJournal,
  type SyntheticV2,
  syntheticJournalV1WithInvoices,
  syntheticJournalV2,
} from "./synthetic.js";

function failuresOf(report: ExportVerification): [number | null, string][] {
  return report.failures.map((f) => [f.fiscal_number, f.reason]);
}
function verify(journal: SyntheticJournal): ExportVerification {
  return verifyExport(journal.doc, { publicKey: journal.publicKey });
}
/** A sale, then `spec`. */
function afterSale(spec: SyntheticV2): ExportVerification {
  return verify(syntheticJournalV2([{ invoice: sale("S-1") }, spec]));
}

/** A sale of one RICE at 116.00 and three bottles of oil at 50.00: 266.00 TTC in group B. */
function riceAndOil(clientRef: string): CanonicalInvoiceV2 {
  return build({
    type: "SALE",
    client_ref: clientRef,
    items: [
      { ...RICE, quantity: 1, unit_price: 11_600 },
      { code: "HUILE-1L", name: "Huile 1 l", kind: "BIE", quantity: 3, unit_price: 5_000, tax_group: "B" },
    ],
    payments: [{ method: "CASH", amount: 26_600 }],
  });
}

describe("the invoice bytes of an export /2 entry", () => {
  it("a record whose payload_hash is not SHA-256 of the invoice bytes is payload_hash", () => {
    const report = afterSale({ invoice: sale("S-2"), record: { payload_hash: new Uint8Array(32).fill(9) } });
    expect(failuresOf(report)).toEqual([[2, "payload_hash"]]);
  });

  it("an invoice whose totals do not follow from its lines is invoice_invalid, with the code", () => {
    const good = sale("S-2");
    // One centime more on the line and in every total: consistent sums, wrong arithmetic.
    const bad: CanonicalInvoiceV2 = {
      ...good,
      items: [{ ...good.items[0]!, amount: 11_601 }],
      totals: {
        ...good.totals,
        total: 11_601,
        tax_total: 1_601,
        groups: [{ group: "B", rate_bp: 1_600, base: 10_000, tax: 1_601, total: 11_601 }],
      },
    };
    const report = afterSale({ invoice: bad });
    expect(failuresOf(report)).toContainEqual([2, "invoice_invalid"]);
    expect(report.failures.find((f) => f.reason === "invoice_invalid")!.message).toMatch(
      /^E307 TOTALS_MISMATCH/,
    );
  });

  it("bytes that are not canonical CBOR are invoice_invalid (and their hash is not the payload's)", () => {
    const bytes = encodeInvoice(sale("S-2"));
    const longForm = new Uint8Array([0xb8, bytes[0]! & 0x1f, ...bytes.subarray(1)]);
    const report = afterSale({ invoice: sale("S-2"), invoiceBytes: longForm });
    expect(failuresOf(report)).toEqual([
      [2, "invoice_invalid"],
      [2, "payload_hash"],
    ]);
  });

  it("a record that says another client_ref, cashier or type than its invoice is invoice_mismatch", () => {
    const report = afterSale({
      invoice: sale("S-2"),
      record: { client_ref: "S-9", cashier_id: "CASHIER-9" },
    });
    expect(failuresOf(report)).toEqual([
      [2, "invoice_mismatch"],
      [2, "invoice_mismatch"],
    ]);
    expect(report.failures.map((f) => f.message.split(" ")[1])).toEqual(["client_ref", "cashier_id"]);
    const type = afterSale({
      invoice: sale("A-2", 11_600, "ADVANCE"),
      record: { invoice_type: "SALE", dgi_type: "FV" },
    });
    expect(type.failures.map((f) => [f.reason, f.message.split(" ")[1]])).toEqual([
      ["invoice_mismatch", "type"],
      ["invoice_mismatch", "dgi_type"],
    ]);
  });

  it("a version-2 record without its invoice is invoice_missing", () => {
    expect(failuresOf(afterSale({ invoice: sale("S-2"), omitInvoice: true }))).toEqual([
      [2, "invoice_missing"],
    ]);
  });
});

describe("a v1 record with its v1 invoice (a device that kept them)", () => {
  const v1Sale = (ref: string): CanonicalInvoice =>
    canonicaliseInvoice(
      {
        type: "SALE",
        client_ref: ref,
        currency: "CDF",
        items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: 11_600, tax_group: "B" }],
        payments: [{ method: "CASH", amount: 11_600 }],
      },
      { cashierId: "CASHIER-1" },
    );

  it("verifies, and a record that names another cashier than its invoice is invoice_mismatch", () => {
    expect(verify(syntheticJournalV1WithInvoices([v1Sale("S-1"), v1Sale("S-2")])).failures).toEqual([]);
    const other = verify(syntheticJournalV1WithInvoices([v1Sale("S-1")], { cashier_id: "CASHIER-2" }));
    expect(failuresOf(other)).toEqual([[1, "invoice_mismatch"]]);
    expect(other.failures[0]!.message).toContain("cashier_id");
  });
});

describe("credit note lines against the original (EG1.26)", () => {
  it("accepts credits that return what was sold, at its price, cumulated", () => {
    const report = verify(
      syntheticJournalV2([
        { invoice: riceAndOil("S-1") },
        {
          invoice: credit("C-1", 1, 0, {
            items: [{ code: "HUILE-1L", name: "Huile 1 l", quantity: 2, unit_price: 5_000 }],
          }),
        },
        {
          invoice: credit("C-2", 1, 0, {
            items: [{ code: "HUILE-1L", name: "Huile 1 l", quantity: 1, unit_price: 5_000 }],
          }),
        },
        { invoice: credit("C-3", 1, 11_600, { nature: "RAN" }) },
      ]),
    );
    expect(report.failures).toEqual([]);
  });

  it("an item not on the original, a changed price, a quantity above what was sold: credit_lines", () => {
    const notSold = credit("C-1", 1, 0, { items: [{ code: "SUCRE", name: "Sucre", unit_price: 1_000 }] });
    const cheaper = credit("C-1", 1, 11_000);
    // 2 × RICE = 232.00 ≤ 266.00: the amount fits, the quantity (1 sold) does not.
    const twoRice = credit("C-1", 1, 11_600, { items: [{ quantity: 2, unit_price: 11_600 }] });
    const codes: string[] = [];
    for (const invoice of [notSold, cheaper, twoRice]) {
      const report = verify(syntheticJournalV2([{ invoice: riceAndOil("S-1") }, { invoice }]));
      expect(failuresOf(report)).toEqual([[2, "credit_lines"]]);
      codes.push(report.failures[0]!.message.slice(0, 4));
    }
    expect(codes).toEqual(["E330", "E332", "E331"]);
  });

  it("quantities add up over the credit notes: the one that goes over is credit_lines", () => {
    const oil = (ref: string, quantity: number) =>
      credit(ref, 1, 0, { items: [{ code: "HUILE-1L", name: "Huile 1 l", quantity, unit_price: 5_000 }] });
    const report = verify(
      syntheticJournalV2([
        { invoice: riceAndOil("S-1") },
        { invoice: oil("C-1", 2) },
        { invoice: oil("C-2", 2) },
      ]),
    );
    expect(failuresOf(report)).toEqual([[3, "credit_lines"]]);
  });

  it("an annulation of the whole amount made of the wrong lines is credit_lines", () => {
    // RAN for 266.00, the whole remainder, as 2 × 133.00 of a line sold once: lines, not amounts, are off.
    const twoLines = build({
      type: "SALE",
      client_ref: "S-1",
      items: [
        { ...RICE, quantity: 1, unit_price: 13_300 },
        {
          code: "RIZ-5",
          name: "Sac de riz 5 kg",
          kind: "BIE",
          quantity: 1,
          unit_price: 13_300,
          tax_group: "B",
        },
      ],
      payments: [{ method: "CASH", amount: 26_600 }],
    });
    const ran = credit("C-1", 1, 13_300, { nature: "RAN", items: [{ quantity: 2, unit_price: 13_300 }] });
    const report = verify(syntheticJournalV2([{ invoice: twoLines }, { invoice: ran }]));
    expect(failuresOf(report)).toEqual([[2, "credit_lines"]]);
    // The full-quantity case of the same amount passes: the check above is about lines.
    const full = credit("C-1", 1, 13_300, {
      nature: "RAN",
      items: [{ unit_price: 13_300 }, { code: "RIZ-5", name: "Sac de riz 5 kg", unit_price: 13_300 }],
    });
    expect(verify(syntheticJournalV2([{ invoice: twoLines }, { invoice: full }])).failures).toEqual([]);
  });
});
