/**
 * Builds a journal export (docs/EXPORT.md) from anything that answers INFO and JOURNAL_READ: the
 * daemon's FiscalDevice over a transport, or an emulator's device core directly. It reads page by
 * page, so a million-record journal streams to disk without being held in memory, and it copies the
 * sealed bytes exactly as the device returned them: checking them is the verifier's job, not ours.
 */
import {
  type ArgsOf,
  type Command,
  decodeRecord,
  decodeReport,
  EXPORT_FORMAT,
  type ExportedPrint,
  type ExportedRecord,
  type ExportedReport,
  exportedDeviceOf,
  exportedRecordOf,
  exportedReportOf,
  FiscalError,
  isFiscalError,
  JOURNAL_PAGE_MAX,
  JOURNALED_REPORT_KINDS,
  type JournalExport,
  type ResultOf,
} from "../../protocol/index.js";

/** What the exporter needs from a device. The daemon's FiscalDevice has exactly this shape. */
export interface JournalReader {
  info(): Promise<ResultOf<"INFO">>;
  readJournal(from: number, limit: number): Promise<ResultOf<"JOURNAL_READ">>;
  getReport(args: ArgsOf<"GET_REPORT">): Promise<ResultOf<"GET_REPORT">>;
}

/** Progress of an export: records written out of those the range holds. */
export interface ExportProgress {
  readonly done: number;
  readonly total: number;
  /** The last fiscal number written. */
  readonly fiscalNumber: number;
}

/** Options of an export. */
export interface ExportJournalOptions {
  /** First fiscal number (default 1). */
  readonly from?: number;
  /** Last fiscal number (default: the device's last). Beyond the device's last is refused. */
  readonly to?: number;
  /** Records per JOURNAL_READ, 1…JOURNAL_PAGE_MAX (default JOURNAL_PAGE_MAX). */
  readonly pageSize?: number;
  /** Called after every page. */
  readonly onProgress?: (progress: ExportProgress) => void;
  /** The export time (default: now). */
  readonly now?: () => Date;
  /**
   * The receipts printed of a record (the daemon's receipt log, daemon/store/receipt-prints.ts), for
   * each entry's `prints` (format /3); without it, entries carry none.
   */
  readonly printsOf?: (deviceId: string, fiscalNumber: number) => readonly ExportedPrint[];
}

/** An export under way: its header is known, its records come page by page. */
export interface JournalExportStream {
  readonly header: Omit<JournalExport, "records">;
  readonly pages: AsyncGenerator<readonly ExportedRecord[], void, void>;
}

/** Adapts a command executor (an emulator's `FiscalDevice.execute`, bound) to a JournalReader. */
export function commandJournalReader(
  execute: <C extends Command>(cmd: C, args: ArgsOf<C>) => ResultOf<C> | Promise<ResultOf<C>>,
): JournalReader {
  return {
    info: async () => execute("INFO", {}),
    readJournal: async (from, limit) => execute("JOURNAL_READ", { from, limit }),
    getReport: async (args) => execute("GET_REPORT", args),
  };
}

/**
 * Starts an export: reads INFO and the first page (which tells the device's last fiscal number), then
 * yields the records page by page. Throws DEVICE_NOT_ACTIVATED for a device without an activation and
 * RECORD_NOT_FOUND for a range the device does not hold.
 */
export async function openJournalExport(
  reader: JournalReader,
  options: ExportJournalOptions = {},
): Promise<JournalExportStream> {
  const from = options.from ?? 1;
  const pageSize = options.pageSize ?? JOURNAL_PAGE_MAX;
  if (!Number.isSafeInteger(from) || from < 1) throw new FiscalError("FIELD_RANGE", "from must be ≥ 1");
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > JOURNAL_PAGE_MAX) {
    throw new FiscalError("FIELD_RANGE", `the page size must be from 1 to ${JOURNAL_PAGE_MAX}`);
  }
  const info = await reader.info();
  if (info.activation === null) {
    throw new FiscalError("DEVICE_NOT_ACTIVATED", `device ${info.device_id} has no journal to export`);
  }
  const first = await reader.readJournal(from, pageSize);
  const last = first.last;
  if (options.to !== undefined && (!Number.isSafeInteger(options.to) || options.to < from)) {
    throw new FiscalError("FIELD_RANGE", `the range ${from}–${options.to} is empty`);
  }
  // Without --to: up to the device's last record (an empty export when the journal is empty).
  const to = options.to ?? Math.max(last, from - 1);
  if (to > last) {
    throw new FiscalError(
      "RECORD_NOT_FOUND",
      `the device's last fiscal number is ${last}; ${to} does not exist`,
    );
  }
  const header: Omit<JournalExport, "records"> = {
    format: EXPORT_FORMAT,
    exported_at: (options.now?.() ?? new Date()).toISOString(),
    device: exportedDeviceOf({ ...info, activation: info.activation }),
    range: { from, to, last_on_device: last },
    reports: await readReports(reader, from, to),
  };
  const withPrints = (record: ExportedRecord): ExportedRecord => {
    const prints = options.printsOf?.(info.device_id, record.fiscal_number) ?? [];
    return prints.length === 0 ? record : { ...record, prints };
  };
  return { header, pages: readPages(reader, first, from, to, pageSize, options.onProgress, withPrints) };
}

/**
 * The journaled reports made after fiscal numbers `from − 1` … `to` (docs/EXPORT.md §1), by kind
 * then number: each kind is read from its latest back (GET_REPORT by number), until a report made
 * before `from − 1`. A report whose bytes do not decode is copied all the same: the verifier says why.
 */
async function readReports(reader: JournalReader, from: number, to: number): Promise<ExportedReport[]> {
  const reports: ExportedReport[] = [];
  for (const kind of JOURNALED_REPORT_KINDS) {
    let last: number;
    try {
      last = (await reader.getReport({ kind })).last;
    } catch (err) {
      if (isFiscalError(err, "RECORD_NOT_FOUND")) continue; // none of this kind yet
      throw err;
    }
    const ofKind: ExportedReport[] = [];
    for (let number = last; number >= 1; number--) {
      const { report } = await reader.getReport({ kind, number });
      const after = afterOf(report.record);
      if (after !== null && after < from - 1) break;
      if (after === null || after <= to) ofKind.push(exportedReportOf(kind, number, report));
    }
    reports.push(...ofKind.reverse());
  }
  return reports;
}

/** A report's after_fiscal_number, or null when its bytes are not a report. */
function afterOf(recordBytes: Uint8Array): number | null {
  try {
    return decodeReport(recordBytes).after_fiscal_number;
  } catch {
    return null;
  }
}

async function* readPages(
  reader: JournalReader,
  first: ResultOf<"JOURNAL_READ">,
  from: number,
  to: number,
  pageSize: number,
  onProgress: ExportJournalOptions["onProgress"],
  withPrints: (record: ExportedRecord) => ExportedRecord,
): AsyncGenerator<readonly ExportedRecord[], void, void> {
  const total = Math.max(0, to - from + 1);
  let page = first;
  let next = from;
  let done = 0;
  while (next <= to) {
    const records = page.entries
      .map((sealed, i) => withPrints(exportedRecordOf(fiscalNumberOf(sealed.record, next + i), sealed)))
      .filter((r) => r.fiscal_number <= to);
    if (records.length === 0) {
      throw new FiscalError("JOURNAL_CORRUPT", `JOURNAL_READ from ${next} returned no record before ${to}`);
    }
    done += records.length;
    const nextFrom: number | null = page.next;
    if (nextFrom !== null && nextFrom <= next) {
      throw new FiscalError("JOURNAL_CORRUPT", `JOURNAL_READ from ${next} points back to ${nextFrom}`);
    }
    yield records;
    onProgress?.({ done, total, fiscalNumber: records[records.length - 1]!.fiscal_number });
    if (nextFrom === null || nextFrom > to) break;
    next = nextFrom;
    page = await reader.readJournal(next, Math.min(pageSize, to - next + 1));
  }
}

/** The fiscal number inside record bytes; its position when they do not decode (the verifier will say why). */
function fiscalNumberOf(recordBytes: Uint8Array, position: number): number {
  try {
    return decodeRecord(recordBytes).fiscal_number;
  } catch {
    return position;
  }
}

/** Reads a whole export into memory (tests, small ranges). */
export async function exportJournal(
  reader: JournalReader,
  options: ExportJournalOptions = {},
): Promise<JournalExport> {
  const { header, pages } = await openJournalExport(reader, options);
  const records: ExportedRecord[] = [];
  for await (const page of pages) records.push(...page);
  return { ...header, records };
}

/**
 * The export as JSON text chunks: the header, then one record per line, so a file is written page by
 * page and stays readable (and diffable) by an auditor. JSON.parse of the joined chunks gives the
 * same document `exportJournal` returns.
 */
export async function* journalExportJson(stream: JournalExportStream): AsyncGenerator<string, void, void> {
  const { reports, ...rest } = stream.header;
  // One report per line too, like the records: the header stays short and greppable.
  let headerText = JSON.stringify(rest, null, 2);
  if (reports !== undefined) {
    const lines = reports.map((r) => `    ${JSON.stringify(r)}`).join(",\n");
    const list = reports.length === 0 ? "[]" : `[\n${lines}\n  ]`;
    headerText = `${headerText.slice(0, headerText.lastIndexOf("}")).trimEnd()},\n  "reports": ${list}\n}`;
  }
  yield `${headerText.slice(0, headerText.lastIndexOf("}")).trimEnd()},\n  "records": [`;
  let count = 0;
  for await (const page of stream.pages) {
    let chunk = "";
    for (const record of page) chunk += `${count++ === 0 ? "" : ","}\n    ${JSON.stringify(record)}`;
    yield chunk;
  }
  yield count === 0 ? "]\n}\n" : "\n  ]\n}\n";
}
