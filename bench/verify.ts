/**
 * bench/verify: throughput of the independent journal verifier on a generated export of real sealed
 * records (a synthetic device sealing with protocol's `sealRecord`, one hash chain from its activation
 * record). Each record costs two Ed25519 verifications (record and QR), a CBOR decode and a hash.
 * Two figures from the same export in the same run: `verifyExport` on one core (what an auditor's
 * laptop gets from one core), and `stalela verify`'s own path over all cores: the exporter's layout
 * read line by line, each entry's checks on one worker thread per core (cli/verify-pool.ts).
 * Flags: `--records N` (default 20,000).
 */

import { availableParallelism } from "node:os";
import { ExportCheckPool } from "../cli/verify-pool.js";
import { journalExportJson } from "../daemon/export/journal-export.js";
import { SyntheticDevice } from "../emulator/cloud/synthetic.js";
import {
  EXPORT_FORMAT,
  exportedRecordOf,
  type JournalExport,
  toHex,
  verifyExport,
  verifyExportLines,
} from "../protocol/index.js";
import { numberFlag } from "./flags.js";
import { fmt, isMain, msSince } from "./measure.js";

/** Records in the generated export by default. */
export const VERIFY_BENCH_RECORDS = 20_000;

const SHOP = { merchant_nif: "A1234567B", outlet_id: "OUTLET-V", fiscal_authority_id: "DGI-KIN-01" };

/** What bench/verify measures. */
export interface VerifyBench {
  readonly records: number;
  readonly seconds: number;
  /** `verifyExport` on one core. */
  readonly recordsPerSecond: number;
  readonly ok: boolean;
  /** Worker threads of the all-cores run: availableParallelism(). */
  readonly threads: number;
  /** `verifyExportLines` with the entries' checks on `threads` worker threads, pool start included. */
  readonly allCoresPerSecond: number;
  readonly allCoresOk: boolean;
}

/** An export of `n` sealed records of one synthetic device, as a document. */
export function syntheticExport(n: number): JournalExport {
  const device = new SyntheticDevice("BENCH-DEF-VERIFY", SHOP);
  const activation = device.activate(new Uint8Array(32));
  const records = Array.from({ length: n }, (_, i) => {
    const { sealed } = device.seal(`CASHIER-${i % 5}`, 1_000 + i);
    return exportedRecordOf(i + 1, sealed);
  });
  return {
    format: EXPORT_FORMAT,
    exported_at: new Date().toISOString(),
    device: {
      device_id: device.deviceId,
      public_key: toHex(device.publicKey),
      model: "synthetic",
      firmware: "bench",
      activation: {
        bytes: Buffer.from(activation.bytes).toString("base64url"),
        signature: Buffer.from(activation.signature).toString("base64url"),
      },
    },
    range: { from: 1, to: n, last_on_device: n },
    reports: [],
    records,
  };
}

/** The export's text exactly as `stalela device export` writes it (one entry per line). */
export async function exporterText(doc: JournalExport): Promise<string> {
  const { records, ...header } = doc;
  const pages = (async function* () {
    yield records;
  })();
  let text = "";
  for await (const chunk of journalExportJson({ header, pages })) text += chunk;
  return text;
}

async function* linesOf(text: string): AsyncGenerator<string, void, void> {
  yield* text.split("\n");
}

/** Verifies the parsed export with `verifyExport` on this thread; the document is dropped after. */
function verifyOnOneCore(json: string): { seconds: number; ok: boolean } {
  const parsed: unknown = JSON.parse(json);
  const t0 = process.hrtime.bigint();
  const report = verifyExport(parsed);
  return { seconds: msSince(t0) / 1000, ok: report.ok };
}

/** Verifies the export's text on `threads` worker threads, pool start included. */
async function verifyOnThreads(text: string, threads: number): Promise<{ seconds: number; ok: boolean }> {
  const t0 = process.hrtime.bigint();
  const pool = new ExportCheckPool(threads);
  pool.start();
  try {
    const report = await verifyExportLines(linesOf(text), { checks: pool });
    return { seconds: msSince(t0) / 1000, ok: report?.ok === true };
  } finally {
    await pool.stop();
  }
}

/** The export of `n` records as JSON and in the exporter's layout; the documents themselves are dropped. */
async function exportTexts(n: number): Promise<{ json: string; text: string }> {
  const doc = syntheticExport(n);
  return { json: JSON.stringify(doc), text: await exporterText(doc) };
}

/**
 * Builds an export of `n` sealed records and verifies it twice: round-tripped through JSON with
 * `verifyExport` on this thread, then from the exporter's text over every core. Only the two texts
 * stay in memory between the runs: a parsed document kept alive would make this thread's garbage
 * collections, which take every core, slow down the worker threads.
 */
export async function runVerifyBench(n = VERIFY_BENCH_RECORDS): Promise<VerifyBench> {
  const { json, text } = await exportTexts(n);
  const one = verifyOnOneCore(json);
  const threads = availableParallelism();
  const all = await verifyOnThreads(text, threads);
  return {
    records: n,
    seconds: one.seconds,
    recordsPerSecond: n / one.seconds,
    ok: one.ok,
    threads,
    allCoresPerSecond: n / all.seconds,
    allCoresOk: all.ok,
  };
}

if (isMain(import.meta.url)) {
  const r = await runVerifyBench(numberFlag("records", VERIFY_BENCH_RECORDS));
  console.log(
    `verifyExport, one core: ${fmt(r.records)} records in ${fmt(r.seconds, 2)} s = ${fmt(r.recordsPerSecond)} records/s (ok: ${r.ok})`,
  );
  console.log(
    `stalela verify path, ${r.threads} worker threads: ${fmt(r.allCoresPerSecond)} records/s (ok: ${r.allCoresOk}) = ${fmt(r.allCoresPerSecond / r.recordsPerSecond, 2)}× one core`,
  );
  if (!r.ok || !r.allCoresOk) process.exitCode = 1;
}
