/**
 * `stalela device export --out FILE [--from N] [--to N] [--device URI] [--json]`: reads the DEF's
 * journal page by page and writes a journal export (docs/EXPORT.md) that `stalela verify` checks.
 * It opens the device directly (installation and audit tasks; stop the daemon first, it holds the
 * port). The file is written under a temporary name and renamed at the end, so an interrupted export
 * never looks complete.
 */
import { open, rename, rm } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_DEVICE_URI } from "../../daemon/config.js";
import { createFiscalDevice, type FiscalDevice } from "../../daemon/device/index.js";
import { journalExportJson, openJournalExport } from "../../daemon/export/journal-export.js";
import { FiscalError, isFiscalError } from "../../protocol/index.js";
import { type OutputOptions, printResult, runAction } from "../output.js";

/** How long to wait for the device link to come up, in ms (flag --connect-timeout-ms). */
export const DEVICE_CONNECT_TIMEOUT_MS = 5_000;

interface ExportOptions extends OutputOptions {
  readonly out: string;
  readonly from?: number;
  readonly to?: number;
  readonly device?: string;
  readonly force?: boolean;
  readonly connectTimeoutMs: number;
}

function positive(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InvalidArgumentError("must be a positive integer");
  return Number(text);
}

/** Registers `export` under the `device` command group. */
export function registerDeviceExportCommand(device: Command): void {
  device
    .command("export")
    .description("export the device journal (signed records) to a file an auditor can verify offline")
    .requiredOption("--out <file>", "where to write the export (JSON)")
    .option("--from <n>", "first fiscal number (default 1)", positive)
    .option("--to <n>", "last fiscal number (default: the device's last)", positive)
    .option("--device <uri>", "device URI (default $STALELA_DEVICE, else the daemon's default)")
    .option("--force", "overwrite --out if it exists")
    .option("--connect-timeout-ms <ms>", "wait this long for the device", positive, DEVICE_CONNECT_TIMEOUT_MS)
    .option("--json", "machine-readable summary on stdout")
    .addHelpText("after", "\nExit codes: 0 exported, 3 device error, 2 bad arguments, 1 other failure.")
    .action((opts: ExportOptions) => runAction(opts, () => exportCommand(opts)));
}

async function exportCommand(opts: ExportOptions): Promise<void> {
  const uri = opts.device ?? process.env.STALELA_DEVICE ?? DEFAULT_DEVICE_URI;
  const device = createFiscalDevice(uri);
  const progress = opts.json !== true && process.stderr.isTTY === true;
  const partial = `${opts.out}.partial`;
  let file: Awaited<ReturnType<typeof open>> | null = null;
  try {
    await device.open();
    await waitForDevice(device, uri, opts.connectTimeoutMs);
    const stream = await openJournalExport(device, {
      from: opts.from,
      to: opts.to,
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
    const { header } = stream;
    const summary = {
      file: opts.out,
      device_id: header.device.device_id,
      public_key: header.device.public_key,
      range: header.range,
      records: Math.max(0, header.range.to - header.range.from + 1),
    };
    printResult(opts, summary, () => [
      `exported fiscal numbers ${header.range.from}–${header.range.to} (${summary.records} records) of ${summary.device_id} to ${opts.out}`,
      `  device key ${summary.public_key}`,
      `  check it with: stalela verify ${opts.out} --pubkey <the key registered for ${summary.device_id}>`,
    ]);
  } catch (err) {
    if (file !== null) await file.close();
    await rm(partial, { force: true });
    throw err;
  } finally {
    await device.close();
  }
}

/** Waits for the link; a timeout names the likely causes, since a technician sees only this line. */
async function waitForDevice(device: FiscalDevice, uri: string, timeoutMs: number): Promise<void> {
  try {
    await device.session.waitConnected(timeoutMs);
  } catch (err) {
    if (!isFiscalError(err, "DEVICE_UNAVAILABLE")) throw err;
    throw new FiscalError(
      "DEVICE_UNAVAILABLE",
      `no device answered on ${uri} within ${timeoutMs} ms: is it plugged in, is --device right, ` +
        "and is the daemon stopped (it holds the port)?",
      { address: uri },
      { cause: err },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, "r")).close();
    return true;
  } catch {
    return false;
  }
}
