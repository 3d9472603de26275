/**
 * Bounded waits and concurrent requests (docs/API.md §2): every POS operation answers within the
 * request bound (15 s by default) whatever the device does, the work goes on under the key's lock,
 * and a request for a key that is busy is refused at once with REQUEST_IN_PROGRESS. Time is fake.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_REQUEST_BOUND_MS } from "../../../daemon/fiscal/service.js";
import { track } from "../../support/settle.js";
import { codeOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  // setImmediate stays real: `drain` uses it to let the service's work (microtasks only) finish.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
  h = await new ServiceHarness().start();
});
afterEach(() => {
  h.stop();
  vi.useRealTimers();
});

/**
 * Lets the work still running behind an answered request finish: the emulated device answers in
 * microtasks and the store is synchronous, so one turn of the event loop runs it to its end.
 */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("the request bound", () => {
  it("is 15 seconds by default", () => {
    expect(DEFAULT_REQUEST_BOUND_MS).toBe(15_000);
  });

  it("answers DEVICE_TIMEOUT once the bound passes on a device that never answers, and not before", async () => {
    const prepare = h.port.hold("PREPARE");
    const request = track(h.service.fiscalise(posSale(), "K", h.caller));
    await prepare.reached;
    await vi.advanceTimersByTimeAsync(14_999);
    expect(request.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await codeOf(request.promise)).toBe(109);
  });

  it("keeps the key's lock while the work goes on: the same key is REQUEST_IN_PROGRESS at once", async () => {
    const prepare = h.port.hold("PREPARE");
    const request = track(h.service.fiscalise(posSale(), "K", h.caller));
    await prepare.reached;
    expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(321);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await codeOf(request.promise)).toBe(109);
    // Answered, but the work still runs: the key stays busy until it ends.
    expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(321);
    // Another key is not held up.
    expect((await h.service.prepare(posSale(500), "OTHER", h.caller)).invoice.state).toBe("PREPARED");
    prepare.release();
    await drain();
    expect(h.service.list({ limit: 10, state: "ABORTED" }).items).toHaveLength(1);
  });

  it("one-shot past the bound before its COMMIT: never sends COMMIT, ends ABORTED INTERRUPTED, key free", async () => {
    const prepare = h.port.hold("PREPARE");
    const request = track(h.service.fiscalise(posSale(), "K", h.caller));
    await prepare.reached;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await codeOf(request.promise)).toBe(109);
    prepare.release();
    await drain();
    const [attempt] = h.service.list({ limit: 10 }).items;
    expect(attempt).toMatchObject({
      idempotency_key: "K",
      state: "ABORTED",
      error: { code: 325, name: "INTERRUPTED" },
    });
    expect(h.port.commits).toBe(0);
    expect((await h.port.listPending()).pending).toEqual([]);
    expect(h.service.get("K", h.caller)).toBeUndefined();
    const retry = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(retry).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("two-step COMMIT past the bound: DEVICE_TIMEOUT, then the outcome is stored under the key", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    const commit = h.port.hold("COMMIT");
    const request = track(h.service.commit("K", h.caller));
    await commit.reached;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await codeOf(request.promise)).toBe(109);
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(321);
    commit.release();
    await drain();
    expect(h.service.get("K", h.caller)?.state).toBe("FISCALIZED");
    // The key stays locked until the seal is on the disk (its fsync runs off the event loop).
    const retry = await vi.waitFor(() => h.service.commit("K", h.caller));
    expect(retry).toMatchObject({
      replayed: true,
      invoice: { state: "FISCALIZED", fiscal: { fiscal_number: 1 } },
    });
  });

  it("applies a configured bound to abort and delivered too", async () => {
    h.stop();
    h = await new ServiceHarness({ requestBoundMs: 2_000 }).start();
    await h.service.prepare(posSale(), "K", h.caller);
    const abort = h.port.hold("ABORT");
    const request = track(h.service.abort("K", h.caller));
    await abort.reached;
    await vi.advanceTimersByTimeAsync(1_999);
    expect(request.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await codeOf(request.promise)).toBe(109);
    expect(await codeOf(h.service.markDelivered("K", h.caller))).toBe(321);
    abort.release();
    await drain();
    expect(h.service.get("K", h.caller)?.state).toBe("ABORTED");
  });
});

describe("concurrent requests for one key", () => {
  it("a second create while the first runs is REQUEST_IN_PROGRESS at once, not a wait and a replay", async () => {
    const first = h.service.fiscalise(posSale(), "K", h.caller);
    const second = h.service.fiscalise(posSale(), "K", h.caller);
    expect(await codeOf(second)).toBe(321);
    expect((await first).invoice.state).toBe("FISCALIZED");
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("a commit and an abort of the same prepared invoice: the second is REQUEST_IN_PROGRESS", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    const commit = h.service.commit("K", h.caller);
    expect(await codeOf(h.service.abort("K", h.caller))).toBe(321);
    expect((await commit).invoice.state).toBe("FISCALIZED");
  });

  it("the same key of two API keys runs side by side", async () => {
    const till2 = h.newCaller("CASHIER-2").caller;
    const [a, b] = await Promise.all([
      h.service.fiscalise(posSale(), "K", h.caller),
      h.service.fiscalise(posSale(), "K", till2),
    ]);
    expect([a.invoice.state, b.invoice.state]).toEqual(["FISCALIZED", "FISCALIZED"]);
  });
});
