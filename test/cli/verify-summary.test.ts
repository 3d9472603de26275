/**
 * `stalela verify` with the wrong `--pubkey` on a large export: the one cause is said once (no record
 * verifies under this key), not as two lines per record, while the exit code stays 5, every other
 * problem is still listed on its own line, and --json still carries the verifier's full report.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { humanReport, numberRanges, wrongKeyCause } from "../../cli/commands/verify.js";
import { hasMessage } from "../../protocol/i18n/index.js";
import {
  DOCUMENT_ISSUE_REASONS,
  type ExportVerification,
  generateKeyPair,
  RECORD_FAILURE_REASONS,
  REPORT_FAILURE_REASONS,
  toHex,
  verifyExport,
} from "../../protocol/index.js";
import { tamperable } from "../audit/journal.js";
import { syntheticJournal } from "../audit/synthetic.js";
import { removeTempFiles, runCli, tempFile } from "./run-cli.js";

const RECORDS = 3_000;

/** A genuine journal of RECORDS records (distinct payloads), #10's auth code altered, #1500 left out. */
function largeExportWithAGap() {
  const journal = syntheticJournal(
    Array.from({ length: RECORDS }, (_, i) => ({
      payload_hash: new Uint8Array(createHash("sha256").update(`payload ${i}`).digest()),
    })),
  );
  const doc = tamperable(journal.doc);
  doc.records[9]!.auth_code = "0000-0000-0000-0000";
  doc.records.splice(1_499, 1);
  return { doc, publicKey: journal.publicKey };
}

describe("stalela verify --pubkey with the wrong key", () => {
  const { doc, publicKey } = largeExportWithAGap();
  const wrongKey = toHex(generateKeyPair().publicKey);

  it("says the cause once with the count, lists the other problems, and exits 5", async () => {
    const file = tempFile("large.json", JSON.stringify(doc));
    const run = await runCli(["verify", file, "--pubkey", wrongKey, "--lang", "en"]);
    removeTempFiles();
    expect(run.code).toBe(5);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThan(25);
    const cause = lines.filter((l) => l.includes("no record verifies under this key"));
    expect(cause).toHaveLength(1);
    expect(cause[0]).toContain(`${RECORDS - 1} of ${RECORDS - 1} signatures fail`);
    expect(cause[0]).toContain("wrong --pubkey?");
    // The altered and the missing record are problems of their own, whatever the key: still listed.
    expect(run.stdout).toMatch(/#10\s+auth_code/);
    expect(run.stdout).toMatch(/#1500\s+counter_gap/);
    expect(run.stdout).toMatch(/bad records: 1–3000\n/);
    expect(run.stdout).not.toMatch(/#\d+\s+signature/);
  });

  it("keeps the verifier's full report in --json", async () => {
    const file = tempFile("large.json", JSON.stringify(doc));
    const run = await runCli(["verify", file, "--pubkey", wrongKey, "--json"]);
    removeTempFiles();
    expect(run.code).toBe(5);
    const report = JSON.parse(run.stdout) as ExportVerification;
    expect(report.failures.filter((f) => f.reason === "signature")).toHaveLength(RECORDS - 1);
    expect(report.counts.verified).toBe(0);
  });

  it("with the right key there is no such cause, and the gap alone is reported", () => {
    const report = verifyExport(doc, { publicKey });
    expect(wrongKeyCause(report, "en")).toBeUndefined();
    const lines = humanReport("large.json", report, "en");
    expect(lines.join("\n")).toMatch(/#1500\s+counter_gap/);
    expect(lines.join("\n")).not.toContain("no record verifies");
  });

  it("a failure repeated on many records is listed 20 times, then counted", () => {
    const report = verifyExport(doc, { publicKey });
    const many: ExportVerification = {
      ...report,
      failures: Array.from({ length: 50 }, (_, i) => ({
        fiscal_number: i + 1,
        index: i,
        reason: "time_backwards" as const,
        message: "issued before the record before it",
      })),
    };
    const lines = humanReport("x.json", many, "en");
    expect(lines.filter((l) => /#\d+\s+time_backwards/.test(l))).toHaveLength(20);
    expect(lines).toContain("  … and 30 more time_backwards failures (--json lists every one)");
  });

  it("writes fiscal numbers as ranges", () => {
    expect(numberRanges([5, 1, 2, 3, 9, 10, 12, 3])).toBe("1–3, 5, 9–10, 12");
    expect(numberRanges([])).toBe("");
  });
});

describe("the summary's language", () => {
  const { doc, publicKey } = largeExportWithAGap();
  it("is French by choice of the reader, English when asked, the failures' own messages unchanged", () => {
    const report = verifyExport(doc, { publicKey });
    const fr = humanReport("large.json", report, "fr").join("\n");
    expect(fr).toContain("large.json: ÉCHEC DE LA VÉRIFICATION");
    expect(fr).toContain("ce que signifient les raisons :");
    expect(fr).toContain("counter_gap: des numéros fiscaux de la plage manquent");
    const en = humanReport("large.json", report, "en").join("\n");
    expect(en).toContain("large.json: VERIFICATION FAILED");
    expect(en).toContain("counter_gap: fiscal numbers of the range are missing");
  });

  it("explains every failure reason and document issue in both languages", () => {
    for (const reason of [...RECORD_FAILURE_REASONS, ...REPORT_FAILURE_REASONS, ...DOCUMENT_ISSUE_REASONS]) {
      for (const lang of ["fr", "en"] as const) {
        expect(hasMessage(lang, `verify.reason.${reason}`), `${lang} ${reason}`).toBe(true);
      }
    }
  });
});
