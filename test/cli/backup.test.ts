/**
 * `stalela backup --out FILE`: a consistent, checked copy of the daemon's store, never over an existing
 * file, never from a store that does not exist.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../cli/state.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { openDatabase } from "../../daemon/store/database.js";
import { runCli } from "./run-cli.js";

let dir: string;
let state: string;
let keyId: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cli-backup-"));
  state = join(dir, "daemon");
  mkdirSync(state);
  // The store as a daemon leaves it, still open (WAL: the key is in daemon.sqlite-wal, not yet in the
  // main file, which a plain cp would miss).
  const db = openDatabase(join(state, STORE_FILE));
  keyId = new ApiKeyStore(db, new AuditLog(db)).create("CASHIER-B", "till", "test").info.id;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("stalela backup", () => {
  it("writes a copy that holds what the live store holds and passes its integrity check", async () => {
    const out = join(dir, "copy.sqlite");
    const run = await runCli(["backup", "--out", out, "--state", state, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ path: out, invoices: 0, integrity: "ok" });
    const copy = new Database(out, { readonly: true });
    try {
      const row = copy.prepare("SELECT cashier_id FROM api_keys WHERE id = ?").get(keyId) as {
        cashier_id: string;
      };
      expect(row.cashier_id).toBe("CASHIER-B");
    } finally {
      copy.close();
    }
  });

  it("refuses to overwrite a file, and leaves it as it was", async () => {
    const out = join(dir, "exists.sqlite");
    writeFileSync(out, "keep me");
    const run = await runCli(["backup", "--out", out, "--state", state, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ name: "FIELD_RANGE" });
    expect(readFileSync(out, "utf8")).toBe("keep me");
  });

  it("refuses a state directory without a store and writes nothing", async () => {
    const out = join(dir, "none.sqlite");
    const run = await runCli(["backup", "--out", out, "--state", join(dir, "nowhere"), "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 115, name: "RECORD_NOT_FOUND" });
    expect(existsSync(out)).toBe(false);
  });
});
