/**
 * bench/verify: throughput of the independent journal verifier (protocol/audit `verifyExport`) on a
 * generated export of real sealed records (a synthetic device sealing with protocol's `sealRecord`,
 * one hash chain from its activation record). Each record costs two Ed25519 verifications (record and
 * QR), a CBOR decode and a hash; the figure is what an auditor's laptop gets from one core.
 * Flags: `--records N` (default 20,000).
 */

import { SyntheticDevice } from "../emulator/cloud/synthetic.js";
import {
  EXPORT_FORMAT,
  exportedRecordOf,
  type JournalExport,
  toHex,
  verifyExport,
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
  readonly recordsPerSecond: number;
  readonly ok: boolean;
}

/** Builds an export of `n` sealed records, round-trips it through JSON, and verifies it. */
export function runVerifyBench(n = VERIFY_BENCH_RECORDS): VerifyBench {
  const device = new SyntheticDevice("BENCH-DEF-VERIFY", SHOP);
  const activation = device.activate(new Uint8Array(32));
  const records = Array.from({ length: n }, (_, i) => {
    const { sealed } = device.seal(`CASHIER-${i % 5}`, 1_000 + i);
    return exportedRecordOf(i + 1, sealed);
  });
  const doc: JournalExport = {
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
  const parsed: unknown = JSON.parse(JSON.stringify(doc));
  const t0 = process.hrtime.bigint();
  const report = verifyExport(parsed);
  const seconds = msSince(t0) / 1000;
  return { records: n, seconds, recordsPerSecond: n / seconds, ok: report.ok };
}

if (isMain(import.meta.url)) {
  const r = runVerifyBench(numberFlag("records", VERIFY_BENCH_RECORDS));
  console.log(
    `verifyExport: ${fmt(r.records)} records in ${fmt(r.seconds, 2)} s = ${fmt(r.recordsPerSecond)} records/s (ok: ${r.ok})`,
  );
  if (!r.ok) process.exitCode = 1;
}
