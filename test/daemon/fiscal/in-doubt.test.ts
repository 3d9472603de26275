/**
 * The in-doubt rule (docs/API.md §2): once a COMMIT may have reached the device, the invoice is never
 * stored or answered as not sealed until the device itself says so (its nonce aborted, then
 * GET_RECORD by payload hash → RECORD_NOT_FOUND). Each case seals on the real emulator and then loses
 * the answer in a different way; after a restart, the POS's retry must get the device's record.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FiscalError, fromHex, toBase64Url } from "../../../protocol/index.js";
import { codeOf, type Fault, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** How the answer of a COMMIT the device executed gets lost. */
const LOST_ANSWERS: readonly { readonly name: string; readonly lose: () => void }[] = [
  { name: "the daemon dies before storing the record", lose: () => h.crashAfterDeviceCommit() },
  {
    name: "the reply times out and the device cannot be asked (unplugged)",
    lose: () => h.port.failNext(lostReply(new FiscalError("DEVICE_TIMEOUT", "reply lost"), true)),
  },
  {
    name: "the reply cannot be decoded (MESSAGE_INVALID)",
    lose: () => h.port.failNext(lostReply(new FiscalError("MESSAGE_INVALID", "garbled reply"))),
  },
  {
    name: "a retransmission is answered NONCE_UNKNOWN (the first one sealed)",
    lose: () => h.port.failNext(lostReply(new FiscalError("NONCE_UNKNOWN", "already used"))),
  },
  {
    name: "the link layer throws something that is not a FiscalError",
    lose: () => h.port.failNext(lostReply(new TypeError("socket hang up"))),
  },
];

function lostReply(error: unknown, unplug = false): Fault {
  return { command: "COMMIT", when: "after", error, unplug };
}

describe("the in-doubt rule: a COMMIT the device sealed is never answered ABORTED", () => {
  for (const { name, lose } of LOST_ANSWERS) {
    it(`two-step, ${name}: after a restart the POS's retry gets the sealed invoice`, async () => {
      const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
      lose();
      await h.service.commit("K", h.caller).catch(() => undefined);
      // Whatever the first answer was, the store never says "not sealed".
      expect(h.store.byId(invoice.id)!.state).not.toBe("ABORTED");

      h.port.trouble.unplugged = false;
      h.restartDaemon();
      const retry = await h.service.commit("K", h.caller);
      expect(retry.invoice).toMatchObject({ id: invoice.id, state: "FISCALIZED", error: null });
      const deviceRecord = await h.port.getRecord({ payload_hash: fromHex(invoice.payload_hash) });
      expect(retry.invoice.fiscal?.record).toBe(toBase64Url(deviceRecord.record));
      expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "FISCALIZED" });
      expect(h.deviceRecordsOf(invoice.payload_hash)).toEqual([1]);

      const report = await h.reconciler.run();
      expect(report).toMatchObject({ imported: 0, settled_aborted: 0 });
      const all = h.service.list({ limit: 10 }).items;
      expect(all.filter((i) => i.payload_hash === invoice.payload_hash).map((i) => i.id)).toEqual([
        invoice.id,
      ]);
      expect(all.filter((i) => i.idempotency_key === null)).toEqual([]);
    });
  }

  it("two-step: reconciliation after the restart, before any retry, seals it in place", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    h.crashAfterDeviceCommit();
    await expect(h.service.commit("K", h.caller)).rejects.toThrow(/simulated crash/);
    h.restartDaemon();
    expect(await h.reconciler.run()).toMatchObject({ settled_sealed: 1, imported: 0 });
    expect(h.service.get("K", h.caller)).toMatchObject({ id: invoice.id, state: "FISCALIZED" });
    const retry = await h.service.commit("K", h.caller);
    expect(retry).toMatchObject({
      replayed: true,
      invoice: { state: "FISCALIZED", fiscal: { fiscal_number: 1 } },
    });
    expect(h.service.list({ limit: 10 }).items).toHaveLength(1);
  });

  it("one-shot, the daemon dies after the device sealed: the retry after a restart replays the record", async () => {
    h.crashAfterDeviceCommit();
    await expect(h.service.fiscalise(posSale(), "K", h.caller)).rejects.toThrow(/simulated crash/);
    h.restartDaemon();
    const retry = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(retry).toMatchObject({
      replayed: true,
      invoice: { state: "FISCALIZED", fiscal: { fiscal_number: 1 } },
    });
    expect(h.port.commits).toBe(1);
    expect(h.deviceRecordsOf(retry.invoice.payload_hash)).toEqual([1]);
  });

  it("ends ABORTED only on the device's own answer: a COMMIT that never arrived is aborted after asking", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    h.port.failNext({
      command: "COMMIT",
      when: "before",
      error: new FiscalError("MESSAGE_INVALID", "garbled"),
    });
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(212);
    // It asked: ABORT of the nonce, then the journal by payload hash, which had nothing.
    expect(h.port.executed.slice(-2)).toEqual(["ABORT", "GET_RECORD"]);
    expect(h.service.get("K", h.caller)).toMatchObject({
      id: invoice.id,
      state: "ABORTED",
      error: { code: 212 },
    });
    expect((await h.port.listPending()).pending).toEqual([]);
    expect(h.device.memory.lastFiscalNumber).toBe(0);
  });
});
