/**
 * SQLite files only their owner can read: the daemon's store (the cloud credential, every invoice),
 * the emulator's fiscal memory (a device private key) and the cloud emulator's store. Each is opened
 * through `openPrivateDatabase`, which sets the modes itself rather than trusting the umask: under a
 * umask of 022 SQLite makes a 0644 file in a 0755 directory, and a store made by an older version
 * keeps whatever mode it was given. Lives in daemon/store, which the emulator already imports
 * (process-lock.ts), so the three stores share one rule; protocol/ does no I/O.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

/** The mode of a directory holding a private store: its owner alone may list or enter it. */
export const PRIVATE_DIR_MODE = 0o700;
/** The sticky bit (S_ISVTX, which node:fs does not export): set on shared directories such as /tmp. */
const STICKY = 0o1000;
/** The mode of a private store's files: the database, its -wal and its -shm. */
export const PRIVATE_FILE_MODE = 0o600;
/** The files SQLite keeps beside a WAL database, by suffix. */
export const SQLITE_SIDE_FILES: readonly string[] = ["-wal", "-shm", "-journal"];

/**
 * Creates `dir` (and missing parents) and sets it to PRIVATE_DIR_MODE, also when it already existed.
 * A sticky directory (/tmp, /var/tmp) is shared by design: it is never made private, which would lock
 * every other user out of it; a store given one directly is refused, to be given a directory of its own.
 */
export function makePrivateDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = statSync(dir);
  if ((mode & STICKY) !== 0) {
    throw new Error(
      `${dir} is a shared directory (mode ${(mode & 0o7777).toString(8)}, sticky): give the store a directory of its own inside it`,
    );
  }
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Sets the database at `path` and whichever of its side files exist to PRIVATE_FILE_MODE. */
export function restrictDatabaseFiles(path: string): void {
  for (const file of [path, ...SQLITE_SIDE_FILES.map((suffix) => `${path}${suffix}`)]) {
    try {
      chmodSync(file, PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}

/**
 * Opens (creating) the SQLite database at `path` privately: its directory PRIVATE_DIR_MODE first, so
 * nobody else can reach the file even for the instant it exists with SQLite's own mode, then the
 * database and any side files left by an earlier run PRIVATE_FILE_MODE. A -wal or -shm that SQLite
 * makes later copies the database's mode. ":memory:" opens as usual. Throws what mkdir, chmod or
 * SQLite threw, for the caller to name.
 */
export function openPrivateDatabase(path: string, options?: Database.Options): Database.Database {
  if (path === ":memory:") return new Database(path, options);
  makePrivateDirectory(dirname(path));
  const db = new Database(path, options);
  try {
    restrictDatabaseFiles(path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
