/**
 * Format /3's receipt log (docs/EXPORT.md §1, `records[].prints`): the verifier counts the printed
 * copies and the duplicates, and names a log that is malformed, misnumbered or out of time order
 * `prints_invalid`; a /2 entry carrying one is `malformed`. The prints are not signed by the device,
 * so they never touch the record's own checks.
 */
import { describe, expect, it } from "vitest";
import { type ExportedPrint, type ExportVerification, verifyExport } from "../../protocol/index.js";
import { sale } from "../emulator/fixtures.js";
import { type SyntheticJournal, syntheticJournalV2 } from "./synthetic.js";

const copy = (n: number, at: string, format: ExportedPrint["format"] = "text"): ExportedPrint => ({
  copy_number: n,
  format,
  lang: "fr",
  requested_by: "api-key:K1",
  at,
});

function withPrints(journal: SyntheticJournal, prints: readonly unknown[][], format?: string): unknown {
  const doc = journal.doc;
  return {
    ...doc,
    ...(format === undefined ? {} : { format }),
    records: doc.records.map((r, i) => (prints[i] === undefined ? r : { ...r, prints: prints[i] })),
  };
}

function verify(doc: unknown, journal: SyntheticJournal): ExportVerification {
  return verifyExport(doc, { publicKey: journal.publicKey });
}

const reasons = (r: ExportVerification) => r.failures.map((f) => [f.fiscal_number, f.reason]);

describe("the receipt log of format /3", () => {
  const journal = syntheticJournalV2([{ invoice: sale("S-1") }, { invoice: sale("S-2") }]);

  it("is counted: one original and two duplicates of the first record, none of the second", () => {
    const doc = withPrints(journal, [
      [
        copy(1, "2026-12-01T13:05:40.000Z"),
        copy(2, "2026-12-01T13:06:00Z", "pdf"),
        copy(3, "2026-12-02T08:00:00Z"),
      ],
    ]);
    const report = verify(doc, journal);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ printed: 3, duplicates: 2 });
  });

  it.each([
    ["a copy number that skips", [copy(1, "2026-12-01T13:05:40Z"), copy(3, "2026-12-01T13:06:00Z")]],
    ["a second original", [copy(1, "2026-12-01T13:05:40Z"), copy(1, "2026-12-01T13:06:00Z")]],
    ["a time that is not ISO 8601 UTC", [copy(1, "2026-12-01 14:05:40")]],
    [
      "a copy earlier than the one before",
      [copy(1, "2026-12-01T13:06:00Z"), copy(2, "2026-12-01T13:05:00Z")],
    ],
    ["an unknown format", [{ ...copy(1, "2026-12-01T13:05:40Z"), format: "docx" }]],
    ["an unknown field", [{ ...copy(1, "2026-12-01T13:05:40Z"), printer: "TM-T20" }]],
  ])("names %s prints_invalid, on its record only", (_, prints) => {
    const report = verify(withPrints(journal, [prints]), journal);
    expect(reasons(report)).toEqual([[1, "prints_invalid"]]);
    expect(report.ok).toBe(false);
    expect(report.counts.verified).toBe(1);
  });

  it("is not a field of /2: there a prints list is malformed", () => {
    const doc = withPrints(journal, [[copy(1, "2026-12-01T13:05:40Z")]], "stalela-journal-export/2");
    const report = verify(doc, journal);
    expect(reasons(report)).toEqual([[1, "malformed"]]);
    expect(report.counts.printed).toBe(0);
  });
});
