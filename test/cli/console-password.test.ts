/**
 * `stalela console password`: a technician sets and resets the console password on the machine; the
 * store keeps its scrypt hash, never the text, and the console accepts the newest one only.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../cli/state.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { ConsolePasswords } from "../../daemon/store/console-password.js";
import { openDatabase } from "../../daemon/store/database.js";
import { runCli } from "./run-cli.js";

let dir: string;
let state: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cli-console-"));
  state = join(dir, "daemon");
  mkdirSync(state);
  openDatabase(join(state, STORE_FILE)).close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function verifies(password: string): Promise<boolean> {
  const db = openDatabase(join(state, STORE_FILE));
  try {
    return await new ConsolePasswords(db, new AuditLog(db)).verify(password);
  } finally {
    db.close();
  }
}

describe("stalela console password", () => {
  it("sets the password from standard input, then resets it", async () => {
    const set = await runCli(
      ["console", "password", "--stdin", "--state", state],
      {},
      { stdin: "premier-mot-de-passe\n" },
    );
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("mot de passe de la console défini");
    expect(await verifies("premier-mot-de-passe")).toBe(true);
    const reset = await runCli(
      ["console", "password", "--state", state, "--json"],
      {},
      { stdin: "second-mot-de-passe\n" },
    );
    expect(reset.code).toBe(0);
    expect(JSON.parse(reset.stdout)).toEqual({ set: true, reset: true });
    expect(await verifies("premier-mot-de-passe")).toBe(false);
    expect(await verifies("second-mot-de-passe")).toBe(true);
  });

  it("refuses a short password with a coded error and changes nothing", async () => {
    const run = await runCli(
      ["console", "password", "--stdin", "--state", state, "--json"],
      {},
      { stdin: "court\n" },
    );
    expect(run.code).not.toBe(0);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 303 });
    expect(await verifies("court")).toBe(false);
  });
});
