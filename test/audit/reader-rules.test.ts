/**
 * The reader rules docs/EXPORT.md §3 decides: which formats are read, `exported_at`, the case of the
 * public key, unknown fields in the header and in entries, the shape of document issues, and which
 * fiscal number the gap and order checks use when an entry's own number is not the signed one.
 */
import { describe, expect, it } from "vitest";
import { EXPORT_FORMAT, type ExportVerification, verifyExport } from "../../protocol/index.js";
import { sale } from "../emulator/fixtures.js";
import { tamperable } from "./journal.js";
import { type SyntheticJournal, syntheticJournal, syntheticJournalV2 } from "./synthetic.js";

function verify(doc: unknown, journal: SyntheticJournal): ExportVerification {
  return verifyExport(doc, { publicKey: journal.publicKey });
}
const issuesOf = (r: ExportVerification) => r.document_issues.map((i) => i.reason);
const failuresOf = (r: ExportVerification) => r.failures.map((f) => [f.fiscal_number, f.reason]);

describe("reader rules", () => {
  it("reads /1 (v1 records, no invoices), /2, /3 and /4; refuses any other format", () => {
    const v1 = syntheticJournal([{}, {}]);
    expect(v1.doc.format).toBe("stalela-journal-export/1");
    expect(verify(v1.doc, v1).ok).toBe(true);
    const v2 = syntheticJournalV2([{ invoice: sale("S-1") }]);
    expect(v2.doc.format).toBe(EXPORT_FORMAT);
    expect(EXPORT_FORMAT).toBe("stalela-journal-export/4");
    expect(verify(v2.doc, v2).ok).toBe(true);
    const { reports, ...withoutReports } = v2.doc;
    expect(reports).toEqual([]);
    for (const format of ["stalela-journal-export/2", "stalela-journal-export/3"] as const) {
      expect(verify({ ...withoutReports, format }, v2).ok).toBe(true);
      // `reports` came with /4: in an earlier format it is an unknown header field.
      expect(issuesOf(verify({ ...v2.doc, format }, v2))).toEqual(["format"]);
    }
    // /4 requires it.
    expect(issuesOf(verify(withoutReports, v2))).toEqual(["format"]);
    const report = verify({ ...v1.doc, format: "stalela-journal-export/5" }, v1);
    expect(issuesOf(report)).toEqual(["format"]);
    expect(report.counts.verified).toBe(0);
  });

  it("an exported_at that is not ISO 8601 UTC is a format issue; the records are still verified", () => {
    const j = syntheticJournal([{}, {}]);
    for (const at of [
      "2026-01-01 00:00:00",
      "2026-01-01T01:00:00+01:00",
      "yesterday",
      "2026-13-01T00:00:00Z",
    ]) {
      const report = verify({ ...j.doc, exported_at: at }, j);
      expect(issuesOf(report), at).toEqual(["format"]);
      expect(report.document_issues[0]!.message).toContain("exported_at");
      expect(report.counts.verified).toBe(2);
      expect(report.ok).toBe(false);
    }
    expect(verify({ ...j.doc, exported_at: "2026-01-01T00:00:00Z" }, j).ok).toBe(true);
  });

  it("a public key in upper-case hex is the same key; anything but 64 hex digits is a public_key issue", () => {
    const j = syntheticJournal([{}]);
    const upper = {
      ...j.doc,
      device: { ...j.doc.device, public_key: j.doc.device.public_key.toUpperCase() },
    };
    const report = verifyExport(upper);
    expect(report.ok).toBe(true);
    expect(report.public_key).toBe(j.doc.device.public_key);
    const spaced = { ...j.doc, device: { ...j.doc.device, public_key: ` ${j.doc.device.public_key}` } };
    expect(issuesOf(verifyExport(spaced))).toContain("public_key");
  });

  it("an unknown header field is a format issue, and the records are still checked", () => {
    const j = syntheticJournal([{}, {}]);
    const doc = { ...j.doc, verified: true, device: { ...j.doc.device, trusted: "yes" } };
    const report = verify(doc, j);
    expect(report.document_issues.map((i) => [i.reason, i.message.split(" ")[0]])).toEqual([
      ["format", "/verified"],
      ["format", "/device/trusted"],
    ]);
    expect(report.counts.verified).toBe(2);
  });

  it("an unknown entry field is malformed for that entry (ignored, the rest still checked); /1 has no invoice", () => {
    const j = syntheticJournal([{}, {}, {}]);
    const doc = tamperable(j.doc);
    (doc.records[1] as unknown as Record<string, unknown>).verified = true;
    (doc.records[2] as unknown as Record<string, unknown>).invoice = "AAAA";
    const report = verify(doc, j);
    expect(failuresOf(report)).toEqual([
      [2, "malformed"],
      [3, "malformed"],
    ]);
    expect(report.failures.map((f) => f.message)).toEqual([
      "entry 1: /verified is not a field of stalela-journal-export/1 (ignored)",
      "entry 2: /invoice is not a field of stalela-journal-export/1 (ignored)",
    ]);
    expect(report.counts.missing).toBe(0);
  });

  it("document issues are { reason, message }, one per problem", () => {
    const j = syntheticJournal([{}]);
    const doc = { ...j.doc, exported_at: "now", range: { from: 1, to: 2, last_on_device: 1 } };
    const report = verify(doc, j);
    expect(report.document_issues).toEqual([
      { reason: "format", message: 'exported_at "now" is not ISO 8601 UTC' },
      { reason: "range", message: "range ends at 2, after the device's last record 1" },
    ]);
  });

  it("after an index_mismatch the signed fiscal number counts: no gap, duplicate or range failure from the label", () => {
    const j = syntheticJournal([{}, {}, {}, {}]);
    const doc = tamperable(j.doc);
    doc.records[2]!.fiscal_number = 4; // the entry of record 3 claims to be 4 (and 4 is in the file)
    doc.records[3]!.fiscal_number = 9; // the entry of record 4 claims a number past the range
    const report = verify(doc, j);
    expect(failuresOf(report)).toEqual([
      [3, "index_mismatch"],
      [4, "index_mismatch"],
    ]);
    expect(report.counts.missing).toBe(0);
    expect(report.chain.last_hash).not.toBeNull();
  });
});
