/**
 * A lock that only a live process can hold, shared by the daemon's state directory (state-lock.ts)
 * and the emulator's link path (emulator/link/link-lock.ts). It is a SQLite file opened with
 * `locking_mode=EXCLUSIVE`: the first write takes an exclusive fcntl lock that SQLite keeps until the
 * connection closes, which the kernel does for us when the process dies, even by SIGKILL. So a crash
 * never leaves a stale lock, and a restart finds it free.
 *
 * The file stays after a release: it is the lock, not a flag. Deleting it would let a waiter lock an
 * orphaned inode while a newcomer locks a fresh file of the same name, both believing they hold it. It
 * must never be opened outside SQLite either: closing any other descriptor of it would drop this
 * process's fcntl locks on it.
 */
import Database from "better-sqlite3";

/** SQLite result codes meaning another connection holds the lock. */
const HELD_CODES: ReadonlySet<string> = new Set(["SQLITE_BUSY", "SQLITE_LOCKED"]);

/** A held lock. */
export interface ProcessLock {
  /** Releases it. Idempotent. */
  release(): void;
}

/**
 * Takes the lock at `lockPath` without waiting: the lock, or "held" when another live process (or
 * another connection of this one) holds it. Any other failure (the file cannot be made or locked)
 * throws the underlying error for the caller to name.
 */
export function tryProcessLock(lockPath: string): ProcessLock | "held" {
  // timeout 0: a held lock is an answer, not something to wait for.
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    // No -journal file beside the lock: nothing in it is worth a rollback journal.
    db.pragma("journal_mode = MEMORY");
    // The write takes the exclusive lock; EXCLUSIVE locking mode keeps it after the commit. The value
    // (this pid) is only a note for whoever inspects the file.
    db.transaction(() => db.pragma(`user_version = ${process.pid}`)).exclusive();
  } catch (err) {
    db.close();
    if (HELD_CODES.has((err as { code?: string }).code ?? "")) return "held";
    throw err;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
