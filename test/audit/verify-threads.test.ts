/**
 * The verifier split over threads (protocol/audit/entry-verdict.ts, entry-pipeline.ts, with the CLI's
 * worker pool cli/verify-pool.ts): on genuine and tampered exports, the report from worker threads is
 * the one-thread report, field for field and byte for byte, progress included. Batches of 4 entries,
 * so every export crosses many batches finishing in any order. The workers run the built worker
 * (dist/cli/verify-worker.js, from `npm run build`, as the CLI tests run dist/cli/main.js).
 */
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exporterText } from "../../bench/verify.js";
import { EntryCheckThreadError, ExportCheckPool, verifyWorkerFile } from "../../cli/verify-pool.js";
import { exportJournal } from "../../daemon/export/journal-export.js";
import {
  type EntryVerdict,
  type ExportVerification,
  ExportVerifier,
  entryVerdictOf,
  fromBase64Url,
  type JournalExport,
  toBase64Url,
  type VerifyExportOptions,
  verifyExport,
  verifyExportLines,
  verifyExportWith,
} from "../../protocol/index.js";
import { credit, sale } from "../emulator/fixtures.js";
import { manySales, openTestJournal, type TestJournal, tamperable } from "./journal.js";

let journal: TestJournal;
let doc: JournalExport;
let pool: ExportCheckPool;

beforeAll(async () => {
  // Two closed days (credit notes, Z reports to check against their records) and an open one.
  journal = openTestJournal();
  for (const invoice of manySales(14, "D1")) journal.seal(invoice);
  journal.closeDay();
  for (const invoice of manySales(12, "D2")) journal.seal(invoice);
  journal.seal(credit("D2-C", 3, 23_200, { nature: "RAN" }));
  journal.closeDay();
  for (const invoice of manySales(5, "OPEN")) journal.seal(invoice);
  journal.seal(sale("OPEN-X", 2_320));
  doc = await exportJournal(journal.reader);
  pool = new ExportCheckPool(2, { entriesPerBatch: 4 });
  pool.start();
});
afterAll(async () => {
  await pool.stop();
  journal.close();
});

async function* linesOf(text: string): AsyncGenerator<string, void, void> {
  yield* text.split("\n");
}

/** A report and every progress call that led to it. */
async function watched(
  run: (options: VerifyExportOptions) => ExportVerification | null | Promise<ExportVerification | null>,
  publicKey?: Uint8Array,
): Promise<{ report: ExportVerification | null; progress: [number, number][] }> {
  const progress: [number, number][] = [];
  const report = await run({ publicKey, onProgress: (done, total) => progress.push([done, total]) });
  return { report, progress };
}

/** Asserts one thread and the pool agree exactly, for both readers, and returns the report. */
async function sameOnThreads(d: unknown, publicKey?: Uint8Array): Promise<ExportVerification> {
  const single = await watched((o) => verifyExport(d, o), publicKey);
  const threaded = await watched((o) => verifyExportWith(d, pool, o), publicKey);
  expect(threaded.report).toStrictEqual(single.report);
  expect(JSON.stringify(threaded.report)).toBe(JSON.stringify(single.report));
  expect(threaded.progress).toEqual(single.progress);

  const text = await exporterText(d as JournalExport);
  const lines = await watched((o) => verifyExportLines(linesOf(text), o), publicKey);
  const linesThreaded = await watched(
    (o) => verifyExportLines(linesOf(text), { ...o, checks: pool }),
    publicKey,
  );
  expect(lines.report).not.toBeNull();
  expect(linesThreaded.report).toStrictEqual(lines.report);
  expect(JSON.stringify(linesThreaded.report)).toBe(JSON.stringify(lines.report));
  expect(linesThreaded.progress).toEqual(lines.progress);
  return single.report!;
}

const reasonsOf = (r: ExportVerification, fn: number) =>
  r.failures.filter((f) => f.fiscal_number === fn).map((f) => f.reason);

describe("verification on worker threads gives the one-thread report", () => {
  it("on a genuine export with reports (many batches)", async () => {
    const report = await sameOnThreads(doc, journal.publicKey);
    expect(report.ok).toBe(true);
    expect(report.counts.records).toBe(doc.records.length);
    expect(doc.records.length).toBeGreaterThan(8 * 4);
    expect(report.reports.days_checked).toBe(2);
  });

  it("with a tampered signature in the middle", async () => {
    const bad = tamperable(doc);
    const signature = fromBase64Url(bad.records[17]!.signature);
    signature[10]! ^= 0x40;
    bad.records[17]!.signature = toBase64Url(signature);
    const report = await sameOnThreads(bad, journal.publicKey);
    expect(reasonsOf(report, 18)).toContain("signature");
    expect(report.bad_fiscal_numbers).toEqual([18]);
  });

  it("with a record moved and another one duplicated", async () => {
    const bad = tamperable(doc);
    const [moved] = bad.records.splice(5, 1);
    bad.records.splice(21, 0, moved!);
    bad.records.splice(30, 0, JSON.parse(JSON.stringify(bad.records[9])));
    const report = await sameOnThreads(bad, journal.publicKey);
    const reasons = report.failures.map((f) => f.reason);
    expect(reasons).toContain("out_of_order");
    expect(reasons).toContain("duplicate");
  });

  it("with a truncated entry, a garbage entry and a wrong pinned key", async () => {
    const bad = tamperable(doc);
    bad.records[12]!.record = bad.records[12]!.record.slice(0, 40);
    (bad.records as unknown[])[25] = { fiscal_number: 26, record: 42 };
    (bad.records as unknown[])[26] = { hello: [1, 2, 3] };
    const report = await sameOnThreads(bad, journal.publicKey);
    expect(reasonsOf(report, 13).length).toBeGreaterThan(0);
    expect(reasonsOf(report, 26)).toEqual(["malformed"]);
    expect(report.failures.some((f) => f.index === 26 && f.reason === "malformed")).toBe(true);
    const otherKey = new Uint8Array(32).fill(7);
    const rekeyed = await sameOnThreads(doc, otherKey);
    expect(rekeyed.failures.filter((f) => f.reason === "signature")).toHaveLength(doc.records.length);
  });

  it("with a header the verifier cannot use (entries only counted)", async () => {
    const bad = tamperable(doc);
    bad.device.public_key = 12 as unknown as string;
    const report = await sameOnThreads(bad);
    expect(report.counts.records).toBe(doc.records.length);
    expect(report.document_issues.length).toBeGreaterThan(0);
  });

  it("gives up on a line that is not JSON, as the one-thread line reader does", async () => {
    const lines = (await exporterText(doc)).split("\n");
    const at = lines.findIndex((l) => l.startsWith("    {")) + 9;
    lines[at] = `${lines[at]!.slice(0, 30)},`;
    const text = lines.join("\n");
    expect(await verifyExportLines(linesOf(text))).toBeNull();
    expect(await verifyExportLines(linesOf(text), { checks: pool })).toBeNull();
  });
});

describe("the contract between the threads", () => {
  it("takes verdicts in file order only", () => {
    const verifier = new ExportVerifier(doc);
    const ctx = verifier.entryContext!;
    verifier.addVerdict(entryVerdictOf(doc.records[0], 0, ctx));
    expect(() => verifier.addVerdict(entryVerdictOf(doc.records[2], 2, ctx))).toThrow(/entry 1's verdict/);
  });

  it("rejects a batch a thread fails on, and batches still out when the pool stops", async () => {
    const broken = { context: null as never, first: 0, entries: [doc.records[0]], text: false };
    await expect(pool.check(broken)).rejects.toBeInstanceOf(EntryCheckThreadError);
    const stopping = new ExportCheckPool(1);
    stopping.start();
    const context = new ExportVerifier(doc).entryContext!;
    const out = stopping.check({ context, first: 0, entries: Array(400).fill(doc.records[0]), text: false });
    const rejected = expect(out).rejects.toBeInstanceOf(EntryCheckThreadError);
    await stopping.stop();
    await rejected;
  });

  it("has a CommonJS worker, so no thread is ever stopped inside a synchronous require(esm)", async () => {
    // Terminating a thread while Node loads an ES module for require() aborts the whole process
    // (cli/verify-worker.cts); piscina require()s its worker file first, so that file must be CommonJS.
    const handler: unknown = createRequire(import.meta.url)(verifyWorkerFile());
    expect(typeof handler).toBe("function");
    const context = new ExportVerifier(doc).entryContext!;
    const batch = { context, first: 0, entries: doc.records.slice(0, 3), text: false };
    const verdicts = await (handler as (b: typeof batch) => Promise<(EntryVerdict | null)[]>)(batch);
    expect(verdicts.map((v) => v?.failures)).toEqual([[], [], []]);
  });
});
