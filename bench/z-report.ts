/**
 * bench/z-report: closing a fiscal day on the emulated DEF (docs/PROTOCOL.md §13), in-process on its
 * firmware and SQLite fiscal memory: the time of the Z after a day of N invoices (10,000 by default),
 * of an X and of the A report over the same day, the Z record's size, and what the journal costs per
 * invoice with and without the invoice lines it keeps (§10.5). `node dist/bench/z-report.js [N]`.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { resolveDeviceConfig } from "../emulator/config.js";
import { DEV_CLOUD_ROOT_SEED } from "../emulator/dev-keys.js";
import { FiscalDevice } from "../emulator/device/fiscal-device.js";
import { FISCAL_MEMORY_FILE } from "../emulator/store/fiscal-memory.js";
import { invoiceHash, signActivationBundle } from "../protocol/index.js";
import { benchInvoice } from "./invoices.js";
import { fmt, isMain, msSince, percentiles } from "./measure.js";

/** Invoices in the bench's day. */
export const Z_BENCH_INVOICES = 10_000;
/** X reports timed over the full day (each recomputes what the Z does). */
const X_SAMPLES = 5;

/** What bench/z-report measures. */
export interface ZReportBench {
  readonly invoices: number;
  /** The one Z that closes the day, ms. */
  readonly zMs: number;
  /** X reports over the same day, p50 ms. */
  readonly xP50Ms: number;
  /** The A report over the day's fiscal numbers, ms. */
  readonly aMs: number;
  /** The Z record's canonical bytes. */
  readonly zRecordBytes: number;
  /** Journal bytes per invoice without the lines: record, signature, Code DEF/DGI and QR. */
  readonly journalWithoutLines: number;
  /** The same with the canonical invoice the device keeps (its lines). */
  readonly journalWithLines: number;
  /** The fiscal memory's file (and WAL) per invoice, SQLite's overhead included. */
  readonly fileBytesPerInvoice: number;
}

/** Runs the bench in a temporary state directory, which it removes afterwards. */
export function runZReportBench(n = Z_BENCH_INVOICES): ZReportBench {
  const stateDir = mkdtempSync(join(tmpdir(), "stalela-bench-z-"));
  let clock = Date.UTC(2026, 10, 20, 7);
  const device = new FiscalDevice(
    stateDir,
    resolveDeviceConfig({ journalCapacity: 10_000_000, systemNow: () => clock }),
  );
  try {
    device.start();
    const bundle = signActivationBundle(
      {
        kind: "ACTIVATION_BUNDLE",
        v: 1,
        bundle_id: "BENCH-Z",
        device_id: device.deviceId,
        merchant_nif: "A1234567B",
        outlet_id: "OUTLET-1",
        fiscal_authority_id: "DGI-KIN-01",
        issued_at: clock,
      },
      DEV_CLOUD_ROOT_SEED,
    );
    device.execute("ACTIVATE", { bundle });
    for (let i = 0; i < n; i++) {
      clock += 3_000;
      const invoice = benchInvoice("Z", i);
      const { nonce } = device.execute("PREPARE", { invoice });
      device.execute("COMMIT", { nonce, payload_hash: invoiceHash(invoice) });
    }
    const xs: number[] = [];
    for (let i = 0; i < X_SAMPLES; i++) {
      const t = process.hrtime.bigint();
      device.execute("X_REPORT", { isf: "ISF-BENCH-0001" });
      xs.push(msSince(t));
    }
    let t = process.hrtime.bigint();
    device.execute("A_REPORT", { isf: "ISF-BENCH-0001", from: 1, to: n });
    const aMs = msSince(t);
    t = process.hrtime.bigint();
    const z = device.execute("Z_REPORT", { isf: "ISF-BENCH-0001", number: 1 });
    const zMs = msSince(t);
    device.stop();
    const db = new Database(join(stateDir, FISCAL_MEMORY_FILE), { readonly: true });
    const bytes = db
      .prepare(
        `SELECT AVG(length(record) + length(signature) + length(auth_code) + length(qr)) AS bare,
                AVG(length(invoice)) AS lines FROM journal`,
      )
      .get() as { bare: number; lines: number };
    db.close();
    const files = [FISCAL_MEMORY_FILE, `${FISCAL_MEMORY_FILE}-wal`].reduce((sum, f) => {
      try {
        return sum + statSync(join(stateDir, f)).size;
      } catch {
        return sum;
      }
    }, 0);
    return {
      invoices: n,
      zMs,
      xP50Ms: percentiles(xs).p50,
      aMs,
      zRecordBytes: z.report.record.length,
      journalWithoutLines: bytes.bare,
      journalWithLines: bytes.bare + bytes.lines,
      fileBytesPerInvoice: files / n,
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The bench's table for docs/BENCHMARKS.md. */
export function formatZReportBench(b: ZReportBench): string {
  return [
    `A day of ${fmt(b.invoices)} invoices (two lines in two tax groups each), on the emulator's firmware in-process:`,
    "",
    "| measure | value |",
    "| --- | --- |",
    `| Z report that closes the day (figures from the journal, sign, one atomic append) | ${fmt(b.zMs, 1)} ms |`,
    `| X report over the same day, p50 of ${X_SAMPLES} | ${fmt(b.xP50Ms, 1)} ms |`,
    `| A report over the same day (article lines and their digest) | ${fmt(b.aMs, 1)} ms |`,
    `| Z record | ${fmt(b.zRecordBytes)} bytes |`,
    `| journal per invoice, without lines (record, signature, code, QR) | ${fmt(b.journalWithoutLines)} bytes |`,
    `| journal per invoice, with the lines the device keeps | ${fmt(b.journalWithLines)} bytes |`,
    `| fiscal memory file per invoice (SQLite pages and indexes included) | ${fmt(b.fileBytesPerInvoice)} bytes |`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  console.log(formatZReportBench(runZReportBench(Number(process.argv[2] ?? Z_BENCH_INVOICES))));
}
