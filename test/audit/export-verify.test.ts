import { afterEach, describe, expect, it } from "vitest";
import { exportJournal, journalExportJson, openJournalExport } from "../../daemon/export/journal-export.js";
import {
  decodeRecord,
  ERRORS,
  EXPORT_FORMAT,
  exportedRecordOf,
  fromBase64Url,
  recordHash,
  sha256,
  toHex,
  verifyExport,
} from "../../protocol/index.js";
import { wideSale } from "../emulator/fixtures.js";
import { manySales, openTestJournal, type TestJournal } from "./journal.js";

const open: TestJournal[] = [];
afterEach(() => {
  for (const j of open.splice(0)) j.close();
});
function journal(...args: Parameters<typeof openTestJournal>): TestJournal {
  const j = openTestJournal(...args);
  open.push(j);
  return j;
}
const FIXED_NOW = () => new Date(Date.UTC(2026, 5, 2));

describe("exportJournal", () => {
  it("exports a real device's journal that verifies, from the genesis to the device's last hash", async () => {
    const j = journal();
    const doc = await exportJournal(j.reader, { now: FIXED_NOW });
    expect(doc.format).toBe(EXPORT_FORMAT);
    expect(doc.exported_at).toBe("2026-06-02T00:00:00.000Z");
    expect(doc.device).toMatchObject({ device_id: j.device.deviceId, public_key: toHex(j.publicKey) });
    expect(doc.range).toEqual({ from: 1, to: 6, last_on_device: 6 });
    expect(doc.records.map((r) => r.fiscal_number)).toEqual([1, 2, 3, 4, 5, 6]);
    // Format /4 (as /2): every entry carries the invoice the record's payload_hash binds.
    expect(doc.format).toBe("stalela-journal-export/4");
    expect(doc.reports).toEqual([]); // no day closed yet
    for (const r of doc.records) {
      const payloadHash = decodeRecord(fromBase64Url(r.record)).payload_hash;
      expect(toHex(sha256(fromBase64Url(r.invoice!)))).toBe(toHex(payloadHash));
    }
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.failures).toEqual([]);
    expect(report.document_issues).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.genesis_checked).toBe(true);
    expect(report.key_source).toBe("pinned");
    expect(report.counts).toEqual({
      records: 6,
      verified: 6,
      failed: 0,
      missing: 0,
      by_type: { SALE: 3, EXPORT: 1, ADVANCE: 1, CREDIT: 1 },
      printed: 0,
      duplicates: 0,
    });
    const status = j.device.execute("STATUS", {});
    expect(report.chain.last_hash).toBe(toHex(status.last_hash!));
    expect(report.chain.last_hash).toBe(toHex(recordHash(j.sealed[5]!.record)));
  });

  it("puts each record's printed receipts in its entry (format /3), and the verifier counts them", async () => {
    const j = journal();
    const asked: string[] = [];
    const doc = await exportJournal(j.reader, {
      now: FIXED_NOW,
      printsOf: (deviceId, fiscalNumber) => {
        asked.push(`${deviceId}#${fiscalNumber}`);
        if (fiscalNumber !== 2) return [];
        return [
          {
            copy_number: 1,
            format: "escpos",
            lang: "fr",
            requested_by: "api-key:K1",
            at: "2026-06-01T10:00:00.000Z",
          },
          { copy_number: 2, format: "pdf", lang: "en", requested_by: "cli", at: "2026-06-01T11:00:00.000Z" },
        ];
      },
    });
    expect(asked).toEqual([1, 2, 3, 4, 5, 6].map((n) => `${j.device.deviceId}#${n}`));
    expect(doc.records.map((r) => r.prints?.length ?? 0)).toEqual([0, 2, 0, 0, 0, 0]);
    expect(doc.records[1]!.prints![1]).toMatchObject({ copy_number: 2, format: "pdf", requested_by: "cli" });
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.ok).toBe(true);
    expect(report.counts).toMatchObject({ printed: 2, duplicates: 1 });
  });

  it("reads page by page (JOURNAL_READ pages of the page size) with progress, and honours --from/--to", async () => {
    const j = journal(manySales(70));
    const pages: string[] = [];
    const progress: number[] = [];
    const reader = {
      info: () => j.reader.info(),
      getReport: j.reader.getReport,
      readJournal: async (from: number, limit: number) => {
        const page = await j.reader.readJournal(from, limit);
        pages.push(`${from}+${limit}→${page.entries.length}`);
        return page;
      },
    };
    const doc = await exportJournal(reader, { pageSize: 16, onProgress: (p) => progress.push(p.done) });
    // Full pages while records remain, then only what is left of the range.
    expect(pages).toEqual(["1+16→16", "17+16→16", "33+16→16", "49+16→16", "65+6→6"]);
    expect(progress).toEqual([16, 32, 48, 64, 70]);
    expect(doc.records).toHaveLength(70);
    expect(verifyExport(doc).ok).toBe(true);

    const part = await exportJournal(j.reader, { from: 10, to: 45 });
    expect(part.range).toEqual({ from: 10, to: 45, last_on_device: 70 });
    expect(part.records.map((r) => r.fiscal_number)).toEqual(Array.from({ length: 36 }, (_, i) => i + 10));
    const report = verifyExport(part, { publicKey: j.publicKey });
    expect(report.ok).toBe(true);
    expect(report.genesis_checked).toBe(false);
    expect(report.chain.first_prev_hash).toBe(toHex(recordHash(j.sealed[8]!.record)));
  });

  it("follows `next` when the device returns short pages (large records do not fit 32 to a frame)", async () => {
    const j = journal(Array.from({ length: 40 }, (_, i) => wideSale(`W-${i + 1}`)));
    const returned: number[] = [];
    const reader = {
      info: () => j.reader.info(),
      getReport: j.reader.getReport,
      readJournal: async (from: number, limit: number) => {
        const page = await j.reader.readJournal(from, limit);
        returned.push(page.entries.length);
        return page;
      },
    };
    const doc = await exportJournal(reader);
    expect(returned[0]).toBeLessThan(32);
    expect(returned.reduce((a, b) => a + b, 0)).toBe(40);
    expect(doc.records.map((r) => r.fiscal_number)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(verifyExport(doc, { publicKey: j.publicKey }).ok).toBe(true);
  });

  it("writes JSON text page by page that parses back to the same document", async () => {
    const j = journal(manySales(40));
    const whole = await exportJournal(j.reader, { now: FIXED_NOW });
    let text = "";
    for await (const chunk of journalExportJson(await openJournalExport(j.reader, { now: FIXED_NOW }))) {
      text += chunk;
    }
    expect(JSON.parse(text)).toEqual(whole);
    expect(text.split("\n").filter((line) => line.includes('"record":'))).toHaveLength(40);
  });

  it("writes no invoice field for a sealed record the device returned without one (a v1 record)", () => {
    const sealed = { record: new Uint8Array([0xa0]), signature: new Uint8Array(64), auth_code: "X", qr: "Q" };
    expect(Object.keys(exportedRecordOf(1, sealed))).toEqual([
      "fiscal_number",
      "record",
      "signature",
      "auth_code",
      "qr",
    ]);
    expect(exportedRecordOf(1, { ...sealed, invoice: new Uint8Array([1, 2]) }).invoice).toBe("AQI");
  });

  it("exports an empty journal and refuses a range the device does not hold", async () => {
    const j = journal([]);
    const doc = await exportJournal(j.reader);
    expect(doc.range).toEqual({ from: 1, to: 0, last_on_device: 0 });
    expect(verifyExport(doc).ok).toBe(true);
    const full = journal();
    await expect(exportJournal(full.reader, { to: 7 })).rejects.toMatchObject({
      code: ERRORS.RECORD_NOT_FOUND.code,
    });
    await expect(exportJournal(full.reader, { from: 5, to: 4 })).rejects.toMatchObject({
      code: ERRORS.FIELD_RANGE.code,
    });
  });

  it("refuses a device that is not activated", async () => {
    const j = journal([]);
    const info = await j.reader.info();
    const reader = { ...j.reader, info: async () => ({ ...info, activation: null }) };
    await expect(exportJournal(reader)).rejects.toMatchObject({ code: ERRORS.DEVICE_NOT_ACTIVATED.code });
  });
});

describe("verifyExport on a genuine export", () => {
  it("reports progress for every record and refuses a document that is not an export", async () => {
    const j = journal();
    const doc = await exportJournal(j.reader);
    const seen: string[] = [];
    verifyExport(doc, { onProgress: (done, total) => seen.push(`${done}/${total}`) });
    expect(seen).toEqual(["1/6", "2/6", "3/6", "4/6", "5/6", "6/6"]);
    const notExport = verifyExport({ format: "something-else/1" });
    expect(notExport.ok).toBe(false);
    expect(notExport.document_issues.map((i) => i.reason)).toContain("format");
    expect(verifyExport(null).ok).toBe(false);
  });

  it("without a pinned key uses the file's, and says so", async () => {
    const doc = await exportJournal(journal().reader);
    const report = verifyExport(doc);
    expect(report.ok).toBe(true);
    expect(report.key_source).toBe("file");
    expect(report.public_key).toBe(doc.device.public_key);
  });
});
