/**
 * What a failed COMMIT leaves behind (docs/API.md §3, docs/PROTOCOL.md §10): a refusal that says the
 * device did not act leaves a two-step invoice PREPARED for the POS to commit again; the session's own
 * "not committed" ends it; anything else is settled through ABORT + GET_RECORD; a device that cannot
 * be asked leaves it PREPARED, in doubt.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ErrorName, FiscalError, fromHex } from "../../../protocol/index.js";
import { codeOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** Device refusals meaning "I did not act" (busy, unactivated, locked, full, clock, self-test, queue, identity). */
const NOT_ACTED: readonly [ErrorName, number][] = [
  ["DEVICE_BUSY", 101],
  ["DEVICE_NOT_ACTIVATED", 102],
  ["DEVICE_LOCKED", 104],
  ["JOURNAL_FULL", 105],
  ["CLOCK_INVALID", 106],
  ["SELF_TEST_FAILED", 108],
  ["DEVICE_QUEUE_FULL", 119],
  ["DEVICE_IDENTITY_MISMATCH", 120],
];

async function pendingNonces(): Promise<number> {
  return (await h.port.listPending()).pending.length;
}

describe("a two-step COMMIT refused without the device acting", () => {
  for (const [name, code] of NOT_ACTED) {
    it(`${name} (${code}) leaves the invoice PREPARED, and the POS commits it again`, async () => {
      const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
      h.port.failNext({ command: "COMMIT", when: "before", error: new FiscalError(name) });
      expect(await codeOf(h.service.commit("K", h.caller))).toBe(code);
      expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "PREPARED", error: null });
      expect(await pendingNonces()).toBe(1);
      const again = await h.service.commit("K", h.caller);
      expect(again).toMatchObject({ replayed: false, invoice: { id: invoice.id, state: "FISCALIZED" } });
    });
  }

  it("a real full journal refuses the COMMIT; the invoice waits PREPARED until there is room", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    h.device.journalCapacity = 0;
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(105);
    expect(h.service.get("K", h.caller)?.state).toBe("PREPARED");
    h.device.journalCapacity = 10;
    expect((await h.service.commit("K", h.caller)).invoice.state).toBe("FISCALIZED");
  });
});

describe("a two-step COMMIT that failed otherwise", () => {
  it("ends ABORTED with the session's error when the session established it was not committed", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    // The session lost the reply, aborted the nonce and found no record: it says so in details.
    const row = h.store.byId(invoice.id)!;
    h.device.execute("ABORT", { nonce: row.nonce! });
    const notCommitted = new FiscalError("DEVICE_TIMEOUT", "reply lost; not committed", {
      outcome: "not-committed",
    });
    h.port.failNext({ command: "COMMIT", when: "before", error: notCommitted });
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(109);
    expect(h.service.get("K", h.caller)).toMatchObject({
      id: invoice.id,
      state: "ABORTED",
      error: { code: 109 },
    });
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(322);
  });

  for (const error of [
    new FiscalError("NONCE_MISMATCH", "bound to another payload"),
    new FiscalError("DEVICE_TIMEOUT", "no reply"),
    new TypeError("link layer bug"),
  ]) {
    it(`${error.message}: settles through ABORT + GET_RECORD and ends ABORTED with the original error`, async () => {
      const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
      h.port.failNext({ command: "COMMIT", when: "before", error });
      const expected = error instanceof FiscalError ? error.code : 100;
      expect(await codeOf(h.service.commit("K", h.caller))).toBe(expected);
      expect(h.port.executed.slice(-2)).toEqual(["ABORT", "GET_RECORD"]);
      expect(h.service.get("K", h.caller)).toMatchObject({ state: "ABORTED", error: { code: expected } });
      expect(await pendingNonces()).toBe(0);
      await expect(h.port.getRecord({ payload_hash: fromHex(invoice.payload_hash) })).rejects.toThrow(/E115/);
    });
  }

  it("stays PREPARED, in doubt, when the device cannot be asked; a later commit then seals it", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    h.port.failNext({
      command: "COMMIT",
      when: "before",
      error: new FiscalError("DEVICE_TIMEOUT"),
      unplug: true,
    });
    expect(h.service.counters.inDoubt).toBe(0);
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(109);
    expect(h.service.counters.inDoubt).toBe(1);
    expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "PREPARED", error: null });
    h.port.trouble.unplugged = false;
    expect((await h.service.commit("K", h.caller)).invoice.state).toBe("FISCALIZED");
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });
});

describe("a one-shot COMMIT refused", () => {
  it("busy: the attempt is settled ABORTED and unbound; the same key fiscalises on retry", async () => {
    h.port.failNext({ command: "COMMIT", when: "before", error: new FiscalError("DEVICE_BUSY") });
    expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(101);
    expect(h.service.get("K", h.caller)).toBeUndefined();
    expect(h.service.list({ limit: 10 }).items).toMatchObject([{ state: "ABORTED", error: { code: 101 } }]);
    expect(await pendingNonces()).toBe(0);
    const retry = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(retry).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
  });
});
