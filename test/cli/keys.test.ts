/**
 * `stalela keys`: key ids that never read as an option, old ones that still revoke (after `--`), no
 * store ever created by a key command, and the state directory from `--state`, `$STALELA_STATE_DIR`
 * or the installed env file.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../cli/state.js";
import { API_KEY_ID_BYTES, type ApiKeyInfo, ApiKeyStore, apiKeyIdOf } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { openDatabase } from "../../daemon/store/database.js";
import { isFiscalError } from "../../protocol/index.js";
import { runCli } from "./run-cli.js";

/** An id as it was made before: plain base64url of the random bytes. */
const OLD_ID = "-_fvRXGGTnUU";
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{11}$/;

/** Deterministic "random" bytes: SHA-256 of a counter, as long as asked. */
function counterRandom(): (size: number) => Uint8Array {
  let n = 0;
  return (size) => {
    const out = Buffer.alloc(size);
    for (let at = 0; at < size; at += 32) createHash("sha256").update(String(n++)).digest().copy(out, at);
    return new Uint8Array(out);
  };
}

let dir: string;
let state: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cli-keys-"));
  state = join(dir, "daemon");
  mkdirSync(state);
  // The store as the daemon's first start leaves it, with one key made by an earlier version.
  const db = openDatabase(join(state, STORE_FILE));
  db.prepare(
    "INSERT INTO api_keys (id, cashier_id, label, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)",
  ).run(OLD_ID, "CASHIER-OLD", null, Buffer.alloc(32), Date.UTC(2026, 0, 1));
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("API key ids", () => {
  it("never start with - whatever the first random byte, keep 12 base64url characters, and equal base64url otherwise", () => {
    for (let first = 0; first < 256; first++) {
      for (const fill of [0x00, 0x5a, 0xff]) {
        const bytes = new Uint8Array(API_KEY_ID_BYTES).fill(fill);
        bytes[0] = first;
        const id = apiKeyIdOf(bytes);
        expect(id).toMatch(ID);
        const plain = Buffer.from(bytes).toString("base64url");
        expect(id.slice(1)).toBe(plain.slice(1));
        if (!/^[-_]/.test(plain)) expect(id).toBe(plain);
      }
    }
  });

  it("4096 keys from a deterministic source: none starts with -, though plain base64url would have", () => {
    const db = openDatabase(":memory:");
    const random = counterRandom();
    const store = new ApiKeyStore(db, new AuditLog(db), () => Date.UTC(2026, 5, 1), random);
    const mirror = counterRandom(); // the same bytes, to see what the old encoding would have given
    let oldWouldDash = 0;
    for (let i = 0; i < 4096; i++) {
      const { key, info } = store.create("CASHIER-1", null, "test");
      if (Buffer.from(mirror(API_KEY_ID_BYTES)).toString("base64url").startsWith("-")) oldWouldDash++;
      mirror(32); // the secret
      expect(info.id).toMatch(ID);
      expect(store.verify(key).apiKeyId).toBe(info.id);
    }
    expect(oldWouldDash).toBeGreaterThan(20);
    db.close();
  });
});

describe("stalela keys", () => {
  it("revokes an old id that starts with - when it comes after --", async () => {
    const refused = await runCli(["keys", "revoke", OLD_ID, "--state", state]);
    expect(refused.code).toBe(2);
    const run = await runCli(["keys", "revoke", "--state", state, "--json", "--", OLD_ID]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const info = JSON.parse(run.stdout) as ApiKeyInfo;
    expect(info).toMatchObject({ id: OLD_ID, cashier_id: "CASHIER-OLD" });
    expect(info.revoked_at).not.toBeNull();
  });

  it("create --key-only prints the key alone, and that key is the one the store accepts", async () => {
    const run = await runCli([
      "keys",
      "create",
      "--cashier",
      "CASHIER-SCRIPT",
      "--key-only",
      "--state",
      state,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\S+\n$/);
    const db = openDatabase(join(state, STORE_FILE));
    try {
      const caller = new ApiKeyStore(db, new AuditLog(db)).verify(run.stdout.trim());
      expect(caller.cashierId).toBe("CASHIER-SCRIPT");
    } finally {
      db.close();
    }
  });

  it("create, list and revoke refuse a state directory without a store (exit 2) and create nothing", async () => {
    const nowhere = join(dir, "never-started");
    for (const args of [["create", "--cashier", "CASHIER-1"], ["list"], ["revoke", "AAAAAAAAAAAA"]]) {
      const run = await runCli(["keys", ...args, "--state", nowhere, "--json"]);
      expect(run.code).toBe(2);
      const { error } = JSON.parse(run.stdout) as {
        error: { code: number; name: string; message: string; detail?: string };
      };
      expect(error).toMatchObject({ code: 115, name: "RECORD_NOT_FOUND" });
      expect(error.detail).toContain(join(nowhere, STORE_FILE));
      expect(error.detail).toContain("start the daemon once, it creates the store");
      expect(existsSync(nowhere)).toBe(false);
    }
  });

  it("honours $STALELA_STATE_DIR, the env file's setting below it, and --state above both", async () => {
    const made = await runCli(["keys", "create", "--cashier", "CASHIER-ENV", "--json"], {
      STALELA_STATE_DIR: state,
    });
    expect(made.code).toBe(0);
    const { key, id } = JSON.parse(made.stdout) as { key: string; id: string };
    const envFile = join(dir, "daemon.env");
    writeFileSync(envFile, `# installed settings\nSTALELA_STATE_DIR="${state}"\n`);
    const listed = await runCli(["keys", "list", "--json"], { STALELA_ENV_FILE: envFile });
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as ApiKeyInfo[]).map((k) => k.id)).toContain(id);
    // The environment beats the file, and the flag beats both.
    const other = join(dir, "other");
    const env = await runCli(["keys", "list", "--json"], {
      STALELA_ENV_FILE: envFile,
      STALELA_STATE_DIR: other,
    });
    expect(JSON.parse(env.stdout).error.detail).toContain(join(other, STORE_FILE));
    const flag = await runCli(["keys", "list", "--state", other, "--json"], { STALELA_STATE_DIR: state });
    expect(JSON.parse(flag.stdout).error.detail).toContain(join(other, STORE_FILE));
    const revoked = await runCli(["keys", "revoke", id], { STALELA_ENV_FILE: envFile });
    expect(revoked.code).toBe(0);
    const db = openDatabase(join(state, STORE_FILE));
    try {
      let caught: unknown;
      try {
        new ApiKeyStore(db, new AuditLog(db)).verify(key);
      } catch (err) {
        caught = err;
      }
      expect(isFiscalError(caught, "AUTH_REVOKED")).toBe(true);
    } finally {
      db.close();
    }
  });
});
