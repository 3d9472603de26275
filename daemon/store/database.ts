/**
 * Opens the daemon's SQLite store with the settings fiscal data needs and brings its schema up to date.
 * WAL with synchronous=FULL: a COMMIT that returned is on disk, so a sealed record is durable before
 * the POS sees success. The schema version lives in the database (`PRAGMA user_version`).
 */
import Database from "better-sqlite3";
import { FiscalError } from "../../protocol/index.js";
import { MIGRATIONS } from "./migrations.js";

/** The handle every store module shares. */
export type Db = Database.Database;

/** How long a writer waits for another connection's lock before failing, in ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/** Opens (creating if needed) the store at `path` (":memory:" for tests) and migrates it. */
export function openDatabase(path: string): Db {
  let db: Db;
  try {
    db = new Database(path);
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
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  migrate(db);
  return db;
}

/** The schema version this code expects. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies every migration above the database's version, each in its own transaction. */
export function migrate(db: Db): number {
  const current = db.pragma("user_version", { simple: true }) as number;
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
