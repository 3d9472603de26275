/**
 * SELF_TEST: the device checks itself the way an auditor would check it, and locks itself
 * (SELF_TEST_FAILED) when anything is wrong, so a damaged device stops sealing instead of sealing
 * records nobody can trust. A later passing self-test clears that lock.
 */
import { randomBytes } from "node:crypto";
import {
  bytesEqual,
  chainTipAfter,
  genesisHash,
  openSealedRecord,
  openSealedReport,
  type ReportLink,
  type ResultOf,
  recordHash,
  reportName,
  reportsAfter,
  SignContext,
  sha256,
  signWith,
  toHex,
  verifyWith,
} from "../../protocol/index.js";
import { SELF_TEST_RECORDS } from "../config.js";
import { type FiscalDevice, LOCK_SELF_TEST_FAILED } from "./fiscal-device.js";

/** One line of the self-test report. */
interface Check {
  name: string;
  passed: boolean;
  detail?: string;
}

function run(name: string, check: () => string | undefined): Check {
  try {
    const failure = check();
    return failure === undefined ? { name, passed: true } : { name, passed: false, detail: failure };
  } catch (err) {
    return { name, passed: false, detail: (err as Error).message };
  }
}

function keyPairCheck(device: FiscalDevice): string | undefined {
  const { seed, publicKey } = device.memory.identity;
  const probe = new Uint8Array(randomBytes(32));
  const signature = signWith(seed, SignContext.RECORD, probe);
  return verifyWith(publicKey, SignContext.RECORD, probe, signature)
    ? undefined
    : "a probe signed with the device key does not verify with its public key";
}

/**
 * Re-verifies the newest SELF_TEST_RECORDS records: signatures, QR, numbering, the hash chain with
 * the journaled reports between them (each report's signature too), and that each kept invoice still
 * hashes to its record's payload_hash.
 */
function journalCheck(device: FiscalDevice): string | undefined {
  const head = device.memory.head;
  const activation = device.activation;
  // One record more than checked, so the oldest checked record's prev_hash can be compared too.
  const rows = device.memory.queries.tail(SELF_TEST_RECORDS + 1);
  const firstPlace = rows.length === 0 ? 0 : rows[0]!.fiscalNumber;
  const reports = new Map<number, ReportLink[]>();
  for (const r of device.memory.reports.placedFrom(Math.max(0, firstPlace - 1))) {
    const report = openSealedReport(r.sealed, device.publicKey);
    const link = { hash: toHex(r.recordHash), prev: toHex(report.prev_hash) };
    if (link.hash !== toHex(recordHash(r.sealed.record)))
      return `${reportName(report)}: its stored hash is wrong`;
    reports.set(r.afterFiscalNumber, [...(reports.get(r.afterFiscalNumber) ?? []), link]);
  }
  if (rows.length === 0 && reports.size === 0) return undefined;
  if (activation === null) return "records exist on a device that was never activated";
  const genesis = toHex(genesisHash(activation.activation.bytes));
  /** The end of the reports' path after the entry hashed `start`; undefined when one is off it. */
  const after = (place: number, start: string): string | undefined => {
    const placed = reports.get(place) ?? [];
    const { unlinked } = reportsAfter(start, placed);
    return unlinked.length > 0 ? undefined : chainTipAfter(start, placed);
  };
  let prev: string | undefined = firstPlace === 0 ? after(0, genesis) : undefined;
  let expectedNumber = rows[0]?.fiscalNumber ?? 1;
  for (const [i, row] of rows.entries()) {
    if (row.fiscalNumber !== expectedNumber) return `fiscal number ${expectedNumber} is missing`;
    expectedNumber++;
    const record = openSealedRecord(row.sealed, device.publicKey);
    if (record.fiscal_number !== row.fiscalNumber) return `row ${row.fiscalNumber} holds another record`;
    if (row.invoice !== null && !bytesEqual(sha256(row.invoice), record.payload_hash)) {
      return `record ${record.fiscal_number}: the kept invoice does not hash to its payload_hash`;
    }
    if (i === 0 && record.fiscal_number === 1) prev = after(0, genesis);
    if ((i > 0 || record.fiscal_number === 1) && (prev === undefined || toHex(record.prev_hash) !== prev)) {
      return `record ${record.fiscal_number} does not chain to the entry before it`;
    }
    prev = after(record.fiscal_number, toHex(recordHash(row.sealed.record)));
    if (prev === undefined) return `a report after record ${record.fiscal_number} does not chain`;
  }
  if (head.lastHash === null || prev === undefined || toHex(head.lastHash) !== prev) {
    return `the stored chain tip ${head.lastHash ? toHex(head.lastHash) : "null"} is not the last entry's hash`;
  }
  return undefined;
}

function countersCheck(device: FiscalDevice): string | undefined {
  const head = device.memory.head;
  const counts = device.memory.queries.counts();
  if (counts.rows !== head.lastFiscalNumber || counts.maxFiscalNumber !== head.lastFiscalNumber) {
    return `counter is ${head.lastFiscalNumber} but the journal holds ${counts.rows} rows up to ${counts.maxFiscalNumber}`;
  }
  for (const [type, counter] of Object.entries(head.typeCounters)) {
    const rows = counts.byType[type] ?? { rows: 0, maxTypeNumber: 0 };
    if (rows.rows !== counter || rows.maxTypeNumber !== counter) {
      return `${type} counter is ${counter} but the journal holds ${rows.rows} ${type} rows`;
    }
  }
  const years = new Set([...head.yearCounters.keys()].map(String).concat(Object.keys(counts.byYear)));
  for (const year of years) {
    const counter = head.yearCounters.get(Number(year)) ?? 0;
    const rows = counts.byYear[year] ?? { rows: 0, maxYearNumber: 0 };
    if (rows.rows !== counter || rows.maxYearNumber !== counter) {
      return `fiscal year ${year} counter is ${counter} but the journal holds ${rows.rows} rows of that year`;
    }
  }
  return undefined;
}

/** Executes SELF_TEST; locks the device on failure and unlocks a self-test lock on success. */
export function selfTest(device: FiscalDevice): ResultOf<"SELF_TEST"> {
  const checks = [
    run("key_pair", () => keyPairCheck(device)),
    run("journal_chain", () => journalCheck(device)),
    run("counters", () => countersCheck(device)),
    run("storage", () => {
      const result = device.memory.quickCheck();
      return result === "ok" ? undefined : `quick_check: ${result}`;
    }),
    run("clock", () =>
      device.clock.isValid() ? undefined : "device time is before the last record's issued_at",
    ),
  ];
  const passed = checks.every((c) => c.passed);
  const lock = device.memory.lockReason;
  if (!passed && lock === null) device.memory.setLockReason(LOCK_SELF_TEST_FAILED);
  if (passed && lock === LOCK_SELF_TEST_FAILED) device.memory.setLockReason(null);
  return { passed, checks };
}
