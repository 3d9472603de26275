/**
 * The fiscal tables are append-only, enforced by the schema's triggers (migrations 1 and 4), so not
 * even a bug in the daemon can rewrite or drop what the device sealed, where it goes, who may send it,
 * which invoice a key names, or a chain break nobody looked at.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudCredentialStore } from "../../../daemon/store/cloud-credential.js";
import { SCHEMA_VERSION } from "../../../daemon/store/database.js";
import { DeviceBindingStore } from "../../../daemon/store/device-binding.js";
import { posSale, ServiceHarness } from "../fiscal/harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

const run = (sql: string) => () => h.db.prepare(sql).run();

describe("store immutability", () => {
  it("refuses to update or delete a sealed record, a transition, an invoice or the audit log", async () => {
    await h.service.fiscalise(posSale(), "I-1", h.caller);
    expect(run("UPDATE fiscal_records SET auth_code = 'X'")).toThrow(/immutable/);
    expect(run("DELETE FROM fiscal_records")).toThrow(/never deleted/);
    expect(run("DELETE FROM invoice_transitions")).toThrow(/append-only/);
    expect(run("DELETE FROM invoices")).toThrow(/never deleted/);
    expect(run("UPDATE invoices SET payload_hash = x'00'")).toThrow(/immutable/);
    expect(run("DELETE FROM audit_log")).toThrow(/append-only/);
  });

  it("runs in WAL mode with synchronous=FULL and records its schema version", () => {
    expect(h.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(h.db.pragma("synchronous", { simple: true })).toBe(2);
    expect(h.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(9);
    // A secret a row gives up is zeroed in its page (1 = on, 2 = fast).
    expect(h.db.pragma("secure_delete", { simple: true })).toBe(2);
  });
});

describe("migration 4 triggers", () => {
  it("never deletes an outbox entry", async () => {
    await h.service.fiscalise(posSale(), "O-1", h.caller);
    expect(run("DELETE FROM outbox")).toThrow(/never deleted/);
    expect(h.db.prepare("SELECT COUNT(*) AS n FROM outbox").get()).toEqual({ n: 1 });
  });

  it("binds an Idempotency-Key forever: its row can be neither changed nor deleted", async () => {
    const first = await h.service.fiscalise(posSale(), "B-1", h.caller);
    const other = await h.service.fiscalise(posSale(500), "B-2", h.caller);
    expect(
      run(`UPDATE idempotency_keys SET invoice_id = '${other.invoice.id}' WHERE idempotency_key = 'B-1'`),
    ).toThrow(/bound forever/);
    expect(run("UPDATE idempotency_keys SET idempotency_key = 'B-9' WHERE idempotency_key = 'B-1'")).toThrow(
      /bound forever/,
    );
    expect(run("DELETE FROM idempotency_keys")).toThrow(/bound forever/);
    expect(h.service.get("B-1", h.caller)?.id).toBe(first.invoice.id);
  });

  it("never changes or deletes the device binding", () => {
    const bindings = new DeviceBindingStore(h.db, h.audit);
    bindings.bind(h.identity.require(), null, "test");
    expect(run("UPDATE device_binding SET merchant_nif = 'X0000000Z'")).toThrow(/immutable/);
    expect(run("UPDATE device_binding SET public_key = x'00'")).toThrow(/immutable/);
    expect(run("DELETE FROM device_binding")).toThrow(/never deleted/);
    expect(bindings.current()?.merchantNif).toBe(h.identity.require().merchantNif);
  });

  it("only ever retires a cloud credential, and never deletes one", () => {
    const credentials = new CloudCredentialStore(h.db, h.audit);
    credentials.replace(h.device.deviceId, "cred-1", "test");
    credentials.replace(h.device.deviceId, "cred-2", "test");
    // Retiring (what replace() does) is the one change allowed.
    expect(
      h.db.prepare("SELECT COUNT(*) AS n FROM cloud_credentials WHERE retired_at IS NOT NULL").get(),
    ).toEqual({
      n: 1,
    });
    for (const change of [
      "credential = 'forged'",
      "device_id = 'DEF-OTHER'",
      "issued_at = 0",
      "id = id + 100",
    ]) {
      expect(run(`UPDATE cloud_credentials SET ${change} WHERE id = 2`), change).toThrow(/only ever retired/);
    }
    // Retiring erases the secret (migration 5): the retired row keeps its fingerprint only.
    expect(run("UPDATE cloud_credentials SET retired_at = 1, credential = '' WHERE id = 2")).not.toThrow();
    expect(run("DELETE FROM cloud_credentials")).toThrow(/never deleted/);
    expect(h.db.prepare("SELECT id, credential FROM cloud_credentials ORDER BY id").all()).toEqual([
      { id: 1, credential: "" },
      { id: 2, credential: "" },
    ]);
  });

  it("keeps every chain break: it can be acknowledged, never rewritten or deleted", () => {
    h.breaks.record(h.device.deviceId, 7, "reconciliation");
    for (const change of ["fiscal_number = 8", "device_id = 'DEF-OTHER'", "found_at = 0"]) {
      expect(run(`UPDATE chain_breaks SET ${change}`), change).toThrow(/only ever acknowledged/);
    }
    expect(run("DELETE FROM chain_breaks")).toThrow(/never deleted/);
    expect(h.breaks.acknowledge("tech-1")).toBe(1);
    expect(h.breaks.list()).toMatchObject([{ fiscal_number: 7, acknowledged_by: "tech-1" }]);
  });
});

describe("migration 8 triggers", () => {
  it("keeps fiscal reports: no delete, no rewrite of what was signed; the upload time may be set", async () => {
    await h.service.fiscalise(posSale(), "Z-1", h.caller);
    await h.dayReports.closeDay("test");
    expect(run("DELETE FROM fiscal_reports")).toThrow(/append-only/);
    expect(run("UPDATE fiscal_reports SET record = x'00'")).toThrow(/append-only/);
    expect(run("UPDATE fiscal_reports SET number = 9")).toThrow(/append-only/);
    expect(run("UPDATE fiscal_reports SET uploaded_at = 1")).not.toThrow();
    expect(h.db.prepare("SELECT COUNT(*) AS n FROM fiscal_reports").get()).toEqual({ n: 1 });
  });
});
