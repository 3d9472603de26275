import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FISCAL_MEMORY_FILE } from "../../emulator/store/fiscal-memory.js";
import { decodeRecord, ERRORS, openSealedRecord, recordHash, toHex } from "../../protocol/index.js";
import { sale } from "./fixtures.js";
import { boot, shutdownAll, tempStateDir } from "./harness.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

async function fiscalise(host: WireHost, clientRef: string) {
  const p = await host.call("PREPARE", { invoice: sale(clientRef) as never });
  return host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
}

describe("persistence across restarts", () => {
  it("keeps identity, keys, activation, counters and chain; forgets pending PREPAREs", async () => {
    const stateDir = tempStateDir();
    const first = await boot({ stateDir, activate: true });
    await fiscalise(first.host, "K-1");
    const second = await fiscalise(first.host, "K-2");
    const pending = await first.host.call("PREPARE", { invoice: sale("K-3") as never });
    const infoBefore = await first.host.call("INFO", {});
    await first.emulator.stop();

    const again = await boot({ stateDir });
    expect(again.bootEvent.state).toBe("ACTIVE");
    const info = await again.host.call("INFO", {});
    expect(info.device_id).toBe(infoBefore.device_id);
    expect(toHex(info.public_key)).toBe(toHex(infoBefore.public_key));
    expect(info.state).toBe("ACTIVE");
    expect(toHex(info.activation!.bytes)).toBe(toHex(infoBefore.activation!.bytes));
    const status = await again.host.call("STATUS", {});
    expect(status).toMatchObject({ last_fiscal_number: 2, pending: 0 });
    expect(status.type_counters.SALE).toBe(2);
    expect((await again.host.call("LIST_PENDING", {})).pending).toEqual([]);
    const lost = await again.host.fail("COMMIT", {
      nonce: pending.nonce,
      payload_hash: pending.payload_hash,
    });
    expect(lost.code).toBe(ERRORS.NONCE_UNKNOWN.code);
    const third = openSealedRecord(await fiscalise(again.host, "K-3"), again.emulator.publicKey);
    expect(third.fiscal_number).toBe(3);
    expect(toHex(third.prev_hash)).toBe(toHex(recordHash(second.record)));
    expect((await again.host.call("SELF_TEST", {})).passed).toBe(true);
  });

  it("refuses a second emulator on a state directory in use", async () => {
    const stateDir = tempStateDir();
    await boot({ stateDir });
    await expect(boot({ stateDir })).rejects.toThrow(/in use by another emulator/);
  });

  it("detects a tampered journal in SELF_TEST and locks", async () => {
    const stateDir = tempStateDir();
    const first = await boot({ stateDir, activate: true });
    for (const ref of ["X-1", "X-2", "X-3"]) await fiscalise(first.host, ref);
    await first.emulator.stop();
    // Tamper as an attacker with file access would: bypass the append-only triggers, edit record 2.
    const db = new Database(join(stateDir, FISCAL_MEMORY_FILE));
    db.exec("DROP TRIGGER journal_no_update");
    const row = db.prepare("SELECT record FROM journal WHERE fiscal_number = 2").get() as { record: Buffer };
    const record = decodeRecord(new Uint8Array(row.record));
    const forged = Buffer.from(row.record);
    forged[forged.indexOf(Buffer.from(record.client_ref))] = "Y".charCodeAt(0);
    db.prepare("UPDATE journal SET record = ? WHERE fiscal_number = 2").run(forged);
    db.close();

    const again = await boot({ stateDir });
    const result = await again.host.call("SELF_TEST", {});
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => c.name === "journal_chain")).toMatchObject({ passed: false });
    expect(await again.host.call("STATUS", {})).toMatchObject({
      state: "LOCKED",
      lock_reason: "SELF_TEST_FAILED",
    });
  });
});
