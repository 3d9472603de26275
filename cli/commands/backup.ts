/**
 * `stalela backup --out FILE`: a consistent copy of the daemon's store while the daemon runs. The store
 * is SQLite in WAL mode, so `cp daemon.sqlite` can miss sealed invoices still in `-wal` or copy a torn
 * page; `VACUUM INTO` reads one snapshot through SQLite and writes a compact, self-contained database.
 * The copy is then opened and checked (`PRAGMA integrity_check`) before the command says it is good.
 * Run as root, the CLI acts as the state directory's owner (cli/state-owner.ts): the copy belongs to
 * the service, so the folder it goes in must be writable by that user (docs/INSTALL.md §7).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import Database from "better-sqlite3";
import type { Command } from "commander";
import { t } from "../../protocol/i18n/index.js";
import { FiscalError } from "../../protocol/index.js";
import { readerLang } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface BackupFlags extends OutputOptions {
  readonly out: string;
  readonly state?: string;
}

/** What a backup reports. */
export interface BackupReport {
  readonly path: string;
  readonly bytes: number;
  readonly invoices: number;
  readonly integrity: "ok";
}

/** Copies the store of `stateDir` to `out` (which must not exist) and checks the copy. */
export function backupStore(stateDir: string, out: string): BackupReport {
  if (existsSync(out)) {
    throw new FiscalError("FIELD_RANGE", `${out} already exists: a backup never overwrites a file`, {
      path: out,
    });
  }
  const db = openStore(stateDir);
  try {
    db.prepare("VACUUM INTO ?").run(out);
  } catch (err) {
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot write the backup ${out}: ${(err as Error).message}`,
      { path: out },
      { cause: err },
    );
  } finally {
    db.close();
  }
  const copy = new Database(out, { readonly: true, fileMustExist: true });
  try {
    const integrity = (copy.pragma("integrity_check", { simple: true }) as string) ?? "";
    if (integrity !== "ok") {
      throw new FiscalError("STORAGE_FAILURE", `the backup ${out} fails its integrity check: ${integrity}`, {
        path: out,
      });
    }
    const invoices = (copy.prepare("SELECT count(*) AS n FROM invoices").get() as { n: number }).n;
    return { path: out, bytes: statSync(out).size, invoices, integrity: "ok" };
  } finally {
    copy.close();
  }
}

/** Registers `backup`. */
export function registerBackupCommand(program: Command): void {
  program
    .command("backup")
    .description("help.backup")
    .requiredOption("--out <file>", "help.backup.out")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--json", "help.option.json")
    .action((flags: BackupFlags) =>
      runAction(flags, () => {
        // Resolved before any switch of user, against the directory the technician typed it in.
        const out = resolve(flags.out);
        const report = backupStore(enterStateDir(flags), out);
        printResult(flags, report, () => [
          t(readerLang(), "cli.backup.written", {
            path: report.path,
            bytes: String(report.bytes),
            invoices: report.invoices,
          }),
        ]);
      }),
    );
}
