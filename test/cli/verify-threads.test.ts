/**
 * `stalela verify --threads N` with the built CLI: the option is validated like every other (E323
 * USAGE, exit 2), and the report on worker threads is the one of `--threads 1` (no threads at all),
 * in JSON and in words, for an export of two batches with tampered, moved and duplicated records,
 * in the exporter's layout (read line by line) and in another one (parsed whole).
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exporterText, syntheticExport } from "../../bench/verify.js";
import { ENTRIES_PER_BATCH } from "../../cli/verify-pool.js";
import {
  type ExportVerification,
  fromBase64Url,
  type JournalExport,
  toBase64Url,
} from "../../protocol/index.js";
import { removeTempFiles, runCli, tempFile } from "./run-cli.js";

/** Entries in the export: two batches, the second one short. */
const RECORDS = ENTRIES_PER_BATCH + 100;

let genuine: string;
let tampered: string;

beforeAll(async () => {
  const doc = syntheticExport(RECORDS);
  genuine = tempFile("threads-genuine.json", await exporterText(doc));
  const records = doc.records.map((r) => ({ ...r }));
  const signature = fromBase64Url(records[550]!.signature);
  signature[3]! ^= 0x01;
  records[550]!.signature = toBase64Url(signature);
  const [moved] = records.splice(20, 1);
  records.splice(530, 0, moved!);
  records.splice(580, 0, { ...records[300]! });
  tampered = tempFile("threads-tampered.json", await exporterText({ ...doc, records } as JournalExport));
});
afterAll(() => removeTempFiles());

describe("stalela verify --threads", () => {
  it("refuses a count that is not an integer from 1 to 256, as a usage error", async () => {
    for (const bad of ["0", "-1", "2.5", "abc", "257", "1e2", ""]) {
      const run = await runCli(["verify", genuine, "--threads", bad, "--json"]);
      expect(run.code, bad).toBe(2);
      expect(JSON.parse(run.stdout), bad).toMatchObject({ error: { code: 323, name: "USAGE" } });
      expect(run.stdout, bad).toContain("--threads");
    }
  });

  it("verifies a genuine export on threads", async () => {
    const run = await runCli(["verify", genuine, "--threads", "2", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as ExportVerification;
    expect(report.ok).toBe(true);
    expect(report.counts.records).toBe(RECORDS);
  });

  /** The --json output of `--threads 1` and of more, for `file`; the first one's failure reasons. */
  async function sameJson(file: string, threads: readonly string[]): Promise<Set<string>> {
    const one = await runCli(["verify", file, "--threads", "1", "--json"]);
    expect(one.code).toBe(5);
    for (const n of threads) {
      const more = await runCli(["verify", file, "--threads", n, "--json"]);
      expect(more.code, n).toBe(5);
      expect(more.stdout, n).toBe(one.stdout);
    }
    return new Set((JSON.parse(one.stdout) as ExportVerification).failures.map((f) => f.reason));
  }

  it("prints the report of --threads 1 for the exporter's layout, in JSON and in words", async () => {
    const reasons = await sameJson(tampered, ["2", "3"]);
    for (const reason of ["signature", "out_of_order", "duplicate"])
      expect(reasons, reason).toContain(reason);
    const words = await runCli(["verify", tampered, "--threads", "1", "--lang", "en"]);
    const wordsOnThreads = await runCli(["verify", tampered, "--threads", "2", "--lang", "en"]);
    expect(words.stdout).toContain("VERIFICATION FAILED");
    expect(wordsOnThreads.stdout).toBe(words.stdout);
  });

  it("prints the report of --threads 1 for a document parsed whole", async () => {
    const whole = tempFile(
      "threads-whole.json",
      JSON.stringify(JSON.parse(await readFile(tampered, "utf8"))),
    );
    const reasons = await sameJson(whole, ["2"]);
    expect(reasons).toContain("signature");
  });
});
