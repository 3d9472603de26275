/**
 * The daemon's state directory as CLI commands find and open it (docs/CLI.md §Where things are): `--state`,
 * else `$STALELA_STATE_DIR` (which the installed env file sets), else the built-in default. The CLI never
 * creates a store: the daemon does, with its migrations, on its first start; a typo in --state must not
 * leave an empty database behind that a later command mistakes for the real one.
 */
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "../daemon/config.js";
import { type Db, openDatabase } from "../daemon/store/database.js";
import { FiscalError } from "../protocol/index.js";
import { helpKey } from "./help.js";
import { actAsStateOwner } from "./state-owner.js";

/** The store file inside a daemon state directory (the daemon's STORE_FILE). */
export const STORE_FILE = "daemon.sqlite";

/**
 * The help text of a `--state` option, `key` one of the help.option.state texts (cli/help.ts), with
 * what it defaults to.
 */
export function stateDirHelp(key: string): string {
  return helpKey(key, { dir: defaultConfig().stateDir });
}

/** The help text of `--state`: the daemon state directory and what it defaults to. */
export const STATE_DIR_HELP = stateDirHelp("help.option.state");

/** The daemon state directory: $STALELA_STATE_DIR (as the systemd unit and env file set it), else the default. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STALELA_STATE_DIR || defaultConfig().stateDir;
}

/** The state directory of a command: `--state`, else the default (read when the command runs). */
export function stateDirOf(flags: { readonly state?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.state ?? defaultStateDir(env);
}

/**
 * The state directory of a command that opens the daemon's state, having switched to its owner when
 * running as root (cli/state-owner.ts). Call it before opening the store, the device or admin.sock.
 */
export function enterStateDir(flags: { readonly state?: string }): string {
  const dir = stateDirOf(flags);
  actAsStateOwner(dir);
  return dir;
}

function isDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "EACCES" || code === "EPERM";
}

/** The fix for a store or socket this user may not open. */
export function ownerFix(path: string): string {
  return `run stalela as root (it then acts as the owner of the state directory) or as that owner (ls -l ${path})`;
}

/** A permission refusal on a file of the daemon's state, named as such, with the fix. */
export function permissionDenied(path: string, what: string, err: unknown): FiscalError {
  const code = (err as NodeJS.ErrnoException).code ?? "EACCES";
  return new FiscalError(
    "STORAGE_FAILURE",
    `permission denied (${code}) opening ${what} ${path}: ${ownerFix(path)}`,
    { path },
    { cause: err },
  );
}

/**
 * Opens the daemon's existing store in `stateDir`. A missing one is RECORD_NOT_FOUND (exit 2) naming
 * the path and the fix; one this user may not read and write (or whose directory it may not write:
 * SQLite creates `-wal` and `-shm` beside it) is STORAGE_FAILURE saying so.
 */
export function openStore(stateDir: string): Db {
  const path = join(stateDir, STORE_FILE);
  try {
    statSync(path);
  } catch (err) {
    if (isDenied(err)) throw permissionDenied(path, "the daemon's store", err);
    throw new FiscalError(
      "RECORD_NOT_FOUND",
      `no daemon store at ${path}: start the daemon once, it creates the store ` +
        "(`systemctl start stalela-daemon`, or `stalela daemon`), or pass --state DIR",
      { path },
    );
  }
  for (const [target, mode] of [
    [path, constants.R_OK | constants.W_OK],
    [stateDir, constants.W_OK | constants.X_OK],
  ] as const) {
    try {
      accessSync(target, mode);
    } catch (err) {
      if (isDenied(err))
        throw permissionDenied(target, target === path ? "the daemon's store" : "the state directory", err);
      throw err;
    }
  }
  return openDatabase(path);
}
