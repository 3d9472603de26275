/**
 * The state on disk is the service's alone (docs/SECURITY.md, file modes): the daemon's store (the
 * cloud credential, every invoice) and the emulator's fiscal memory (a device private key) come out
 * with a 0700 directory and 0600 files, set by the code at every open, under the common umask 022
 * that made them 0644 in a 0755 directory, and also for files an older version left open to all.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../../daemon/store/database.js";
import { acquireStateLock } from "../../../daemon/store/state-lock.js";
import { DEV_CLOUD_ROOT_PUBLIC_KEY } from "../../../emulator/dev-keys.js";
import { FISCAL_MEMORY_FILE, FiscalMemory } from "../../../emulator/store/fiscal-memory.js";
import { isFiscalError } from "../../../protocol/index.js";

/** The umask of a default login shell and of most daemons not run by systemd. */
const COMMON_UMASK = 0o022;

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

let root: string;
let savedUmask: number;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "stalela-modes-"));
  savedUmask = process.umask(COMMON_UMASK);
});
afterEach(() => {
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

/** The modes of a WAL store's directory and files, by name ("-" for a file that is not there). */
function modes(dir: string, file: string): Record<string, string> {
  const path = join(dir, file);
  const of = (p: string) => (existsSync(p) ? modeOf(p) : "-");
  return { dir: of(dir), db: of(path), wal: of(`${path}-wal`), shm: of(`${path}-shm`) };
}

describe("the daemon's store", () => {
  it("is created under umask 022 with a 0700 directory and 0600 database, -wal and -shm", () => {
    const stateDir = join(root, "state");
    // Made the way anything under umask 022 makes it (0755), as the state lock or a technician would.
    mkdirSync(stateDir);
    const db = openDatabase(join(stateDir, "daemon.sqlite"));
    try {
      db.prepare("INSERT INTO audit_log (at, actor, action, details_json) VALUES (1, 't', 'a', '{}')").run();
      expect(modes(stateDir, "daemon.sqlite")).toEqual({ dir: "700", db: "600", wal: "600", shm: "600" });
    } finally {
      db.close();
    }
  });

  it("closes a store an older version left 0644 in a 0755 directory, at the next open", () => {
    const stateDir = join(root, "old");
    mkdirSync(stateDir, { mode: 0o755 });
    const path = join(stateDir, "daemon.sqlite");
    // What the previous release did: a plain open under umask 022, the WAL files left by a crash.
    const old = new Database(path);
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);");
    for (const p of [path, `${path}-wal`, `${path}-shm`]) chmodSync(p, 0o644);
    expect(modes(stateDir, "daemon.sqlite")).toEqual({ dir: "755", db: "644", wal: "644", shm: "644" });

    const db = openDatabase(path);
    try {
      expect(modes(stateDir, "daemon.sqlite")).toEqual({ dir: "700", db: "600", wal: "600", shm: "600" });
    } finally {
      db.close();
      old.close();
    }
  });

  it("makes the state directory 0700 when the daemon first locks it", () => {
    const stateDir = join(root, "locked", "state");
    const lock = acquireStateLock(stateDir);
    try {
      expect(modeOf(stateDir)).toBe("700");
    } finally {
      lock.release();
    }
  });

  it("never makes a shared sticky directory (a /tmp) private: the store or state given one is refused", () => {
    const shared = join(root, "tmp");
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    for (const open of [() => openDatabase(join(shared, "daemon.sqlite")), () => acquireStateLock(shared)]) {
      let error: unknown;
      try {
        open();
      } catch (err) {
        error = err;
      }
      expect(isFiscalError(error, "STORAGE_FAILURE")).toBe(true);
      expect((error as Error).message).toContain(`${shared} is a shared directory (mode 1777, sticky)`);
    }
    expect((statSync(shared).mode & 0o7777).toString(8)).toBe("1777");
    expect(existsSync(join(shared, "daemon.sqlite"))).toBe(false);
    // A directory of its own inside it is made private as usual.
    const lock = acquireStateLock(join(shared, "stalela"));
    lock.release();
    expect(modeOf(join(shared, "stalela"))).toBe("700");
  });
});

describe("the emulator's fiscal memory (it holds the device private key)", () => {
  const options = { cloudRootKey: undefined, defaultCloudRootKey: DEV_CLOUD_ROOT_PUBLIC_KEY, now: 0 };

  it("is created under umask 022 with a 0700 directory and 0600 files", () => {
    const stateDir = join(root, "def");
    const memory = new FiscalMemory(stateDir);
    memory.open(options);
    try {
      const got = modes(stateDir, FISCAL_MEMORY_FILE);
      expect(got).toMatchObject({ dir: "700", db: "600" });
      // Exclusive locking keeps the WAL index in memory (no -shm); whatever file exists is private.
      for (const side of [got.wal, got.shm]) expect(["600", "-"]).toContain(side);
    } finally {
      memory.close();
    }
  });

  it("closes a fiscal memory an older version left world-readable, at the next open", () => {
    const stateDir = join(root, "def-old");
    const first = new FiscalMemory(stateDir);
    first.open(options);
    first.close();
    chmodSync(stateDir, 0o755);
    chmodSync(join(stateDir, FISCAL_MEMORY_FILE), 0o644);

    const memory = new FiscalMemory(stateDir);
    memory.open(options);
    try {
      expect(modes(stateDir, FISCAL_MEMORY_FILE)).toMatchObject({ dir: "700", db: "600" });
    } finally {
      memory.close();
    }
  });
});
