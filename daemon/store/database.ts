/**
 * Opens the daemon's SQLite store with the settings fiscal data needs and brings its schema up to date.
 * WAL with synchronous=FULL: a COMMIT that returned is on disk, so a sealed record is durable before
 * the POS sees success. The schema version lives in the database (`PRAGMA user_version`). The store
 * holds the cloud credential and every invoice: its directory is 0700 and its files 0600, set here at
 * every open (private-files.ts), whatever the umask and whatever an older version left.
 */
import type Database from "better-sqlite3";
import { FiscalError } from "../../protocol/index.js";
import { CREDENTIAL_FINGERPRINT_SQL_FUNCTION, credentialFingerprint } from "./credential-fingerprint.js";
import { MIGRATIONS } from "./migrations.js";
import { openPrivateDatabase, restrictDatabaseFiles } from "./private-files.js";

/** The handle every store module shares. */
export type Db = Database.Database;

/** How long a writer waits for another connection's lock before failing, in ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the store at `path` (":memory:" for tests) and migrates it. Its directory
 * becomes 0700 and the database, -wal and -shm 0600 (STORAGE_FAILURE when they cannot be set: a store
 * that others could read is not opened).
 */
export function openDatabase(path: string): Db {
  let db: Db;
  try {
    db = openPrivateDatabase(path);
  } catch (err) {
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot open the store at ${path}: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  db.pragma("journal_mode = WAL");
  // The -wal and -shm WAL mode just made copy the database's 0600; checked, not assumed.
  try {
    if (path !== ":memory:") restrictDatabaseFiles(path);
  } catch (err) {
    db.close();
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot restrict ${path}: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  db.pragma("synchronous = FULL");
  // A secret a row gives up (a retired credential, migration 5) is zeroed in its page, not left in the
  // page's free space for a stolen disk to show; FAST: only where that costs no extra I/O.
  db.pragma("secure_delete = FAST");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  migrate(db);
  return db;
}

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Registers the SQL functions the migrations call (migration 5's credential fingerprints). */
export function registerMigrationFunctions(db: Db): void {
  db.function(CREDENTIAL_FINGERPRINT_SQL_FUNCTION, { deterministic: true }, (credential: unknown) =>
    credentialFingerprint(String(credential)),
  );
}

/** Applies every migration above the database's version, each in its own transaction. */
export function migrate(db: Db): number {
  const current = db.pragma("user_version", { simple: true }) as number;
  registerMigrationFunctions(db);
  if (current > MIGRATIONS.length) {
    throw new FiscalError(
      "STORAGE_FAILURE",
      `the store has schema version ${current}, newer than this daemon's ${MIGRATIONS.length}: upgrade the daemon`,
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`user_version = ${version}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}

/** Most statements cached per connection; the SQL strings are a fixed set, so this is only a guard. */
export const STATEMENT_CACHE_LIMIT = 256;
const statements = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement for `sql`, compiled once per connection: compiling costs more than running
 * most of the daemon's queries (it showed as 4 % of a fiscalisation's CPU profile).
 */
export function statement(db: Db, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (cache === undefined) {
    cache = new Map();
    statements.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (stmt === undefined) {
    if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
    stmt = db.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}
