import { afterEach, describe, expect, it } from "vitest";
import { exportJournal } from "../../daemon/export/journal-export.js";
import {
  type ExportVerification,
  fromBase64Url,
  generateKeyPair,
  type RecordFailureReason,
  toBase64Url,
  toHex,
  verifyExport,
} from "../../protocol/index.js";
import { openTestJournal, type TestJournal, tamperable } from "./journal.js";

const open: TestJournal[] = [];
afterEach(() => {
  for (const j of open.splice(0)) j.close();
});

async function genuine() {
  const j = openTestJournal();
  open.push(j);
  const doc = tamperable(await exportJournal(j.reader));
  return { j, doc };
}

/** The reasons the report gives for fiscal number `fn`. */
function reasonsFor(report: ExportVerification, fn: number): RecordFailureReason[] {
  return report.failures.filter((f) => f.fiscal_number === fn).map((f) => f.reason);
}

describe("verifyExport names each tampered record", () => {
  it("a flipped byte inside a record: its signature fails, and the next record's chain breaks", async () => {
    const { j, doc } = await genuine();
    const bytes = fromBase64Url(doc.records[2]!.record);
    // Flip a bit in the last byte: inside the last field's value, so the bytes still decode.
    bytes[bytes.length - 1]! ^= 0x01;
    doc.records[2]!.record = toBase64Url(bytes);
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.ok).toBe(false);
    expect(reasonsFor(report, 3)).toContain("signature");
    expect(reasonsFor(report, 4)).toEqual(["chain_break"]);
    expect(report.bad_fiscal_numbers).toEqual([3, 4]);
    expect(report.counts).toMatchObject({ records: 6, verified: 4, failed: 2 });
  });

  it("a deleted record is a counter gap naming the missing fiscal number", async () => {
    const { j, doc } = await genuine();
    doc.records.splice(4, 1);
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      {
        fiscal_number: 5,
        index: null,
        reason: "counter_gap",
        message: "fiscal number 5 is missing before 6",
      },
    ]);
    expect(report.counts.missing).toBe(1);
  });

  it("the first record deleted: a gap, the genesis could not be checked, the credit lost its sale", async () => {
    const { j, doc } = await genuine();
    doc.records.shift();
    const report = verifyExport(doc, { publicKey: j.publicKey });
    // Fiscal number 5 is the annulation of 1: a full export must show the sale it cancels.
    expect(report.failures.map((f) => [f.fiscal_number, f.reason])).toEqual([
      [1, "counter_gap"],
      [5, "credit_reference"],
    ]);
    expect(report.genesis_checked).toBe(false);
  });

  it("the last record deleted is a gap at the end of the declared range", async () => {
    const { j, doc } = await genuine();
    doc.records.pop();
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.failures.map((f) => [f.fiscal_number, f.reason])).toEqual([[6, "counter_gap"]]);
  });

  it("a duplicated record is named as a duplicate", async () => {
    const { j, doc } = await genuine();
    doc.records.splice(2, 0, { ...doc.records[1]! });
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.ok).toBe(false);
    expect(reasonsFor(report, 2)).toContain("duplicate");
    expect(report.failures.find((f) => f.reason === "duplicate")?.index).toBe(2);
  });

  it("reordered records: time goes backwards and the record is out of order", async () => {
    const { j, doc } = await genuine();
    const [third, fourth] = [doc.records[2]!, doc.records[3]!];
    doc.records[2] = fourth;
    doc.records[3] = third;
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.ok).toBe(false);
    expect(reasonsFor(report, 3).sort()).toEqual(["out_of_order", "time_backwards"]);
    // The chain itself is intact: it is checked by fiscal number, not by position.
    expect(report.failures.some((f) => f.reason === "chain_break")).toBe(false);
  });

  it("a swapped public key fails the activation and every record's signature", async () => {
    const { doc } = await genuine();
    doc.device.public_key = toHex(generateKeyPair().publicKey);
    const report = verifyExport(doc);
    expect(report.ok).toBe(false);
    expect(report.document_issues.map((i) => i.reason)).toContain("activation");
    expect(report.failures.filter((f) => f.reason === "signature").map((f) => f.fiscal_number)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it("a pinned key that is not the file's is reported, and nothing verifies", async () => {
    const { doc } = await genuine();
    const report = verifyExport(doc, { publicKey: generateKeyPair().publicKey });
    expect(report.key_source).toBe("pinned");
    expect(report.document_issues.map((i) => i.reason)).toEqual(["public_key", "activation"]);
    expect(report.counts.verified).toBe(0);
  });

  it("a changed QR amount fails its signature; a QR of another record does not match", async () => {
    const { j, doc } = await genuine();
    // QR v2: RDCDEF01;device;code;nif;DT;fiscal_number;dgi_type;total;tax_total;signature.
    const fields = doc.records[1]!.qr.split(";");
    fields[7] = String(Number(fields[7]) + 100);
    doc.records[1]!.qr = fields.join(";");
    doc.records[3]!.qr = doc.records[2]!.qr;
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(reasonsFor(report, 2)).toEqual(["qr_invalid"]);
    expect(reasonsFor(report, 4)).toEqual(["qr_mismatch"]);
    expect(report.bad_fiscal_numbers).toEqual([2, 4]);
  });

  it("a changed auth code and a mislabelled entry are named", async () => {
    const { j, doc } = await genuine();
    doc.records[0]!.auth_code = "0000-0000-0000-0000";
    doc.records[5]!.fiscal_number = 9;
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(reasonsFor(report, 1)).toContain("auth_code");
    expect(reasonsFor(report, 6)).toEqual(["index_mismatch"]);
  });

  it("a record of another device is foreign (and not signed by this one)", async () => {
    const { j, doc } = await genuine();
    const other = openTestJournal();
    open.push(other);
    const otherDoc = await exportJournal(other.reader);
    doc.records[5] = { ...otherDoc.records[5]! };
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(reasonsFor(report, 6)).toEqual(
      expect.arrayContaining(["foreign_device", "signature", "chain_break"]),
    );
  });

  it("non-canonical record bytes are named as such", async () => {
    const { j, doc } = await genuine();
    const bytes = fromBase64Url(doc.records[3]!.record);
    expect(bytes[0]! & 0xe0).toBe(0xa0); // a map with fewer than 24 entries, length in the first byte
    // The same map with its length in a following byte: valid CBOR, not the shortest form.
    const longForm = new Uint8Array([0xb8, bytes[0]! & 0x1f, ...bytes.subarray(1)]);
    doc.records[3]!.record = toBase64Url(longForm);
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(reasonsFor(report, 4)).toEqual(["non_canonical"]);
  });

  it("an entry that is not a record, or not base64url, is malformed", async () => {
    const { j, doc } = await genuine();
    doc.records[0]!.signature = "not base64url!";
    (doc.records as unknown[])[1] = { fiscal_number: 2 };
    const report = verifyExport(doc, { publicKey: j.publicKey });
    const malformed = report.failures.filter((f) => f.reason === "malformed");
    expect(malformed.map((f) => [f.index, f.fiscal_number])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    // Claimed by an unreadable entry: reported once, as malformed, not also as missing.
    expect(report.failures.some((f) => f.reason === "counter_gap")).toBe(false);
    expect(report.ok).toBe(false);
  });

  it("a range that ends after the device's last record is a document issue", async () => {
    const { j, doc } = await genuine();
    Object.assign(doc, { range: { ...doc.range, to: 9 } });
    const report = verifyExport(doc, { publicKey: j.publicKey });
    expect(report.document_issues.map((i) => i.reason)).toEqual(["range"]);
    expect(report.failures.map((f) => [f.fiscal_number, f.reason])).toEqual([[7, "counter_gap"]]);
  });
});
