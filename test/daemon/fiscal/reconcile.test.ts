import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultClientRef } from "../../../daemon/fiscal/request-keys.js";
import { FiscalError, invoiceHash } from "../../../protocol/index.js";
import { canonicalOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** The canonical invoice a POS body becomes, with an explicit client_ref. */
const canonical = (clientRef: string, amount = 11_600) => canonicalOf(posSale(amount), clientRef);

describe("reconciliation with the device journal", () => {
  it("seals the invoice of a COMMIT the daemon crashed on, once, and imports nothing beside it", async () => {
    h.crashAfterDeviceCommit();
    await expect(h.service.fiscalise(posSale(), "R-1", h.caller)).rejects.toThrow(/simulated crash/);
    h.restartDaemon();
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ settled_sealed: 1, settled_aborted: 0, imported: 0 });
    const view = h.service.get("R-1", h.caller)!;
    expect(view.state).toBe("FISCALIZED");
    expect(view.transitions.at(-1)?.note).toMatch(/device journal/);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
    expect(h.service.list({ limit: 10 }).items).toHaveLength(1);
    expect(await h.reconciler.run()).toMatchObject({ settled_sealed: 0, imported: 0, attached: 0 });
  });

  it("imports journal records the store never saw, verified, with their identifiers", async () => {
    for (const ref of ["X-1", "X-2"]) {
      const inv = canonical(ref);
      const { nonce } = h.device.execute("PREPARE", { invoice: inv });
      h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
    }
    await h.service.fiscalise(posSale(), "R-2", h.caller);
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ imported: 2, attached: 0, chain_breaks: 0 });
    const imported = h.service.list({ limit: 10 }).items.filter((i) => i.idempotency_key === null);
    expect(imported.map((i) => i.fiscal?.fiscal_number).sort()).toEqual([1, 2]);
    // A version-2 device keeps each record's invoice: the import has its lines, as sealed.
    expect(imported.map((i) => i.invoice).sort((a, b) => (a!.client_ref < b!.client_ref ? -1 : 1))).toEqual([
      canonical("X-1"),
      canonical("X-2"),
    ]);
    expect(imported.map((i) => [i.idempotency_key, i.api_key_id])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(imported[0]!.sync.status).toBe("PENDING");
    expect(imported[0]!.fiscal?.merchant_nif).toBe("A1234567B");
    // A POS sees the imports no key owns, next to its own invoices.
    expect(h.service.list({ limit: 10 }, h.caller).items).toHaveLength(3);
    expect((await h.reconciler.run()).imported).toBe(0);
  });

  it("gives a POS retry its invoice back when a power cut lost everything but the device's record", async () => {
    const inv = canonical(defaultClientRef(h.caller.apiKeyId, "LOST-1"));
    const { nonce } = h.device.execute("PREPARE", { invoice: inv });
    h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
    expect((await h.reconciler.run()).imported).toBe(1);
    const retry = await h.service.fiscalise(posSale(), "LOST-1", h.caller);
    expect(retry.replayed).toBe(true);
    expect(retry.invoice.fiscal?.fiscal_number).toBe(1);
    expect(h.service.get("LOST-1", h.caller)?.fiscal?.fiscal_number).toBe(1);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
    expect(h.port.commits).toBe(0);
  });

  it("gives a POS retry its invoice back from the journal when it comes before any reconciliation", async () => {
    const inv = canonical(defaultClientRef(h.caller.apiKeyId, "LOST-2"));
    const { nonce } = h.device.execute("PREPARE", { invoice: inv });
    h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
    // No reconciliation ran: the device refuses the PREPARE as ALREADY_FISCALIZED, and the journal's
    // record is this key's invoice (docs/API.md §2), never a 409 the POS could not get past.
    const retry = await h.service.fiscalise(posSale(), "LOST-2", h.caller);
    expect(retry.replayed).toBe(true);
    expect(retry.invoice).toMatchObject({ state: "FISCALIZED", fiscal: { fiscal_number: 1 } });
    expect(h.service.get("LOST-2", h.caller)?.fiscal?.fiscal_number).toBe(1);
    expect((await h.reconciler.run()).imported).toBe(0);
    expect(h.port.commits).toBe(0);
  });

  it("never hands one API key's sealed invoice to another that sends the same payload", async () => {
    const first = await h.service.fiscalise(posSale(11_600, { client_ref: "SHARED-1" }), "K-A", h.caller);
    const other = { ...h.caller, apiKeyId: "OTHERKEY0001" };
    const error = await h.service
      .fiscalise(posSale(11_600, { client_ref: "SHARED-1" }), "K-A", other)
      .catch((err: unknown) => err);
    expect(error).toMatchObject({ errorName: "ALREADY_FISCALIZED" });
    expect(h.service.get(first.invoice.id, other)).toBeUndefined();
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("aborts an invoice left PREPARING that the device never sealed (unbound), and stale nonces", async () => {
    const inv = canonical(defaultClientRef(h.caller.apiKeyId, "R-3"));
    h.device.execute("PREPARE", { invoice: canonical("ORPHAN") });
    const row = h.store.insertPreparing({
      idempotencyKey: "R-3",
      requestFingerprint: "x",
      clientRef: inv.client_ref,
      type: inv.type,
      apiKeyId: h.caller.apiKeyId,
      cashierId: inv.operator.id,
      currency: inv.currency,
      totals: inv.totals,
      payload: null,
      payloadHash: invoiceHash(inv),
      mode: "one-shot",
    });
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ settled_aborted: 1, stale_nonces_aborted: 1 });
    // A one-shot attempt cut short before its COMMIT: ABORTED, INTERRUPTED, and the key stays free.
    expect(h.store.byId(row.id)).toMatchObject({ state: "ABORTED", error_code: 325 });
    expect(h.service.get("R-3", h.caller)).toBeUndefined();
    expect((await h.port.listPending()).pending).toEqual([]);
    expect((await h.service.fiscalise(posSale(), "R-3", h.caller)).invoice.state).toBe("FISCALIZED");
  });

  it("leaves a live two-step invoice prepared, so its POS can still commit it", async () => {
    const { invoice } = await h.service.prepare(posSale(), "R-4", h.caller);
    h.restartDaemon();
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ left_pending: 1, stale_nonces_aborted: 0 });
    expect((await h.service.commit(invoice.id, h.caller)).invoice.state).toBe("FISCALIZED");
  });
});

describe("reconciliation attaches a journal record to the invoice of its payload", () => {
  it("corrects an invoice stored ABORTED whose payload the device sealed, never importing beside it", async () => {
    // What a daemon before the in-doubt rule did: the COMMIT sealed, its reply was lost, and the
    // invoice was stored ABORTED by guess.
    const { invoice } = await h.service.prepare(posSale(), "A-1", h.caller);
    const row = h.store.byId(invoice.id)!;
    h.device.execute("COMMIT", { nonce: row.nonce!, payload_hash: row.payload_hash });
    h.store.transition(row.id, "PREPARED", "ABORTED", { note: "stored by an older daemon" });
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ attached: 1, imported: 0 });
    const view = h.service.get("A-1", h.caller)!;
    expect(view.id).toBe(invoice.id);
    expect(view.state).toBe("FISCALIZED");
    expect(view.fiscal?.fiscal_number).toBe(1);
    expect(view.transitions.at(-1)).toMatchObject({
      state: "FISCALIZED",
      note: expect.stringMatching(/^correction:/),
    });
    expect(h.service.list({ limit: 10 }).items.map((i) => i.id)).toEqual([invoice.id]);
    expect(h.deviceRecordsOf(view.payload_hash)).toEqual([1]);
  });

  it("corrects the ABORTED invoice even when a later attempt of the same payload was REJECTED", async () => {
    // The older daemon's second attempt of that basket: the device refused its PREPARE, the payload
    // being sealed already (ALREADY_FISCALIZED). A REJECTED invoice was never sealed: not the record's.
    const { invoice } = await h.service.prepare(posSale(), "A-1", h.caller);
    const row = h.store.byId(invoice.id)!;
    h.device.execute("COMMIT", { nonce: row.nonce!, payload_hash: row.payload_hash });
    h.store.transition(row.id, "PREPARED", "ABORTED", { note: "stored by an older daemon" });
    const retry = h.store.insertPreparing({
      idempotencyKey: "A-1",
      requestFingerprint: row.request_fingerprint,
      clientRef: row.client_ref,
      type: row.type,
      apiKeyId: row.api_key_id,
      cashierId: row.cashier_id,
      currency: row.currency,
      totals: JSON.parse(row.totals_json),
      payload: row.payload,
      payloadHash: row.payload_hash,
      mode: "two-step",
    });
    h.store.transition(retry.id, "PREPARING", "REJECTED", { error: new FiscalError("ALREADY_FISCALIZED") });
    expect(await h.reconciler.run()).toMatchObject({ attached: 1, imported: 0 });
    expect(h.store.byId(invoice.id)?.state).toBe("FISCALIZED");
    expect(h.store.byId(retry.id)?.state).toBe("REJECTED");
    expect(h.service.list({ limit: 10 }).items.filter((i) => i.idempotency_key === null)).toEqual([]);
  });

  it("seals an open invoice prepared after the reconciliation's snapshot, instead of importing its record", async () => {
    // Reconciliation took its snapshot of open invoices (none) and waits for STATUS; meanwhile a
    // request seals on the device and the daemon dies before storing it.
    const status = h.port.hold("STATUS");
    const reconciling = h.reconciler.run();
    await status.reached;
    h.crashAfterDeviceCommit();
    await expect(h.service.fiscalise(posSale(), "A-2", h.caller)).rejects.toThrow(/simulated crash/);
    expect(h.service.get("A-2", h.caller)?.state).toBe("PREPARED");
    status.release();
    const report = await reconciling;
    expect(report).toMatchObject({ attached: 1, imported: 0 });
    const sealed = h.service.list({ limit: 10 }).items;
    expect(sealed).toHaveLength(1);
    expect(sealed[0]).toMatchObject({
      idempotency_key: "A-2",
      state: "FISCALIZED",
      fiscal: { fiscal_number: 1 },
    });
    expect((await h.service.fiscalise(posSale(), "A-2", h.caller)).replayed).toBe(true);
  });

  it("neither imports twice nor fails when a request in flight stores the record it is attaching", async () => {
    // The COMMIT executed on the device, its reply is on its way; reconciliation reads the record
    // from the journal and waits for the request's lock, which then seals the invoice itself.
    const status = h.port.hold("STATUS");
    const reconciling = h.reconciler.run();
    await status.reached;
    const reply = h.port.hold("COMMIT", "after");
    const request = h.service.fiscalise(posSale(), "A-3", h.caller);
    await reply.reached;
    const attach = h.service.attachJournalRecord.bind(h.service);
    const attaching = new Promise<void>((resolve) => {
      h.service.attachJournalRecord = (record, sealed) => {
        const attached = attach(record, sealed);
        resolve();
        return attached;
      };
    });
    status.release();
    await attaching;
    reply.release();
    expect((await request).invoice.state).toBe("FISCALIZED");
    const report = await reconciling;
    expect(report.imported).toBe(0);
    expect(h.service.list({ limit: 10 }).items).toHaveLength(1);
  });
});
