/**
 * `stalela device export --out FILE [--from N] [--to N] [--device URI] [--json]`: reads the DEF's
 * journal page by page and writes a journal export (docs/EXPORT.md) that `stalela verify` checks.
 * With a daemon answering on the state directory's admin.sock, the pages come through it (it holds
 * the port: daemon/admin/device-routes.ts); otherwise the device is opened directly. The file is
 * written under a temporary name and renamed at the end, so an interrupted export never looks complete.
 */
import { existsSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import type { AdminClient } from "../../daemon/admin/client.js";
import { infoFromReport, journalFromPage, reportFromPage } from "../../daemon/admin/device-routes.js";
import {
  type JournalReader,
  journalExportJson,
  openJournalExport,
} from "../../daemon/export/journal-export.js";
import { ReceiptPrints } from "../../daemon/store/receipt-prints.js";
import type { ExportedPrint } from "../../protocol/index.js";
import { FiscalError } from "../../protocol/index.js";
import { afterHelp } from "../help.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { openStore, STORE_FILE, stateDirOf } from "../state.js";
import { type DeviceFlags, positiveInt, viaDaemonOrDevice, withDeviceOptions } from "./device-connect.js";

interface ExportOptions extends DeviceFlags, OutputOptions {
  readonly out: string;
  readonly from?: number;
  readonly to?: number;
  readonly force?: boolean;
}

/**
 * The journal through the daemon's admin channel, in the shape the exporter reads a device in. Each
 * entry keeps its invoice bytes (hex in the admin answer), so an export through the daemon is the
 * same file as one read from the device directly.
 */
export function daemonJournalReader(admin: AdminClient): JournalReader {
  return {
    info: async () => infoFromReport(await admin.deviceInfo()),
    readJournal: async (from, limit) => journalFromPage(await admin.deviceJournal(from, limit)),
    getReport: async ({ kind, number }) => reportFromPage(await admin.deviceReport(kind, number)),
  };
}

/** Registers `export` under the `device` command group. */
export function registerDeviceExportCommand(device: Command): void {
  withDeviceOptions(
    device
      .command("export")
      .description("help.device.export")
      .requiredOption("--out <file>", "help.device.export.out")
      .option("--from <n>", "help.device.export.from", positiveInt)
      .option("--to <n>", "help.device.export.to", positiveInt)
      .option("--force", "help.device.export.force"),
  )
    .addHelpText("after", afterHelp("help.device.export.after"))
    .action((opts: ExportOptions) => runAction(opts, () => exportCommand(opts)));
}

async function exportCommand(opts: ExportOptions): Promise<void> {
  const { result: header, via } = await viaDaemonOrDevice(opts, {
    daemon: (admin) => writeExport(daemonJournalReader(admin), opts),
    device: (d) => writeExport(d, opts),
  });
  const summary = {
    file: opts.out,
    format: header.format,
    device_id: header.device.device_id,
    public_key: header.device.public_key,
    range: header.range,
    records: Math.max(0, header.range.to - header.range.from + 1),
    reports: header.reports?.length ?? 0,
    via,
  };
  printResult(opts, summary, () => [
    `exported fiscal numbers ${header.range.from}–${header.range.to} (${summary.records} records, ${summary.reports} Z reports and closures) of ${summary.device_id} to ${opts.out} (via the ${via})`,
    `  device key ${summary.public_key}`,
    `  check it with: \`stalela verify ${opts.out} --pubkey KEY\`, KEY being the key registered for ${summary.device_id}`,
  ]);
}

/** Writes the export of `reader` to `opts.out` (through `<out>.partial`); returns its header. */
async function writeExport(reader: JournalReader, opts: ExportOptions) {
  const progress = opts.json !== true && process.stderr.isTTY === true;
  const partial = `${opts.out}.partial`;
  let file: Awaited<ReturnType<typeof open>> | null = null;
  const prints = receiptLogOf(opts);
  try {
    const stream = await openJournalExport(reader, {
      from: opts.from,
      to: opts.to,
      ...(prints === undefined ? {} : { printsOf: prints.printsOf }),
      onProgress: progress
        ? ({ done, total }) =>
            process.stderr.write(`\rexporting ${done}/${total}${done === total ? "\n" : ""}`)
        : undefined,
    });
    if (opts.force !== true && (await exists(opts.out))) {
      throw new FiscalError("FIELD_RANGE", `${opts.out} exists (use --force to overwrite)`);
    }
    file = await open(partial, "w", 0o640);
    for await (const chunk of journalExportJson(stream)) await file.write(chunk);
    await file.sync();
    await file.close();
    file = null;
    await rename(partial, opts.out);
    return stream.header;
  } catch (err) {
    if (file !== null) await file.close();
    await rm(partial, { force: true });
    throw err;
  } finally {
    prints?.close();
  }
}

/**
 * The daemon's receipt log, for each entry's `prints` (docs/EXPORT.md §1, format /3): read from the
 * store of the state directory, whether the export goes through the daemon or to the device
 * directly. Undefined when there is no store there (an export on a technician's laptop, straight from
 * a device): the entries then carry no `prints`, and the file says nothing about printed copies.
 */
function receiptLogOf(
  opts: ExportOptions,
): { printsOf: (deviceId: string, fiscalNumber: number) => ExportedPrint[]; close: () => void } | undefined {
  const path = join(stateDirOf(opts), STORE_FILE);
  if (!existsSync(path)) return undefined;
  const db = openStore(stateDirOf(opts));
  const log = new ReceiptPrints(db);
  return {
    printsOf: (deviceId, fiscalNumber) => log.printsOfRecord(deviceId, fiscalNumber),
    close: () => db.close(),
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, "r")).close();
    return true;
  } catch {
    return false;
  }
}
