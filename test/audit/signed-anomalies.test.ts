import { describe, expect, it } from "vitest";
import { type ExportVerification, type FiscalRecordV1, verifyExport } from "../../protocol/index.js";
import { SYNTH_DEVICE_ID, syntheticJournal } from "./synthetic.js";

/** An export sale as a v1 device seals it: zero-rated group E. */
const EXPORT_V1 = {
  invoice_type: "EXPORT",
  totals: { total: 5_000, tax_total: 0, groups: [{ group: "E", rate_bp: 0, base: 5_000, tax: 0 }] },
} satisfies Partial<FiscalRecordV1>;
/** A refund of all of fiscal number 1 (a SALE of 11.60). */
const REFUND_OF_1 = {
  invoice_type: "CREDIT",
  reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1, kind: "REFUND" },
} satisfies Partial<FiscalRecordV1>;

function failuresOf(report: ExportVerification): [number | null, string][] {
  return report.failures.map((f) => [f.fiscal_number, f.reason]);
}

describe("verifyExport on genuinely signed journals with a faulty device's anomalies", () => {
  it("accepts a correct synthetic journal (the baseline the cases below depart from)", () => {
    const { doc, publicKey } = syntheticJournal([{}, EXPORT_V1, {}, {}]);
    const report = verifyExport(doc, { publicKey });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it("a clock that went back between two signed, chained records", () => {
    const { doc, publicKey } = syntheticJournal([{}, {}, { issued_at: Date.UTC(2026, 0, 1, 0, 0, 30) }, {}]);
    expect(failuresOf(verifyExport(doc, { publicKey }))).toEqual([[3, "time_backwards"]]);
  });

  it("a first record older than the activation", () => {
    const { doc, publicKey } = syntheticJournal([{ issued_at: Date.UTC(2025, 11, 31) }, {}]);
    expect(failuresOf(verifyExport(doc, { publicKey }))).toEqual([[1, "time_backwards"]]);
  });

  it("a per-type counter that skips, and one that does not start at 1", () => {
    const skip = syntheticJournal([{}, REFUND_OF_1, { type_number: 3 }]);
    expect(failuresOf(verifyExport(skip.doc, { publicKey: skip.publicKey }))).toEqual([
      [3, "type_counter_gap"],
    ]);
    const late = syntheticJournal([{ type_number: 5 }]);
    expect(failuresOf(verifyExport(late.doc, { publicKey: late.publicKey }))).toEqual([
      [1, "type_counter_gap"],
    ]);
  });

  it("a signed record whose prev_hash is wrong, and a first record not chained to the activation", () => {
    const { doc, publicKey } = syntheticJournal([{}, {}, { prev_hash: new Uint8Array(32) }]);
    expect(failuresOf(verifyExport(doc, { publicKey }))).toEqual([[3, "chain_break"]]);
    const first = syntheticJournal([{ prev_hash: new Uint8Array(32).fill(7) }, {}]);
    const report = verifyExport(first.doc, { publicKey: first.publicKey });
    expect(failuresOf(report)).toEqual([[1, "chain_break"]]);
    expect(report.failures[0]!.message).toContain("genesis");
  });

  it("a record signed for another merchant, the same invoice sealed twice, a number past the range", () => {
    const { doc, publicKey } = syntheticJournal([
      {},
      { merchant_nif: "Z9999999Z" },
      { payload_hash: new Uint8Array(32).fill(1) },
    ]);
    const report = verifyExport({ ...doc, range: { ...doc.range, to: 2 } }, { publicKey });
    expect(failuresOf(report)).toEqual([
      [2, "foreign_device"],
      [3, "duplicate"],
      [3, "out_of_range"],
    ]);
  });
});
