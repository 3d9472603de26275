import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJournal } from "../../daemon/export/journal-export.js";
import {
  type ExportVerification,
  fromBase64Url,
  generateKeyPair,
  type JournalExport,
  toBase64Url,
  toHex,
} from "../../protocol/index.js";
import { openTestJournal, type TestJournal, tamperable } from "../audit/journal.js";
import { removeTempFiles, runCli, runCliOnTerminal, tempFile } from "./run-cli.js";

let journal: TestJournal;
let doc: JournalExport;
let pubkey: string;

beforeAll(async () => {
  journal = openTestJournal();
  doc = await exportJournal(journal.reader);
  pubkey = toHex(journal.publicKey);
});
afterAll(() => {
  journal.close();
  removeTempFiles();
});

describe("stalela verify", () => {
  it("exits 0 for a genuine export, with a report that parses as JSON", async () => {
    const file = tempFile("export.json", JSON.stringify(doc));
    const run = await runCli(["verify", file, "--pubkey", pubkey, "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ExportVerification;
    expect(report).toMatchObject({ ok: true, key_source: "pinned", genesis_checked: true });
    expect(report.counts.records).toBe(6);
    expect(run.stderr).toBe(""); // no progress when piped
  });

  it("prints a readable verdict by default and warns when the key is the file's own", async () => {
    const file = tempFile("export.json", JSON.stringify(doc));
    const run = await runCli(["verify", file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("VERIFIED");
    expect(run.stdout).toContain("pin the registered key with --pubkey");
  });

  it("shows progress on a terminal (and none when piped, above)", async () => {
    const file = tempFile("export.json", JSON.stringify(doc));
    const run = await runCliOnTerminal(["verify", file, "--pubkey", pubkey]);
    expect(run.code).toBe(0);
    expect(run.output).toContain("verifying 6/6");
    expect(run.output).toContain("VERIFIED");
  });

  it("exits 5 for a tampered export and names the record, in text and in JSON", async () => {
    const bad = tamperable(doc);
    const bytes = fromBase64Url(bad.records[3]!.record);
    bytes[bytes.length - 1]! ^= 0x01;
    bad.records[3]!.record = toBase64Url(bytes);
    const file = tempFile("tampered.json", JSON.stringify(bad));
    const text = await runCli(["verify", file, "--pubkey", pubkey]);
    expect(text.code).toBe(5);
    expect(text.stdout).toContain("VERIFICATION FAILED");
    expect(text.stdout).toMatch(/#4\s+signature/);
    const json = await runCli(["verify", file, "--pubkey", pubkey, "--json"]);
    expect(json.code).toBe(5);
    expect((JSON.parse(json.stdout) as ExportVerification).bad_fiscal_numbers).toEqual([4, 5]);
  });

  it("exits 5 when the pinned key is not the device's", async () => {
    const file = tempFile("export.json", JSON.stringify(doc));
    const run = await runCli(["verify", file, "--pubkey", toHex(generateKeyPair().publicKey), "--json"]);
    expect(run.code).toBe(5);
    const report = JSON.parse(run.stdout) as ExportVerification;
    expect(report.document_issues.map((i) => i.reason)).toContain("public_key");
  });

  it("exits 5 for a file that is not an export, 2 for a missing file or a bad --pubkey", async () => {
    const notJson = await runCli(["verify", tempFile("x.json", "{ nope")]);
    expect(notJson.code).toBe(5);
    const missing = await runCli(["verify", "/nonexistent/export.json", "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { name: "FIELD_REQUIRED" } });
    const badKey = await runCli(["verify", tempFile("e.json", JSON.stringify(doc)), "--pubkey", "abcd"]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain("--pubkey");
  });
});

describe("stalela verify-qr", () => {
  it("verifies a real receipt's QR with the device key", async () => {
    const qr = journal.sealed[1]!.qr;
    const run = await runCli(["verify-qr", qr, "--pubkey", pubkey, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      valid: true,
      payload: { device_id: journal.device.deviceId, fiscal_number: 2, invoice_type: "EXPORT" },
    });
    const text = await runCli(["verify-qr", qr, "--pubkey", pubkey]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("QR VERIFIED");
  });

  it("without --pubkey only parses, says so and exits 5 (0 with --parse-only)", async () => {
    const qr = journal.sealed[0]!.qr;
    const run = await runCli(["verify-qr", qr]);
    expect(run.code).toBe(5);
    expect(run.stdout).toContain("NOT VERIFIED: no --pubkey given");
    const parsed = await runCli(["verify-qr", qr, "--parse-only", "--json"]);
    expect(parsed.code).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ valid: null, payload: { fiscal_number: 1 } });
  });

  it("exits 5 for a forged amount, another device's key, or text that is not a QR", async () => {
    const fields = journal.sealed[2]!.qr.split(";");
    fields[5] = "1";
    const forged = await runCli(["verify-qr", fields.join(";"), "--pubkey", pubkey, "--json"]);
    expect(forged.code).toBe(5);
    expect(JSON.parse(forged.stdout)).toMatchObject({ valid: false });
    const otherKey = toHex(generateKeyPair().publicKey);
    expect((await runCli(["verify-qr", journal.sealed[2]!.qr, "--pubkey", otherKey])).code).toBe(5);
    const garbage = await runCli(["verify-qr", "hello", "--parse-only"]);
    expect(garbage.code).toBe(5);
    expect(garbage.stdout).toContain("QR INVALID");
  });
});
