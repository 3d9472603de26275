import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportJournal, journalExportJson } from "../../daemon/export/journal-export.js";
import {
  type ExportVerification,
  fromBase64Url,
  generateKeyPair,
  type JournalExport,
  toBase64Url,
  toHex,
} from "../../protocol/index.js";
import { openTestJournal, type TestJournal, tamperable } from "../audit/journal.js";
import { SYNTH_DEVICE_ID, syntheticJournal } from "../audit/synthetic.js";
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
    const run = await runCli(["verify", file, "--lang", "en"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("VERIFIED");
    expect(run.stdout).toContain("pin the registered key with --pubkey");
  });

  it("shows progress on a terminal (and none when piped, above)", async () => {
    const file = tempFile("export.json", JSON.stringify(doc));
    const run = await runCliOnTerminal(["verify", file, "--pubkey", pubkey, "--lang", "en"]);
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
    const text = await runCli(["verify", file, "--pubkey", pubkey, "--lang", "en"]);
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

/** The export as the exporter writes it: the header, then one entry per line. */
async function exporterLayout(d: JournalExport): Promise<string> {
  const { records, ...header } = d;
  let text = "";
  const pages = (async function* () {
    yield records;
  })();
  for await (const chunk of journalExportJson({ header, pages })) text += chunk;
  return text;
}

describe("stalela verify on the checks records make possible", () => {
  it("names a re-signed wrong tax and an oversized credit, says what each reason means, exits 5", async () => {
    const j = syntheticJournal([
      {},
      // Gross 11.60 at 16 %: the rounding rule gives a tax of 160, not 150.
      {
        totals: {
          total: 1_160,
          tax_total: 150,
          groups: [{ group: "B", rate_bp: 1_600, base: 1_010, tax: 150 }],
        },
      },
      {
        invoice_type: "CREDIT",
        totals: {
          total: 2_320,
          tax_total: 320,
          groups: [{ group: "B", rate_bp: 1_600, base: 2_000, tax: 320 }],
        },
        reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1, kind: "REFUND" },
      },
    ]);
    const file = tempFile("resigned.json", await exporterLayout(j.doc));
    const run = await runCli(["verify", file, "--pubkey", toHex(j.publicKey), "--lang", "en"]);
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(
      /#2\s+tax_arithmetic: group B: tax 150 on a gross of 1160, the rounding rule gives 160/,
    );
    expect(run.stdout).toMatch(/#3\s+credit_exceeds: credits 2320, but only 1160 of 1's 1160 remained/);
    expect(run.stdout).toContain("what the reasons mean:");
    expect(run.stdout).toContain(
      "    tax_arithmetic: a group's rate or tax is not what its tax table and rounding rule give",
    );
    expect(run.stdout).toContain("    credit_exceeds: ");
    expect(run.stdout).not.toContain("    signature: ");
  });

  it("lists credit notes whose original is before a range export's start, and still exits 0", async () => {
    const j = syntheticJournal([
      {},
      {},
      {
        invoice_type: "CREDIT",
        totals: {
          total: 1_160,
          tax_total: 160,
          groups: [{ group: "B", rate_bp: 1_600, base: 1_000, tax: 160 }],
        },
        reference: { device_id: SYNTH_DEVICE_ID, fiscal_number: 1, kind: "VOID" },
      },
    ]);
    const range = { ...j.doc, range: { ...j.doc.range, from: 2 }, records: j.doc.records.slice(1) };
    const file = tempFile("range.json", await exporterLayout(range));
    const run = await runCli(["verify", file, "--pubkey", toHex(j.publicKey), "--lang", "en"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "1 credit note references an original this file does not hold (not checked):",
    );
    expect(run.stdout).toContain(`#3 → ${SYNTH_DEVICE_ID} #1 (before the range)`);
  });

  it("reads the exporter's layout line by line and any other layout whole, with the same report", async () => {
    const bad = tamperable(doc);
    bad.records[2]!.auth_code = "0000-0000-0000-0000";
    const layouts = [
      await exporterLayout(bad as JournalExport),
      JSON.stringify(bad),
      JSON.stringify(bad, null, 1),
    ];
    expect(layouts[0]!.split("\n").filter((l) => l.startsWith('    {"fiscal_number"'))).toHaveLength(6);
    const reports: unknown[] = [];
    for (const [i, text] of layouts.entries()) {
      const run = await runCli(["verify", tempFile(`layout-${i}.json`, text), "--pubkey", pubkey, "--json"]);
      expect(run.code).toBe(5);
      reports.push(JSON.parse(run.stdout));
    }
    // The v2 QR carries the Code DEF/DGI too, so it no longer matches either.
    expect((reports[0] as ExportVerification).failures.map((f) => [f.fiscal_number, f.reason])).toEqual([
      [3, "auth_code"],
      [3, "qr_mismatch"],
    ]);
    expect(reports[1]).toEqual(reports[0]);
    expect(reports[2]).toEqual(reports[0]);
  });
});

describe("stalela verify-qr", () => {
  it("verifies a real receipt's QR with the device key", async () => {
    const qr = journal.sealed[1]!.qr;
    const run = await runCli(["verify-qr", qr, "--pubkey", pubkey, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      valid: true,
      // Record 2 is the export sale: the v2 QR carries its DGI code, EV.
      payload: { device_id: journal.device.deviceId, fiscal_number: 2, dgi_type: "EV" },
    });
    const text = await runCli(["verify-qr", qr, "--pubkey", pubkey]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("QR VÉRIFIÉ : signé par la clé de l'appareil fiscal");
  });

  it("without --pubkey only parses, says so and exits 5 (0 with --parse-only)", async () => {
    const qr = journal.sealed[0]!.qr;
    const run = await runCli(["verify-qr", qr]);
    expect(run.code).toBe(5);
    expect(run.stdout).toContain("QR NON VÉRIFIÉ : aucune --pubkey donnée");
    const parsed = await runCli(["verify-qr", qr, "--parse-only", "--json"]);
    expect(parsed.code).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ valid: null, payload: { fiscal_number: 1 } });
  });

  it("exits 5 for a forged amount, another device's key, or text that is not a QR", async () => {
    const fields = journal.sealed[2]!.qr.split(";");
    fields[7] = "1"; // the total of a v2 QR
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
