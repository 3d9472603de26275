/**
 * Delivery is one transaction (InvoiceStore.deliver): an invoice the cloud already acknowledged goes
 * FISCALIZED → DELIVERED → SYNCED at once, and a failure of the second step leaves nothing of the first.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SyncQueue } from "../../../daemon/store/sync-queue.js";
import { posSale, ServiceHarness } from "../fiscal/harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

async function ackedInvoice(key: string): Promise<string> {
  const { invoice } = await h.service.fiscalise(posSale(), key, h.caller);
  new SyncQueue(h.db, h.store).applyAcks([{ invoiceId: invoice.id, outcome: "accepted", dgiStatus: null }]);
  expect(h.outbox.statusOf(invoice.id)?.status).toBe("ACKED");
  // The ack alone does not skip delivery: the invoice waits FISCALIZED for the POS.
  expect(h.store.byId(invoice.id)?.state).toBe("FISCALIZED");
  return invoice.id;
}

/** Makes the DELIVERED → SYNCED step fail inside the transaction (a disk error, a bug). */
function refuseSynced(): void {
  h.db.exec(`CREATE TEMP TRIGGER test_refuse_synced BEFORE UPDATE OF state ON main.invoices
    WHEN NEW.state = 'SYNCED' BEGIN SELECT RAISE(ABORT, 'test: the SYNCED step fails'); END`);
}

const transitionsOf = (id: string) => h.store.transitionsOf(id).map((t) => t.state);

describe("delivery", () => {
  it("of an invoice the cloud acknowledged first goes straight to SYNCED", async () => {
    const id = await ackedInvoice("D-1");
    const delivered = await h.service.markDelivered("D-1", h.caller);
    expect(delivered).toMatchObject({
      replayed: false,
      invoice: { id, state: "SYNCED", sync: { status: "ACKED" } },
    });
    expect(transitionsOf(id)).toEqual(["PREPARING", "PREPARED", "FISCALIZED", "DELIVERED", "SYNCED"]);
  });

  it("of an invoice not yet acknowledged stops at DELIVERED", async () => {
    const { invoice } = await h.service.fiscalise(posSale(), "D-2", h.caller);
    expect(h.store.deliver(invoice.id).state).toBe("DELIVERED");
    expect(transitionsOf(invoice.id).at(-1)).toBe("DELIVERED");
  });

  it("leaves no DELIVERED-with-ACKED state behind when the SYNCED step fails (store method)", async () => {
    const id = await ackedInvoice("D-3");
    refuseSynced();
    expect(() => h.store.deliver(id)).toThrow(/SYNCED step fails/);
    expect(h.store.byId(id)?.state).toBe("FISCALIZED");
    expect(transitionsOf(id)).toEqual(["PREPARING", "PREPARED", "FISCALIZED"]);
  });

  it("leaves no DELIVERED-with-ACKED state behind when the SYNCED step fails (service)", async () => {
    const id = await ackedInvoice("D-4");
    refuseSynced();
    await expect(h.service.markDelivered("D-4", h.caller)).rejects.toThrow(/SYNCED step fails/);
    h.restartDaemon();
    expect(h.store.byId(id)?.state).toBe("FISCALIZED");
    expect(transitionsOf(id)).not.toContain("DELIVERED");
    // Once the fault is gone (the temporary trigger died with the connection), delivery completes.
    expect((await h.service.markDelivered("D-4", h.caller)).invoice.state).toBe("SYNCED");
  });
});
