/**
 * Migration 5 and the rules it installs (docs/SECURITY.md): a retired cloud credential is kept only
 * as its fingerprint (the first 16 hex digits of its SHA-256), the live one keeps its secret and gets
 * its fingerprint, and the copy of the credential in activation_progress goes once activation is done.
 * The retired secret is gone from the database file too, not only from the row (a stolen disk).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ActivationProgressStore } from "../../../daemon/store/activation-progress.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../../daemon/store/cloud-credential.js";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { openStoreAtVersion } from "./old-store.js";

/** Long and distinctive, so a search of the file's bytes cannot hit anything else. */
const RETIRED = "cred-RETIRED-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e";
const LIVE = "cred-LIVE-8b6d4f2a0c9e7b5d3f1a8c6e4b2d0f9a";

/** The fingerprint as the issue defines it, computed here on its own. */
const sha16 = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 16);

let dir: string;
let path: string;
let db: Db | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-m5-"));
  path = join(dir, "daemon.sqlite");
});
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Whether `text` is anywhere in the store's files (database and WAL), as a thief would search them. */
function onDisk(text: string): boolean {
  return [path, `${path}-wal`].some((p) => existsSync(p) && readFileSync(p).includes(text));
}

/** A version-4 store as the previous release left it: one retired and one live credential, two progresses. */
function previousRelease(): void {
  const old = openStoreAtVersion(path, 4);
  const insert = old.prepare(
    "INSERT INTO cloud_credentials (device_id, credential, issued_at, retired_at) VALUES (?, ?, ?, ?)",
  );
  insert.run("DEF-1", RETIRED, 1_000, 2_000);
  insert.run("DEF-1", LIVE, 2_000, null);
  const progress = old.prepare(
    `INSERT INTO activation_progress (device_id, step, bundle, bundle_signature, credential, updated_at)
     VALUES (?, ?, x'01', x'02', ?, 0)`,
  );
  progress.run("DEF-1", "done", LIVE);
  progress.run("DEF-2", "registered", "cred-still-needed");
  old.close();
  expect(onDisk(RETIRED)).toBe(true);
}

describe("migration 5", () => {
  it("keeps a retired credential as its fingerprint only, and fingerprints the live one", () => {
    previousRelease();
    db = openDatabase(path);
    expect(
      db.prepare("SELECT credential, fingerprint, retired_at FROM cloud_credentials ORDER BY id").all(),
    ).toEqual([
      { credential: "", fingerprint: sha16(RETIRED), retired_at: 2_000 },
      { credential: LIVE, fingerprint: sha16(LIVE), retired_at: null },
    ]);
    expect(new CloudCredentialStore(db, new AuditLog(db)).current()).toEqual({
      deviceId: "DEF-1",
      credential: LIVE,
      issuedAt: 2_000,
    });
    db.close();
    db = undefined;
    expect(onDisk(RETIRED)).toBe(false);
  });

  it("clears the progress copy of the credential where activation is done, and only there", () => {
    previousRelease();
    db = openDatabase(path);
    expect(
      db.prepare("SELECT device_id, credential FROM activation_progress ORDER BY device_id").all(),
    ).toEqual([
      { device_id: "DEF-1", credential: null },
      { device_id: "DEF-2", credential: "cred-still-needed" },
    ]);
  });
});

describe("after migration 5", () => {
  it("replace() retires the previous credential to its fingerprint, in the row and on disk", () => {
    db = openDatabase(path);
    const credentials = new CloudCredentialStore(db, new AuditLog(db), () => 5_000);
    credentials.replace("DEF-1", RETIRED, "test");
    credentials.replace("DEF-1", LIVE, "test");
    expect(db.prepare("SELECT credential, fingerprint FROM cloud_credentials ORDER BY id").all()).toEqual([
      { credential: "", fingerprint: sha16(RETIRED) },
      { credential: LIVE, fingerprint: sha16(LIVE) },
    ]);
    expect(credentials.current()?.credential).toBe(LIVE);
    // The audit names the credential by its fingerprint, never by the secret.
    const audit = JSON.stringify(db.prepare("SELECT details_json FROM audit_log").all());
    expect(audit).toContain(sha16(LIVE));
    expect(audit).not.toContain(LIVE);
    expect(onDisk(RETIRED)).toBe(false);
  });

  it("refuses a retired row that keeps its secret, a forged secret, a fingerprint change, an un-retire", () => {
    db = openDatabase(path);
    const credentials = new CloudCredentialStore(db, new AuditLog(db));
    credentials.replace("DEF-1", RETIRED, "test");
    credentials.replace("DEF-1", LIVE, "test");
    const run = (sql: string) => () => db!.prepare(sql).run();
    // Retiring the way the previous release did (secret kept) is refused.
    expect(run("UPDATE cloud_credentials SET retired_at = 9 WHERE retired_at IS NULL")).toThrow(
      /keeps only its fingerprint/,
    );
    expect(run("UPDATE cloud_credentials SET credential = 'forged' WHERE id = 2")).toThrow(
      /only ever retired/,
    );
    expect(run("UPDATE cloud_credentials SET fingerprint = 'x' WHERE id = 2")).toThrow(/only ever retired/);
    expect(run("UPDATE cloud_credentials SET retired_at = NULL WHERE id = 1")).toThrow(/stays retired/);
    expect(
      run(
        `INSERT INTO cloud_credentials (device_id, credential, issued_at, retired_at) VALUES ('D', 'x', 1, NULL)`,
      ),
    ).toThrow(/with its fingerprint/);
    expect(run("DELETE FROM cloud_credentials")).toThrow(/never deleted/);
    // What retiring does now is allowed.
    expect(
      run("UPDATE cloud_credentials SET retired_at = 9, credential = '' WHERE retired_at IS NULL"),
    ).not.toThrow();
  });

  it("never keeps a credential in a 'done' progress row, whatever save() or SQL is given", () => {
    db = openDatabase(path);
    const progress = new ActivationProgressStore(db);
    const bundle = { bytes: new Uint8Array([1]), signature: new Uint8Array([2]) };
    progress.save({ deviceId: "DEF-1", step: "registered", bundle, activation: null, credential: LIVE });
    expect(progress.of("DEF-1")?.credential).toBe(LIVE);
    progress.save({ deviceId: "DEF-1", step: "done", bundle, activation: null, credential: LIVE });
    expect(progress.of("DEF-1")).toMatchObject({ step: "done", credential: null });
    // The schema holds the rule too, for an insert and an update alike.
    db.prepare(
      `INSERT INTO activation_progress (device_id, step, bundle, bundle_signature, credential, updated_at)
       VALUES ('DEF-2', 'done', x'01', x'02', 'leak', 0)`,
    ).run();
    db.prepare("UPDATE activation_progress SET credential = 'leak' WHERE device_id = 'DEF-1'").run();
    expect(db.prepare("SELECT credential FROM activation_progress ORDER BY device_id").all()).toEqual([
      { credential: null },
      { credential: null },
    ]);
  });
});
