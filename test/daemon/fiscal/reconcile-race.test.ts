/**
 * Reconciliation racing a POS (§6 of issue 13): a two-step invoice the POS was told is PREPARED is
 * never aborted by reconciliation while its nonce is pending and commit_before is ahead, even when its
 * PREPARE reached the device after reconciliation's LIST_PENDING. The device calls are held so the
 * PREPARE lands exactly there.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InvoiceRow } from "../../../daemon/store/invoice-store.js";
import { posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** Resolves when reconciliation asks the service to settle an invoice (under that invoice's lock). */
function settling(): Promise<InvoiceRow> {
  const settleOpen = h.service.settleOpen.bind(h.service);
  return new Promise((resolve) => {
    h.service.settleOpen = (row, reason, error) => {
      const settled = settleOpen(row, reason, error);
      resolve(row);
      return settled;
    };
  });
}

describe("reconciliation and a two-step PREPARE in flight", () => {
  it("spares an invoice whose PREPARE the device executed after reconciliation's LIST_PENDING", async () => {
    // The POS's PREPARE is stored PREPARING and waits for the device; reconciliation's LIST_PENDING
    // goes first, then it snapshots the open invoices (this one, PREPARING) and waits for its lock.
    const prepare = h.port.hold("PREPARE");
    const preparing = h.service.prepare(posSale(), "K", h.caller);
    await prepare.reached;
    const asked = settling();
    const reconciling = h.reconciler.run();
    expect((await asked).state).toBe("PREPARING");
    prepare.release();
    const { invoice } = await preparing;
    expect(invoice.state).toBe("PREPARED");
    const report = await reconciling;
    expect(report).toMatchObject({ left_pending: 1, settled_aborted: 0, stale_nonces_aborted: 0 });
    expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "PREPARED" });
    expect((await h.port.listPending()).pending).toHaveLength(1);
    expect((await h.service.commit("K", h.caller)).invoice.state).toBe("FISCALIZED");
  });

  it("spares one prepared between reconciliation's LIST_PENDING and its snapshot of open invoices", async () => {
    // LIST_PENDING ran on the device (without this nonce); its answer is late. The PREPARE completes
    // meanwhile, so the snapshot sees the invoice PREPARED with a nonce LIST_PENDING never listed.
    const listed = h.port.hold("LIST_PENDING", "after");
    const reconciling = h.reconciler.run();
    await listed.reached;
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    listed.release();
    const report = await reconciling;
    expect(report).toMatchObject({ left_pending: 1, settled_aborted: 0, stale_nonces_aborted: 0 });
    expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "PREPARED" });
    expect((await h.service.commit("K", h.caller)).invoice.state).toBe("FISCALIZED");
  });

  it("still settles a two-step invoice whose nonce the device no longer holds", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    // The device lost its pending table (a power cycle): nothing can commit this nonce any more.
    h.device.pending.clear();
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ left_pending: 0, settled_aborted: 1 });
    expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "ABORTED" });
  });
});
