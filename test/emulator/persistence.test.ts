import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { checkDeviceTrust, trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { FISCAL_MEMORY_FILE } from "../../emulator/store/fiscal-memory.js";
import { SCHEMA_VERSION } from "../../emulator/store/migrations.js";
import {
  canonicaliseInvoice,
  decodeRecord,
  ERRORS,
  openSealedRecord,
  recordHash,
  toHex,
} from "../../protocol/index.js";
import { bundleFor, sale } from "./fixtures.js";
import { boot, shutdownAll, tempStateDir } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import { appendRecordV1, downgradeStore } from "./old-store.js";
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

  it("keeps year_number unbroken across a restart", async () => {
    const stateDir = tempStateDir();
    // 2027-01-01T09:00:00Z is 10:00 in Kinshasa: fiscal year 2027.
    const clock = new ManualClock(Date.UTC(2027, 0, 1, 9));
    const first = await boot({ stateDir, activate: true, device: { systemNow: clock.now } });
    await fiscalise(first.host, "Y-1");
    const second = openSealedRecord(await fiscalise(first.host, "Y-2"), first.emulator.publicKey);
    expect(second).toMatchObject({ fiscal_year: 2027, year_number: 2 });
    await first.emulator.stop();

    clock.advance(60_000);
    const again = await boot({ stateDir, device: { systemNow: clock.now } });
    const third = openSealedRecord(await fiscalise(again.host, "Y-3"), again.emulator.publicKey);
    expect(third).toMatchObject({ fiscal_number: 3, fiscal_year: 2027, year_number: 3 });
    expect((await again.host.call("SELF_TEST", {})).passed).toBe(true);
  });

  it("keeps the bundle it was activated with, and INFO shows it after a restart", async () => {
    const stateDir = tempStateDir();
    const first = await boot({ stateDir });
    expect((await first.host.call("INFO", {})).activation_bundle).toBeNull();
    const bundle = bundleFor(first.emulator.deviceId);
    await first.host.call("ACTIVATE", { bundle });
    expect(toHex((await first.host.call("INFO", {})).activation_bundle!.bytes)).toBe(toHex(bundle.bytes));
    await first.emulator.stop();

    const again = await boot({ stateDir });
    const info = await again.host.call("INFO", {});
    expect(info.activation_bundle).not.toBeNull();
    expect(toHex(info.activation_bundle!.bytes)).toBe(toHex(bundle.bytes));
    expect(toHex(info.activation_bundle!.signature)).toBe(toHex(bundle.signature));
  });

  it("upgrades a store activated before it kept bundles: still active, bundle null, untrusted outside development mode", async () => {
    const stateDir = tempStateDir();
    const first = await boot({ stateDir, activate: true });
    const before = await first.host.call("INFO", {});
    await first.emulator.stop();
    // Turn it back into a schema-1 store, as an emulator from before migration 2 left it, with the
    // record v1 such an emulator sealed.
    downgradeStore(stateDir, 1);
    const v1 = canonicaliseInvoice(
      {
        type: "SALE",
        client_ref: "OLD-1",
        currency: "CDF",
        items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: 11_600, tax_group: "B" }],
        payments: [{ method: "CASH", amount: 11_600 }],
      },
      { cashierId: "CASHIER-7" },
    );
    appendRecordV1(stateDir, v1, Date.now() - 60_000);

    const again = await boot({ stateDir });
    const info = await again.host.call("INFO", {});
    expect(info).toMatchObject({ state: "ACTIVE", activation_bundle: null, identity: before.identity });
    expect(toHex(info.activation!.bytes)).toBe(toHex(before.activation!.bytes));
    expect(
      openSealedRecord(await fiscalise(again.host, "OLD-2"), again.emulator.publicKey).fiscal_number,
    ).toBe(2);
    await again.emulator.stop();
    const reopened = new Database(join(stateDir, FISCAL_MEMORY_FILE), { readonly: true });
    expect(reopened.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    reopened.close();

    // The daemon's rule for such a device (docs/EMULATOR.md): refused unless development mode,
    // where it is accepted on its activation record alone, with a warning.
    expect(checkDeviceTrust(info, trustPolicyFrom({ allowEmulator: false }, {})).trusted).toBe(false);
    expect(checkDeviceTrust(info, trustPolicyFrom({ allowEmulator: true }, {}))).toMatchObject({
      trusted: true,
      warning: expect.stringMatching(/activation record alone/),
    });
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
