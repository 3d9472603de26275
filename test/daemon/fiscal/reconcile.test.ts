import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicaliseInvoice, invoiceHash } from "../../../protocol/index.js";
import { posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

const canonical = (key: string, amount = 11_600) =>
  canonicaliseInvoice(posSale(amount), { cashierId: "CASHIER-1", defaultClientRef: key });

describe("reconciliation with the device journal", () => {
  it("seals the invoice of a COMMIT whose reply was lost when the daemon crashed, and seals it once", async () => {
    h.port.trouble.loseCommitReplies = 1;
    await expect(h.service.fiscalise(posSale(), "R-1", h.caller)).rejects.toThrow(/E109/);
    h.restartDaemon();
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ settled_sealed: 1, settled_aborted: 0, imported: 0 });
    const view = h.service.get("R-1")!;
    expect(view.state).toBe("FISCALIZED");
    expect(view.transitions.at(-1)?.note).toMatch(/device journal/);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
    expect((await h.reconciler.run()).settled_sealed).toBe(0);
  });

  it("imports journal records the store never saw, verified, with their identifiers", async () => {
    for (const key of ["X-1", "X-2"]) {
      const inv = canonical(key);
      const { nonce } = h.device.execute("PREPARE", { invoice: inv });
      h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
    }
    await h.service.fiscalise(posSale(), "R-2", h.caller);
    const report = await h.reconciler.run();
    expect(report.imported).toBe(2);
    expect(report.chain_breaks).toBe(0);
    const imported = h.service.list({ limit: 10 }).items.filter((i) => i.invoice === null);
    expect(imported.map((i) => i.fiscal?.fiscal_number).sort()).toEqual([1, 2]);
    expect(imported[0]!.sync.status).toBe("PENDING");
    expect(imported[0]!.fiscal?.merchant_nif).toBe("A1234567B");
    expect((await h.reconciler.run()).imported).toBe(0);
  });

  it("gives a POS retry its invoice back when a power cut lost everything but the device's record", async () => {
    const inv = canonical("LOST-1");
    const { nonce } = h.device.execute("PREPARE", { invoice: inv });
    h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
    await h.reconciler.run();
    const retry = await h.service.fiscalise(posSale(), "LOST-1", h.caller);
    expect(retry.replayed).toBe(true);
    expect(retry.invoice.fiscal?.fiscal_number).toBe(1);
    expect(h.service.get("LOST-1")?.fiscal?.fiscal_number).toBe(1);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("aborts an invoice left PREPARING or PREPARED that the device never sealed, and stale nonces", async () => {
    const inv = canonical("R-3");
    h.device.execute("PREPARE", { invoice: canonical("ORPHAN") });
    h.store.insertPreparing({
      idempotencyKey: "R-3",
      requestFingerprint: "x",
      clientRef: inv.client_ref,
      type: inv.type,
      apiKeyId: h.caller.apiKeyId,
      cashierId: inv.cashier_id,
      currency: inv.currency,
      totals: inv.totals,
      payload: null,
      payloadHash: invoiceHash(inv),
      mode: "one-shot",
    });
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ settled_aborted: 1, stale_nonces_aborted: 1 });
    expect(h.service.get("R-3")?.state).toBe("ABORTED");
    expect((await h.port.listPending()).pending).toEqual([]);
  });

  it("leaves a live two-step invoice prepared, so its POS can still commit it", async () => {
    const { invoice } = await h.service.prepare(posSale(), "R-4", h.caller);
    h.restartDaemon();
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ left_pending: 1, stale_nonces_aborted: 0 });
    expect((await h.service.commit(invoice.id, h.caller)).state).toBe("FISCALIZED");
  });
});

describe("store immutability", () => {
  it("refuses to update or delete a sealed record, a transition, an invoice or the audit log", async () => {
    await h.service.fiscalise(posSale(), "I-1", h.caller);
    expect(() => h.db.prepare("UPDATE fiscal_records SET auth_code = 'X'").run()).toThrow(/immutable/);
    expect(() => h.db.prepare("DELETE FROM fiscal_records").run()).toThrow(/never deleted/);
    expect(() => h.db.prepare("DELETE FROM invoice_transitions").run()).toThrow(/append-only/);
    expect(() => h.db.prepare("DELETE FROM invoices").run()).toThrow(/never deleted/);
    expect(() => h.db.prepare("UPDATE invoices SET payload_hash = x'00'").run()).toThrow(/immutable/);
    expect(() => h.db.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);
  });

  it("runs in WAL mode with synchronous=FULL and records its schema version", () => {
    expect(h.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(h.db.pragma("synchronous", { simple: true })).toBe(2);
    expect(h.db.pragma("user_version", { simple: true })).toBeGreaterThanOrEqual(1);
  });
});

describe("API keys", () => {
  it("verifies a key, refuses a wrong one, and refuses a revoked one with its own code", () => {
    const { key, info } = h.keys.create("CASHIER-9", null, "tech");
    expect(h.keys.verify(key)).toEqual({ apiKeyId: info.id, cashierId: "CASHIER-9" });
    // One character changed (never to itself: a key ending in "A" would make "…A" the right key).
    expect(() => h.keys.verify(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`)).toThrow(/E601/);
    expect(() => h.keys.verify("nonsense")).toThrow(/E601/);
    h.keys.revoke(info.id, "tech");
    expect(() => h.keys.verify(key)).toThrow(/E602/);
    expect(
      h.db.prepare("SELECT COUNT(*) AS n FROM api_keys WHERE secret_hash LIKE ?").get(`%${key}%`),
    ).toEqual({ n: 0 });
  });
});
