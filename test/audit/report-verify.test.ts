/**
 * Format /4: the journaled reports in an export, and `verifyExport`'s checks of them
 * (docs/EXPORT.md §3.6): the Z and closure sequences, their places in the journal's one hash chain,
 * each Z against the invoices of its day and each closure against its Z reports. Reports a real
 * emulated device made, then tampered with or re-signed with the device's own key (a device that
 * signs wrong figures is exactly what the checks are for).
 */
import { afterEach, describe, expect, it } from "vitest";
import { humanReport } from "../../cli/commands/verify.js";
import { exportJournal, journalExportJson, openJournalExport } from "../../daemon/export/journal-export.js";
import {
  decodeReport,
  type ExportedReport,
  type ExportVerification,
  fromBase64Url,
  type JournalExport,
  type ReportRecord,
  recordHash,
  sealReport,
  toBase64Url,
  toHex,
  verifyExport,
  verifyExportLines,
} from "../../protocol/index.js";
import { credit, sale } from "../emulator/fixtures.js";
import { openTestJournal, type TestJournal } from "./journal.js";

let open: TestJournal[] = [];
afterEach(() => {
  for (const j of open) j.close();
  open = [];
});

function journal(): TestJournal {
  const j = openTestJournal([]);
  open.push(j);
  return j;
}

/** Three days in June (Z 1, Z 2), one in July (Z 3, which closes June), and an open day. */
function threeDays(): TestJournal {
  const j = journal();
  j.seal(sale("D1-1", 11_600));
  j.seal(sale("D1-2", 23_200));
  j.seal(credit("D1-C", 1, 11_600, { nature: "RAN" }));
  j.closeDay();
  j.seal(sale("D2-1", 5_800));
  j.closeDay();
  j.setTime(Date.UTC(2026, 6, 2, 8, 0, 0));
  j.seal(sale("D3-1", 1_160));
  j.seal(sale("D3-2", 2_320));
  j.closeDay();
  j.seal(sale("OPEN-1", 580));
  return j;
}

const kindsOf = (doc: JournalExport) => (doc.reports ?? []).map((r) => `${r.kind} ${r.number}`);
const reasons = (r: ExportVerification) => [
  ...r.failures.map((f) => f.reason),
  ...r.reports.failures.map((f) => f.reason),
];

/** The export with `report` re-signed by the device after `change`. */
function resigned(
  j: TestJournal,
  doc: JournalExport,
  which: string,
  change: (report: ReportRecord) => ReportRecord,
): JournalExport {
  const reports = (doc.reports ?? []).map((entry): ExportedReport => {
    if (`${entry.kind} ${entry.number}` !== which) return entry;
    const sealed = sealReport(
      change(decodeReport(fromBase64Url(entry.record))),
      j.device.memory.identity.seed,
    );
    return { ...entry, record: toBase64Url(sealed.record), signature: toBase64Url(sealed.signature) };
  });
  return { ...doc, reports };
}

describe("exporting the journaled reports", () => {
  it("puts every Z and closure of the range in `reports`, by kind then number, before the records", async () => {
    const j = threeDays();
    const doc = await exportJournal(j.reader);
    expect(kindsOf(doc)).toEqual(["Z_REPORT 1", "Z_REPORT 2", "Z_REPORT 3", "MONTH_CLOSURE 1"]);
    expect(Object.keys(doc)).toEqual(["format", "exported_at", "device", "range", "reports", "records"]);
    const got = j.device.execute("GET_REPORT", { kind: "Z_REPORT", number: 2 }).report;
    expect(doc.reports![1]!.record).toBe(toBase64Url(got.record));
    expect(doc.reports![1]!.signature).toBe(toBase64Url(got.signature));
  });

  it("a range export carries the reports made after fiscal numbers from − 1 … to", async () => {
    const j = threeDays();
    // Z 1 follows 3, Z 2 follows 4, Z 3 and the June closure follow 6.
    expect(kindsOf(await exportJournal(j.reader, { from: 5, to: 6 }))).toEqual([
      "Z_REPORT 2",
      "Z_REPORT 3",
      "MONTH_CLOSURE 1",
    ]);
    expect(kindsOf(await exportJournal(j.reader, { from: 1, to: 3 }))).toEqual(["Z_REPORT 1"]);
    expect(kindsOf(await exportJournal(j.reader, { from: 7, to: 7 }))).toEqual([
      "Z_REPORT 3",
      "MONTH_CLOSURE 1",
    ]);
  });
});

describe("verifying the journaled reports", () => {
  it("a genuine journal verifies: every day recomputed, the closure summed, the chain through the reports", async () => {
    const j = threeDays();
    const report = verifyExport(await exportJournal(j.reader), { publicKey: j.publicKey });
    expect(reasons(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.reports).toEqual({
      entries: 4,
      z: 3,
      month_closures: 1,
      year_closures: 0,
      days_checked: 3,
      days_unchecked: 0,
      closures_checked: 1,
      open_day_records: 1,
      failures: [],
    });
    const status = j.device.execute("STATUS", {});
    expect(report.chain.last_hash).toBe(toHex(status.last_hash!));
  });

  it("when a Z is the journal's last entry, the chain's end is that Z", async () => {
    const j = journal();
    j.seal(sale("S-1", 11_600));
    const { report: z } = j.closeDay();
    const report = verifyExport(await exportJournal(j.reader), { publicKey: j.publicKey });
    expect(report.ok).toBe(true);
    expect(report.chain.last_hash).toBe(toHex(recordHash(z.record)));
    expect(report.chain.last_hash).toBe(toHex(j.device.execute("STATUS", {}).last_hash!));
    expect(report.reports.open_day_records).toBe(0);
  });

  it("a day without invoices, and a Z before the first invoice, verify", async () => {
    const j = journal();
    j.closeDay(); // Z 1: nothing sold yet, after fiscal number 0
    j.seal(sale("S-1", 11_600));
    j.closeDay();
    j.closeDay(); // Z 3: an empty day
    j.seal(sale("S-2", 1_160));
    const report = verifyExport(await exportJournal(j.reader), { publicKey: j.publicKey });
    expect(reasons(report)).toEqual([]);
    expect(report.reports).toMatchObject({ z: 3, days_checked: 3, open_day_records: 1 });
  });

  it("a new year makes a monthly and a yearly closure, both checked", async () => {
    const j = journal();
    j.setTime(Date.UTC(2026, 11, 30, 9, 0, 0));
    j.seal(sale("DEC-1", 11_600));
    j.closeDay();
    j.setTime(Date.UTC(2027, 0, 2, 9, 0, 0));
    j.seal(sale("JAN-1", 5_800));
    j.closeDay();
    const doc = await exportJournal(j.reader);
    expect(kindsOf(doc)).toEqual(["Z_REPORT 1", "Z_REPORT 2", "MONTH_CLOSURE 1", "YEAR_CLOSURE 1"]);
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(reasons(report)).toEqual([]);
    expect(report.reports).toMatchObject({ month_closures: 1, year_closures: 1, closures_checked: 2 });
  });

  it("a Z missing from the file is a gap in the Z sequence and a break in the journal's chain", async () => {
    const j = threeDays();
    const doc = await exportJournal(j.reader);
    const withoutZ2 = {
      ...doc,
      reports: doc.reports!.filter((r) => !(r.kind === "Z_REPORT" && r.number === 2)),
    };
    const report = verifyExport(withoutZ2, { publicKey: j.publicKey });
    expect(report.ok).toBe(false);
    // Invoice 5 names Z 2's hash; Z 3 names Z 2 as its previous Z.
    expect(report.failures.map((f) => [f.fiscal_number, f.reason])).toEqual([[5, "chain_break"]]);
    expect(report.reports.failures.map((f) => [f.kind, f.number, f.reason])).toEqual([
      ["Z_REPORT", 3, "report_gap"],
    ]);
    // Z 3's day starts after Z 2, which is not in the file: not recomputed.
    expect(report.reports).toMatchObject({ days_checked: 1, days_unchecked: 1 });
  });

  it("a monthly closure missing from the file is reported, and so are the breaks it leaves in the chain", async () => {
    const j = threeDays();
    const doc = await exportJournal(j.reader);
    const report = verifyExport(
      { ...doc, reports: doc.reports!.filter((r) => r.kind !== "MONTH_CLOSURE") },
      { publicKey: j.publicKey },
    );
    // Z 3 names the closure as the entry before it; so the chain after invoice 6 stops at 6.
    expect(report.reports.failures.map((f) => f.reason).sort()).toEqual(["closure_missing", "report_chain"]);
    expect(report.failures.map((f) => [f.fiscal_number, f.reason])).toEqual([[7, "chain_break"]]);
    expect(report.ok).toBe(false);
  });

  it("a Z re-signed with other figures (the device's own key) fails report_figures and nothing else", async () => {
    const j = journal();
    j.seal(sale("S-1", 11_600));
    j.seal(sale("S-2", 23_200));
    j.closeDay(); // the last entry: nothing chains after it
    const doc = await exportJournal(j.reader);
    const forged = resigned(j, doc, "Z_REPORT 1", (z) => {
      if (z.kind !== "Z_REPORT") throw new Error("not a Z");
      const [sales] = z.figures.types;
      return { ...z, figures: { ...z.figures, types: [{ ...sales!, total: sales!.total - 100 }] } };
    });
    const report = verifyExport(forged, { publicKey: j.publicKey });
    expect(report.reports.failures).toHaveLength(1);
    expect(report.reports.failures[0]).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      reason: "report_figures",
    });
    expect(report.reports.failures[0]!.message).toContain("figures/types/0/total: 34700 ≠ 34800");
    expect(report.ok).toBe(false);
  });

  it("a Z that leaves a record out of its day fails report_range", async () => {
    const j = journal();
    j.seal(sale("S-1", 11_600));
    j.seal(sale("S-2", 23_200));
    j.closeDay();
    const doc = await exportJournal(j.reader);
    const forged = resigned(j, doc, "Z_REPORT 1", (z) => ({ ...z, first_fiscal_number: 2 }));
    const failures = verifyExport(forged, { publicKey: j.publicKey }).reports.failures;
    expect(failures.map((f) => f.reason)).toContain("report_range");
    expect(failures.find((f) => f.reason === "report_range")!.message).toContain("its day is 1–2");
  });

  it("a report signed by another key, or with bytes that are not a report, fails on its own", async () => {
    const j = threeDays();
    const doc = await exportJournal(j.reader);
    const other = threeDays();
    const foreign = (await exportJournal(other.reader)).reports!;
    const swapped = { ...doc, reports: [foreign[0]!, ...doc.reports!.slice(1)] };
    const r1 = verifyExport(swapped, { publicKey: j.publicKey });
    expect(r1.reports.failures.map((f) => f.reason)).toEqual(
      expect.arrayContaining(["report_signature", "report_foreign_device"]),
    );
    const garbage = {
      ...doc,
      reports: [{ ...doc.reports![0]!, record: toBase64Url(new Uint8Array([1, 2])) }],
    };
    const r2 = verifyExport(garbage, { publicKey: j.publicKey });
    expect(r2.reports.failures.map((f) => f.reason)).toContain("report_not_a_report");
    const twice = { ...doc, reports: [...doc.reports!, doc.reports![0]!] };
    expect(verifyExport(twice, { publicKey: j.publicKey }).reports.failures.map((f) => f.reason)).toEqual([
      "report_duplicate",
    ]);
  });

  it("a range export checks the days wholly inside it and leaves the others unchecked, without failing", async () => {
    const j = threeDays();
    const report = verifyExport(await exportJournal(j.reader, { from: 5, to: 7 }), {
      publicKey: j.publicKey,
    });
    expect(reasons(report)).toEqual([]);
    expect(report.ok).toBe(true);
    // Z 2's start (after Z 1) is not in the file; Z 3's day, 5–6, is; 7 is the open day.
    expect(report.reports).toMatchObject({ z: 2, days_checked: 1, days_unchecked: 1, open_day_records: 1 });
  });

  it("the exporter's layout has one report per line, and the line reader gives the same verdict", async () => {
    const j = threeDays();
    let text = "";
    for await (const chunk of journalExportJson(await openJournalExport(j.reader))) text += chunk;
    const lines = text.split("\n");
    const open = lines.indexOf('  "reports": [');
    expect(open).toBeGreaterThan(0);
    expect(lines.slice(open + 1, open + 5).every((l) => l.startsWith('    {"kind":'))).toBe(true);
    expect(lines[open + 5]).toBe("  ],");
    const whole = verifyExport(JSON.parse(text), { publicKey: j.publicKey });
    const streamed = await verifyExportLines(
      (async function* () {
        yield* lines;
      })(),
      { publicKey: j.publicKey },
    );
    expect(streamed).toEqual(whole);
    expect(whole.reports.days_checked).toBe(3);
  });

  it("the readable report counts the reports and lists each report failure by its short name", async () => {
    const j = threeDays();
    const doc = await exportJournal(j.reader);
    const withoutZ2 = {
      ...doc,
      reports: doc.reports!.filter((r) => !(r.kind === "Z_REPORT" && r.number === 2)),
    };
    const fr = humanReport("z.json", verifyExport(withoutZ2, { publicKey: j.publicKey }), "fr").join("\n");
    expect(fr).toContain(
      "rapports Z 2, clôtures mensuelles 1, annuelles 0 ; journées recalculées 1, non recalculées 1 ; factures de la journée ouverte 1",
    );
    expect(fr).toMatch(/^ {2}Z 3 {5}report_gap: 1 Z_REPORT missing between 1 and 3$/m);
    expect(fr).toContain("report_gap: un numéro de rapport manque");
  });
});
