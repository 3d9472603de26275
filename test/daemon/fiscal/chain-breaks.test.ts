/**
 * Chain breaks found by reconciliation (daemon/store/chain-breaks.ts): a journal record whose
 * prev_hash is not the hash of the record before it is written to chain_breaks with an audit entry,
 * and /v1/status keeps the JOURNAL_CHAIN_BROKEN error through every later reconciliation until a
 * technician acknowledges it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StatusBoard, type StatusInputs } from "../../../daemon/status.js";
import { decodeRecord, invoiceHash } from "../../../protocol/index.js";
import { canonicalOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** Seals a sale on the device behind the daemon's back. */
function sealOnDevice(clientRef: string, amount: number): void {
  const invoice = canonicalOf(posSale(amount), clientRef);
  const { nonce } = h.device.execute("PREPARE", { invoice });
  h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(invoice) });
}

/**
 * Stores the device's record 1 with one character of its client_ref changed: the store's record 1 is
 * no longer the one the device's record 2 chains to (a restored or swapped store, a rewritten journal).
 */
function storeAlteredFirstRecord(): void {
  const sealed = h.device.execute("GET_RECORD", { fiscal_number: 1 });
  const bytes = Buffer.from(sealed.record);
  const at = bytes.indexOf("PAPER-1");
  expect(at).toBeGreaterThan(0);
  bytes.write("PAPER-9", at);
  const altered = { ...sealed, record: new Uint8Array(bytes) };
  h.store.importRecord(decodeRecord(altered.record), altered);
}

function board(): StatusBoard {
  const inputs: StatusInputs = {
    version: "test",
    clockSkewWarnMs: 60_000,
    connected: () => true,
    deviceStatus: () => undefined,
    deviceId: () => h.device.deviceId,
    identityMismatch: () => null,
    untrusted: () => null,
    counters: () => ({}),
    link: () => ({}),
    lastReconcile: () => h.reconciler.last,
    chainBreaks: () => h.breaks.unacknowledged(),
    extraConditions: () => [],
  };
  return new StatusBoard(inputs);
}

const codes = (status: StatusBoard) => status.status().conditions.map((c) => c.code);

describe("journal chain breaks", () => {
  it("are recorded with an audit entry and stay a status error until a technician acknowledges them", async () => {
    sealOnDevice("PAPER-1", 100);
    sealOnDevice("PAPER-2", 200);
    storeAlteredFirstRecord();
    const status = board();
    expect(codes(status)).not.toContain("JOURNAL_CHAIN_BROKEN");

    const first = await h.reconciler.run();
    expect(first).toMatchObject({ imported: 1, chain_breaks: 1 });
    expect(h.breaks.list()).toMatchObject([
      { device_id: h.device.deviceId, fiscal_number: 2, acknowledged_at: null, acknowledged_by: null },
    ]);
    expect(h.audit.latest()).toContainEqual(
      expect.objectContaining({
        actor: "reconciliation",
        action: "journal.chain-break",
        details: { device_id: h.device.deviceId, fiscal_number: 2 },
      }),
    );
    const condition = status.status().conditions.find((c) => c.code === "JOURNAL_CHAIN_BROKEN");
    expect(condition).toMatchObject({ severity: "error" });
    expect(status.status().status).toBe("error");

    // A later reconciliation finds nothing new; the break is not forgotten.
    await h.service.fiscalise(posSale(), "K", h.caller);
    const second = await h.reconciler.run();
    expect(second.chain_breaks).toBe(0);
    expect(codes(status)).toContain("JOURNAL_CHAIN_BROKEN");
    expect(h.breaks.list()).toHaveLength(1);

    expect(h.breaks.acknowledge("tech-1")).toBe(1);
    expect(codes(status)).not.toContain("JOURNAL_CHAIN_BROKEN");
    expect(h.breaks.list()).toMatchObject([{ fiscal_number: 2, acknowledged_by: "tech-1" }]);
    expect(h.audit.latest(1)).toMatchObject([{ actor: "tech-1", action: "journal.chain-break-ack" }]);
    await h.reconciler.run();
    expect(codes(status)).not.toContain("JOURNAL_CHAIN_BROKEN");
    expect(h.breaks.acknowledge("tech-1")).toBe(0);
  });

  it("finds no break in a journal whose records chain", async () => {
    sealOnDevice("PAPER-1", 100);
    sealOnDevice("PAPER-2", 200);
    await h.service.fiscalise(posSale(), "K", h.caller);
    expect((await h.reconciler.run()).chain_breaks).toBe(0);
    expect(h.breaks.unacknowledged()).toBe(0);
    expect(h.audit.latest().map((e) => e.action)).not.toContain("journal.chain-break");
  });
});
