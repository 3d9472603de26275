/**
 * `stalela journal breaks | ack`: a chain break recorded by reconciliation stays listed as not
 * acknowledged until a technician acknowledges it in their name; the acknowledgement is audited and
 * reported as a count. docs/CLI.md §journal.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STORE_FILE } from "../../cli/state.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { ChainBreaks } from "../../daemon/store/chain-breaks.js";
import { openDatabase } from "../../daemon/store/database.js";
import { runCli } from "./run-cli.js";

let dir: string;
let state: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cli-journal-"));
  state = join(dir, "daemon");
  mkdirSync(state);
  const db = openDatabase(join(state, STORE_FILE));
  const breaks = new ChainBreaks(db, new AuditLog(db));
  breaks.record("DEF-1", 7, "reconciliation");
  breaks.record("DEF-1", 9, "reconciliation");
  db.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function audit(): { action: string; actor: string; details: Record<string, unknown> }[] {
  const db = openDatabase(join(state, STORE_FILE));
  try {
    return new AuditLog(db).latest();
  } finally {
    db.close();
  }
}

describe("stalela journal", () => {
  it("lists the breaks as not acknowledged, then acknowledges one and then the rest, audited", async () => {
    const listed = await runCli(["journal", "breaks", "--state", state, "--json"]);
    expect(listed.code).toBe(0);
    const before = JSON.parse(listed.stdout) as { fiscal_number: number; acknowledged_at: string | null }[];
    expect(before.map((b) => [b.fiscal_number, b.acknowledged_at])).toEqual([
      [7, null],
      [9, null],
    ]);

    const one = await runCli([
      "journal",
      "ack",
      "--state",
      state,
      "--by",
      "Amani",
      "--record",
      "7",
      "--json",
    ]);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toEqual({ acknowledged: 1 });
    const rest = await runCli(["journal", "ack", "--state", state, "--by", "Amani", "--json"]);
    expect(JSON.parse(rest.stdout)).toEqual({ acknowledged: 1 });
    const again = await runCli(["journal", "ack", "--state", state, "--by", "Amani", "--json"]);
    expect(JSON.parse(again.stdout)).toEqual({ acknowledged: 0 });

    const after = JSON.parse((await runCli(["journal", "breaks", "--state", state, "--json"])).stdout) as {
      acknowledged_by: string | null;
    }[];
    expect(after.map((b) => b.acknowledged_by)).toEqual(["technician:Amani", "technician:Amani"]);
    const actions = audit().map((e) => e.action);
    expect(actions.filter((a) => a === "journal.chain-break")).toHaveLength(2);
    expect(actions.filter((a) => a === "journal.chain-break-ack")).toHaveLength(2);
  });

  it("refuses a --record that is not a fiscal number with E323, exit 2", async () => {
    const bad = await runCli(["journal", "ack", "--state", state, "--by", "Amani", "--record", "seven"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/E323/);
  });
});
