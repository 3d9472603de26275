/**
 * The checks across records (docs/EXPORT.md §3): credit notes against their originals, and client
 * references, on journals whose every record is signed by the device key. A device refuses each of
 * these at PREPARE; a validly signed one is a faulty or forged device.
 */
import { describe, expect, it } from "vitest";
import {
  type ExportVerification,
  type FiscalRecordV1,
  type JournalExport,
  verifyExport,
} from "../../protocol/index.js";
import { SYNTH_DEVICE_ID, type SyntheticJournal, syntheticJournal } from "./synthetic.js";

function failuresOf(report: ExportVerification): [number | null, string][] {
  return report.failures.map((f) => [f.fiscal_number, f.reason]);
}
function verify(journal: SyntheticJournal): ExportVerification {
  return verifyExport(journal.doc, { publicKey: journal.publicKey });
}

/**
 * Totals of `gross` minor units in group B at 16 %, tax-inclusive (v1): tax = round_half_up(gross ×
 * 1600 / 11600), computed here with plain integer arithmetic, independently of the protocol code.
 */
function groupB(gross: number): FiscalRecordV1["totals"] {
  const tax = Math.floor((2 * gross * 1600 + 11_600) / (2 * 11_600));
  return { total: gross, tax_total: tax, groups: [{ group: "B", rate_bp: 1_600, base: gross - tax, tax }] };
}
/** A v1 credit note of `gross` against `fiscalNumber`. */
function creditOf(
  fiscalNumber: number,
  gross: number,
  kind: "VOID" | "REFUND" = "REFUND",
): Partial<FiscalRecordV1> {
  return {
    invoice_type: "CREDIT",
    totals: groupB(gross),
    reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: fiscalNumber, kind },
  };
}
const EXPORT_SALE: Partial<FiscalRecordV1> = {
  invoice_type: "EXPORT",
  totals: { total: 5_000, tax_total: 0, groups: [{ group: "E", rate_bp: 0, base: 5_000, tax: 0 }] },
};

describe("credit notes against their originals", () => {
  it("accepts refunds and a void that together reverse exactly the original", () => {
    // 11.60 = 1.60 + 2.00 + 8.00 (the void takes the 8.00 that remain).
    const report = verify(
      syntheticJournal([{}, creditOf(1, 160), creditOf(1, 200), creditOf(1, 800, "VOID")]),
    );
    expect(report.failures).toEqual([]);
    expect(report.unchecked_credits).toEqual([]);
  });

  it("credits that add up to more than the original are credit_exceeds, on the one that goes over", () => {
    // 10.00 then 2.00 against 11.60: the second leaves −0.40.
    const report = verify(syntheticJournal([{}, creditOf(1, 1_000), creditOf(1, 200)]));
    expect(failuresOf(report)).toEqual([[3, "credit_exceeds"]]);
    expect(report.failures[0]!.message).toContain("only 160 of 1's 1160 remained");
  });

  it("a void that is not the whole remainder is void_not_full", () => {
    const report = verify(syntheticJournal([{}, creditOf(1, 160), creditOf(1, 900, "VOID")]));
    expect(failuresOf(report)).toEqual([[3, "void_not_full"]]);
    expect(report.failures[0]!.message).toContain("1000");
  });

  it("a CREDIT of an EXPORT, an EXPORT_CREDIT of a SALE, of a later record, of a credit: credit_reference", () => {
    const ofExport = verify(syntheticJournal([EXPORT_SALE, creditOf(1, 1_160)]));
    expect(failuresOf(ofExport)).toEqual([[2, "credit_reference"]]);
    const exportCredit = {
      invoice_type: "EXPORT_CREDIT",
      totals: { total: 1_000, tax_total: 0, groups: [{ group: "E", rate_bp: 0, base: 1_000, tax: 0 }] },
      reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1, kind: "REFUND" },
    } satisfies Partial<FiscalRecordV1>;
    expect(failuresOf(verify(syntheticJournal([{}, exportCredit])))).toEqual([[2, "credit_reference"]]);
    const later = verify(syntheticJournal([{}, creditOf(3, 160), {}]));
    expect(failuresOf(later)).toEqual([[2, "credit_reference"]]);
    expect(later.failures[0]!.message).toContain("not earlier than itself");
    const ofItself = verify(syntheticJournal([{}, creditOf(2, 160)]));
    expect(failuresOf(ofItself)).toEqual([[2, "credit_reference"]]);
    const ofCredit = verify(syntheticJournal([{}, creditOf(1, 160), creditOf(2, 160)]));
    expect(failuresOf(ofCredit)).toEqual([[3, "credit_reference"]]);
    expect(ofCredit.failures[0]!.message).toContain("is itself a credit note");
  });

  it("an original missing from a full export is credit_reference; before a range export's start, unchecked", () => {
    const journal = syntheticJournal([{}, {}, creditOf(2, 160), creditOf(1, 160)]);
    const full = structuredClone(journal.doc) as { -readonly [K in keyof JournalExport]: JournalExport[K] };
    full.records = full.records.filter((r) => r.fiscal_number !== 2);
    expect(failuresOf(verifyExport(full, { publicKey: journal.publicKey }))).toEqual([
      [2, "counter_gap"],
      [3, "credit_reference"],
    ]);
    const range = {
      ...journal.doc,
      range: { ...journal.doc.range, from: 3 },
      records: journal.doc.records.slice(2),
    };
    const report = verifyExport(range, { publicKey: journal.publicKey });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.unchecked_credits).toEqual([
      { fiscal_number: 3, references: { device_id: SYNTH_DEVICE_ID, fiscal_number: 2 }, why: "before_range" },
      { fiscal_number: 4, references: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1 }, why: "before_range" },
    ]);
  });

  it("a credit of another device's record cannot be checked from this file: listed, not failed", () => {
    const other = {
      ...creditOf(1, 160),
      reference: { device_id: "DEF-OTHER-9", fiscal_number: 1, kind: "REFUND" },
    };
    const report = verify(syntheticJournal([{}, other as Partial<FiscalRecordV1>]));
    expect(report.failures).toEqual([]);
    expect(report.unchecked_credits).toEqual([
      { fiscal_number: 2, references: { device_id: "DEF-OTHER-9", fiscal_number: 1 }, why: "other_device" },
    ]);
  });

  it("a credit in another currency than its original is credit_currency", () => {
    const report = verify(syntheticJournal([{}, { ...creditOf(1, 160), currency: "USD" }]));
    expect(failuresOf(report)).toEqual([[2, "credit_currency"]]);
  });

  it("a credit that comes before its original in the file is still checked against it", () => {
    const journal = syntheticJournal([{}, creditOf(1, 1_000), creditOf(1, 200)]);
    const doc = {
      ...journal.doc,
      records: [journal.doc.records[2]!, journal.doc.records[0]!, journal.doc.records[1]!],
    };
    const reasons = verifyExport(doc, { publicKey: journal.publicKey }).failures.map((f) => f.reason);
    expect(reasons).toContain("out_of_order");
    expect(reasons).toContain("credit_exceeds");
  });
});

describe("client references", () => {
  it("a client_ref sealed twice is duplicate_client_ref on the second", () => {
    const report = verify(syntheticJournal([{}, {}, { client_ref: "SYN-1" }]));
    expect(failuresOf(report)).toEqual([[3, "duplicate_client_ref"]]);
    expect(report.failures[0]!.message).toContain("fiscal number 1");
  });
});
