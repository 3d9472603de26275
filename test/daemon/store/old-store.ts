/**
 * Stores as an earlier release left them: the schema of the first N migrations only, opened with the
 * daemon's settings, so a test can fill it the old way and then open it with `openDatabase` (which
 * migrates it to the current version).
 */
import Database from "better-sqlite3";
import { type Db, registerMigrationFunctions } from "../../../daemon/store/database.js";
import { MIGRATIONS } from "../../../daemon/store/migrations.js";

/** Creates (or opens) the store at `path` at schema version `version`. */
export function openStoreAtVersion(path: string, version: number): Db {
  if (version < 1 || version > MIGRATIONS.length) throw new RangeError(`no schema version ${version}`);
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  registerMigrationFunctions(db);
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current + 1; v <= version; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v - 1]!);
      db.pragma(`user_version = ${v}`);
    }).immediate();
  }
  return db;
}
