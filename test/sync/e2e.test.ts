/**
 * End to end: DEF emulator core + daemon fiscal service + sync agent + cloud emulator on loopback.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SHOP, SyncHarness } from "./fixtures.js";

let h: SyncHarness;
afterEach(async () => {
  await h?.stop();
});

describe("sync end to end", () => {
  it("activates, fiscalises 500 and delivers all 500 to the cloud exactly once with every identifier", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    const ids = await h.sell(500);
    const queue = h.sync.parts.queue;
    await h.until(() => queue.summary().acked === 500);
    const received = h.cloud.invoices();
    expect(received).toHaveLength(500);
    expect(new Set(received.map((r) => r.fiscal_number)).size).toBe(500);
    expect(received.map((r) => r.invoice_id).sort()).toEqual([...ids].sort());
    const deviceId = h.device.deviceId;
    for (const r of received) {
      expect(r).toMatchObject({
        device_id: deviceId,
        ...SHOP,
        cashier_id: "CASHIER-9",
        api_key_id: h.caller.apiKeyId,
        has_invoice: 1,
      });
      expect(r.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
    }
    expect(h.cloud.counters.duplicate).toBe(0);
    const view = h.service.get(ids[0]!)!;
    expect(view.sync).toMatchObject({ status: "ACKED", dgi_status: "QUEUED_FOR_DGI", last_error: null });
    // Delivered after the ack: straight to SYNCED; the ack itself moves DELIVERED ones (checked below).
    const delivered = await h.service.markDelivered(ids[0]!, h.caller);
    expect(delivered).toMatchObject({ replayed: false, invoice: { state: "SYNCED" } });
    expect(delivered.invoice.transitions.map((t) => t.state).slice(-2)).toEqual(["DELIVERED", "SYNCED"]);
    const attempts = h.sync.parts.attempts.totals();
    expect(attempts.accepted).toBe(500);
  });

  it("moves a DELIVERED invoice to SYNCED when its ack arrives", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    h.cloud.setFaults({ down: true });
    const [id] = await h.sell(1);
    expect((await h.service.markDelivered(id!, h.caller)).invoice.state).toBe("DELIVERED");
    expect(h.service.get(id!, h.caller)!.state).toBe("DELIVERED");
    h.cloud.setFaults({ down: false });
    await h.until(() => h.service.get(id!)!.state === "SYNCED");
    expect(h.service.get(id!)!.sync.status).toBe("ACKED");
  });

  it("keeps a 2,000-invoice backlog while the cloud is down, warns, and drains when it returns", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    h.cloud.setFaults({ down: true });
    await h.sell(2_000);
    const queue = h.sync.parts.queue;
    await h.until(() => h.sync.conditions().some((c) => c.code === "CLOUD_UNREACHABLE"));
    expect(queue.summary()).toMatchObject({ pending: 2_000, failed: 0, acked: 0 });
    expect(h.sync.parts.attempts.latest(1)[0]!.outcome).toBe("unreachable");
    h.cloud.setFaults({ down: false });
    await h.until(() => queue.summary().acked === 2_000, 30_000);
    expect(h.cloud.store.invoiceCount()).toBe(2_000);
    expect(h.sync.conditions().some((c) => c.code === "CLOUD_UNREACHABLE")).toBe(false);
  });

  it("loses no invoice to lost acks and a restart mid-batch; the re-sent ones count as duplicates", async () => {
    h = await new SyncHarness({ batchSize: 50 }).start();
    await h.activate();
    // Sold while the cloud is down, so the backlog is whole and the first batches carry 50 each.
    h.cloud.setFaults({ down: true });
    await h.sell(300);
    h.cloud.setFaults({ down: false, lose_ack_next: 2 });
    const agent = () => h.sync.parts.agent;
    await h.until(() => h.cloud.counters.uploads >= 3);
    await h.stopDaemon();
    await h.openDaemon();
    await h.until(() => h.sync.parts.queue.summary().acked === 300);
    expect(h.cloud.store.invoiceCount()).toBe(300);
    const totals = h.sync.parts.attempts.totals();
    expect(totals.accepted + totals.duplicate).toBeGreaterThanOrEqual(300);
    // The first lost ack hides 50 stored items; the daemon re-sends them and hears `duplicate`.
    expect(totals.duplicate).toBeGreaterThanOrEqual(50);
    expect(h.cloud.counters.duplicate).toBeGreaterThanOrEqual(totals.duplicate);
    expect(h.sync.parts.queue.summary().failed).toBe(0);
    expect(agent().counters.attempts).toBeGreaterThan(0);
  });

  it("surfaces rejections per invoice, and a manual retry delivers them once the cloud accepts", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    h.cloud.setFaults({ reject_fiscal_numbers: [3, 5] });
    const ids = await h.sell(10);
    const queue = h.sync.parts.queue;
    await h.until(() => queue.summary().acked === 8);
    expect(queue.summary().failed).toBe(2);
    const third = h.service.get(ids[2]!)!;
    expect(third.sync.status).toBe("FAILED");
    expect(third.sync.last_error).toContain("rejected by fault injection");
    expect(h.sync.conditions().map((c) => c.code)).toContain("SYNC_FAILED");
    h.cloud.setFaults({ reject_fiscal_numbers: [] });
    expect(h.sync.parts.agent.retry()).toBe(2);
    await h.until(() => queue.summary().acked === 10);
    expect(h.service.get(ids[2]!)!.sync.status).toBe("ACKED");
    expect(h.sync.conditions().map((c) => c.code)).not.toContain("SYNC_FAILED");
  });
});
