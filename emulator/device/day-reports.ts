/**
 * The fiscal day on the device (docs/PROTOCOL.md §13): Z_REPORT closes it, with the monthly and
 * yearly closures it is the first Z after; X_REPORT reads it without closing; GET_REPORT returns a
 * journaled report; A_REPORT signs the digest of the articles of a range of invoices. Figures are
 * computed from the device's own journal (records and the invoices it keeps), never from the host.
 */
import {
  type ArgsOf,
  articlesHash,
  articlesOf,
  type CanonicalInvoiceV2,
  type Closure,
  type DayReport,
  decodeReport,
  decodeStored,
  FiscalError,
  type FiscalRecord,
  figuresOf,
  fiscalMonthOf,
  fiscalYearOf,
  genesisHash,
  type PeriodEntry,
  type ReportRecord,
  type ResultOf,
  recordHash,
  type SealedReport,
  sealReport,
  sumFigures,
  type ZReport,
} from "../../protocol/index.js";
import type { ReportAppend, StoredActivation, StoredReport } from "../store/fiscal-memory.js";
import type { JournalRow } from "../store/journal-queries.js";
import type { FiscalDevice } from "./fiscal-device.js";

/**
 * The period entries of journal rows: each record, and the invoice the journal keeps for it. The
 * device wrote both itself at COMMIT, after checking them, so they are read back with the decoder
 * for stored bytes (no canonical re-check, no schema): that makes a Z over a day of 10,000 invoices
 * three times faster (1.8 s to 0.6 s, docs/BENCHMARKS.md §Fiscal day).
 */
function entriesOf(rows: readonly JournalRow[]): PeriodEntry[] {
  return rows.map((row) => {
    const record = decodeStored(row.sealed.record) as unknown as FiscalRecord;
    const invoice =
      row.invoice === null ? undefined : (decodeStored(row.invoice) as unknown as CanonicalInvoiceV2);
    return invoice === undefined ? { record } : { record, invoice };
  });
}

/** What a report of this device carries whatever its kind. */
function common(
  device: FiscalDevice,
  activation: StoredActivation,
  isf: string,
  issuedAt: number,
  prevHash: Uint8Array,
) {
  return {
    v: 1 as const,
    device_id: device.deviceId,
    merchant_nif: activation.merchant_nif,
    outlet_id: activation.outlet_id,
    fiscal_authority_id: activation.fiscal_authority_id,
    isf,
    issued_at: issuedAt,
    after_fiscal_number: device.memory.lastFiscalNumber,
    prev_hash: prevHash,
  };
}

/** The chain tip: the last record's or journaled report's hash, or the genesis hash. */
function chainTip(device: FiscalDevice, activation: StoredActivation): Uint8Array {
  return device.memory.head.lastHash ?? genesisHash(activation.activation.bytes);
}

/** The day report (Z or X) of the invoices since the last Z, chained to `prevHash`. */
function dayReport(
  device: FiscalDevice,
  activation: StoredActivation,
  kind: DayReport["kind"],
  isf: string,
  issuedAt: number,
  prevHash: Uint8Array,
): DayReport {
  const lastZ = device.memory.reports.latest("Z_REPORT");
  const from = (lastZ?.afterFiscalNumber ?? 0) + 1;
  const last = device.memory.lastFiscalNumber;
  const entries = entriesOf(from <= last ? device.memory.queries.span(from, last) : []);
  return {
    kind,
    ...common(device, activation, isf, issuedAt, prevHash),
    number: (lastZ?.number ?? 0) + 1,
    period_from: entries[0]?.record.issued_at ?? null,
    first_fiscal_number: entries.length === 0 ? null : from,
    last_fiscal_number: entries.length === 0 ? null : last,
    incomplete: device.memory.incomplete,
    figures: figuresOf(entries),
    prev_report_hash: lastZ?.recordHash ?? genesisHash(activation.activation.bytes),
  } as DayReport;
}

/** The closure of `kind` over the Z reports made since the previous one of its kind. */
function closure(
  device: FiscalDevice,
  activation: StoredActivation,
  kind: Closure["kind"],
  period: string,
  isf: string,
  issuedAt: number,
  prevHash: Uint8Array,
): Closure {
  const previous = device.memory.reports.latest(kind);
  const sinceZ = previous === undefined ? 0 : (decodeReport(previous.sealed.record) as Closure).z_last;
  const zs = device.memory.reports
    .after("Z_REPORT", sinceZ)
    .map((z) => decodeReport(z.sealed.record) as ZReport);
  const covered = zs.filter((z) => z.first_fiscal_number !== null);
  return {
    kind,
    ...common(device, activation, isf, issuedAt, prevHash),
    number: (previous?.number ?? 0) + 1,
    period,
    z_first: zs[0]!.number,
    z_last: zs[zs.length - 1]!.number,
    first_fiscal_number: covered[0]?.first_fiscal_number ?? null,
    last_fiscal_number: covered[covered.length - 1]?.last_fiscal_number ?? null,
    incomplete: zs.reduce((sum, z) => sum + z.incomplete, 0),
    figures: sumFigures(zs.map((z) => z.figures)),
    prev_report_hash: previous?.recordHash ?? genesisHash(activation.activation.bytes),
  } as Closure;
}

/** The row a journaled report is stored as. */
function appendOf(report: ZReport | Closure, sealed: SealedReport): ReportAppend {
  return {
    kind: report.kind,
    number: report.number,
    issuedAt: report.issued_at,
    afterFiscalNumber: report.after_fiscal_number,
    period: "period" in report ? report.period : null,
    sealed,
    recordHash: recordHash(sealed.record),
  };
}

/**
 * The closures a Z made at `now` must come after: the month of the previous Z when `now` is in a
 * later month, and its year when `now` is in a later year (§13.4).
 */
function closuresDue(
  lastZ: StoredReport | undefined,
  now: number,
): { kind: Closure["kind"]; period: string }[] {
  if (lastZ === undefined) return [];
  const due: { kind: Closure["kind"]; period: string }[] = [];
  if (fiscalMonthOf(lastZ.issuedAt) !== fiscalMonthOf(now)) {
    due.push({ kind: "MONTH_CLOSURE", period: fiscalMonthOf(lastZ.issuedAt) });
  }
  if (fiscalYearOf(lastZ.issuedAt) !== fiscalYearOf(now)) {
    due.push({ kind: "YEAR_CLOSURE", period: String(fiscalYearOf(lastZ.issuedAt)) });
  }
  return due;
}

/** Executes Z_REPORT: closes the day, after the closures due, in one atomic append. */
export function zReport(device: FiscalDevice, args: ArgsOf<"Z_REPORT">): ResultOf<"Z_REPORT"> {
  const activation = device.assertActivated();
  const now = device.clock.assertValid();
  const lastZ = device.memory.reports.latest("Z_REPORT");
  const next = (lastZ?.number ?? 0) + 1;
  if (args.number !== next) {
    throw new FiscalError(
      "REPORT_NUMBER_MISMATCH",
      `the next Z is number ${next}, not ${args.number}${args.number < next ? `: Z ${args.number} is already made` : ""}`,
      { next },
    );
  }
  const seed = device.memory.identity.seed;
  let tip = chainTip(device, activation);
  const closures: SealedReport[] = [];
  const rows: ReportAppend[] = [];
  for (const due of closuresDue(lastZ, now)) {
    const report = closure(device, activation, due.kind, due.period, args.isf, now, tip);
    const sealed = sealReport(report, seed);
    closures.push(sealed);
    rows.push(appendOf(report, sealed));
    tip = recordHash(sealed.record);
  }
  const z = dayReport(device, activation, "Z_REPORT", args.isf, now, tip) as ZReport;
  const sealed = sealReport(z, seed);
  rows.push(appendOf(z, sealed));
  device.memory.appendReports(rows);
  return { report: sealed, closures };
}

/** Executes X_REPORT: the figures since the last Z, signed, journaling nothing. */
export function xReport(device: FiscalDevice, args: ArgsOf<"X_REPORT">): ResultOf<"X_REPORT"> {
  const activation = device.assertActivated();
  const now = device.clock.assertValid();
  const x = dayReport(device, activation, "X_REPORT", args.isf, now, chainTip(device, activation));
  return { report: sealReport(x, device.memory.identity.seed) };
}

/** Executes GET_REPORT: a journaled report by kind and number, or the latest of its kind. */
export function getReport(device: FiscalDevice, args: ArgsOf<"GET_REPORT">): ResultOf<"GET_REPORT"> {
  const reports = device.memory.reports;
  const latest = reports.latest(args.kind);
  const found = args.number === undefined ? latest : reports.get(args.kind, args.number);
  if (found === undefined) {
    throw new FiscalError(
      "RECORD_NOT_FOUND",
      args.number === undefined ? `no ${args.kind} yet` : `no ${args.kind} number ${args.number}`,
    );
  }
  return { report: found.sealed, last: latest?.number ?? 0 };
}

/** Executes A_REPORT over fiscal numbers `from` … `to`, which must all be in the journal. */
export function aReport(device: FiscalDevice, args: ArgsOf<"A_REPORT">): ResultOf<"A_REPORT"> {
  const activation = device.assertActivated();
  const now = device.clock.assertValid();
  const last = device.memory.lastFiscalNumber;
  if (args.from > args.to) {
    throw new FiscalError("MESSAGE_INVALID", `from ${args.from} is after to ${args.to}`);
  }
  if (args.to > last)
    throw new FiscalError("RECORD_NOT_FOUND", `no fiscal number ${args.to}: the last is ${last}`);
  const lines = articlesOf(entriesOf(device.memory.queries.span(args.from, args.to)));
  const report: ReportRecord = {
    kind: "A_REPORT",
    ...common(device, activation, args.isf, now, chainTip(device, activation)),
    first_fiscal_number: args.from,
    last_fiscal_number: args.to,
    article_count: lines.length,
    articles_hash: articlesHash(lines),
  };
  return { report: sealReport(report, device.memory.identity.seed) };
}
