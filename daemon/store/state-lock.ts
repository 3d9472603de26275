/**
 * One daemon per state directory. Two daemons on one store would each believe they own the device
 * binding, the outbox and `admin.sock` (the second used to unlink the first's socket and take it over).
 *
 * The lock is a kernel one (process-lock.ts), so a crash can never leave it stale: systemd's restart
 * 2 s after a crash always finds it free.
 *
 * Who holds it goes in `daemon.pid`, beside it, for the refusal's message: the lock file cannot be read
 * while it is locked.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FiscalError } from "../../protocol/index.js";
import { makePrivateDirectory } from "./private-files.js";
import { type ProcessLock, tryProcessLock } from "./process-lock.js";

/** The lock file inside the state directory. */
export const STATE_LOCK_FILE = "daemon.lock";
/** The file naming the holder's process id, present while a daemon holds the lock. */
export const STATE_PID_FILE = "daemon.pid";

/** A held state-directory lock. */
export interface StateLock {
  readonly stateDir: string;
  /** Releases the lock (the pid file first, while still holding it). Idempotent. */
  release(): void;
}

/**
 * Takes the lock on `stateDir` (created if missing, and made 0700 like the store it guards), without
 * waiting. STATE_LOCKED when another
 * process holds it, naming that process's pid; STORAGE_FAILURE when the directory or the lock file
 * cannot be made or opened.
 */
export function acquireStateLock(stateDir: string): StateLock {
  const lockPath = join(stateDir, STATE_LOCK_FILE);
  const pidPath = join(stateDir, STATE_PID_FILE);
  let lock: ProcessLock | "held";
  try {
    makePrivateDirectory(stateDir);
    lock = tryProcessLock(lockPath);
  } catch (err) {
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot lock the state directory ${stateDir} (${lockPath}): ${(err as Error).message}`,
      { path: lockPath },
      { cause: err },
    );
  }
  if (lock === "held") {
    const pid = holderPid(pidPath);
    throw new FiscalError(
      "STATE_LOCKED",
      `the state directory ${stateDir} is in use by another daemon (${pid === null ? "pid unknown" : `pid ${pid}`}): stop it first, or give this one another --state`,
      { stateDir, pid },
    );
  }
  try {
    const temp = `${pidPath}.${process.pid}.tmp`;
    writeFileSync(temp, `${process.pid}\n`);
    renameSync(temp, pidPath);
  } catch (err) {
    lock.release();
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot write ${pidPath}: ${(err as Error).message}`,
      { path: pidPath },
      { cause: err },
    );
  }
  let held = true;
  return {
    stateDir,
    release() {
      if (!held) return;
      held = false;
      try {
        // Removed while the lock is still ours, so it can only be our own pid file.
        rmSync(pidPath, { force: true });
      } finally {
        lock.release();
      }
    },
  };
}

/** The pid recorded by the lock's holder, or null when there is none (or it is not a number). */
function holderPid(pidPath: string): number | null {
  try {
    const pid = Number(readFileSync(pidPath, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
