/**
 * Commit, abort and delivered against each state (docs/API.md §3): repeating what already took effect
 * is a replay; anything else that does not fit the state is INVALID_STATE (322).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FiscalError } from "../../../protocol/index.js";
import { codeOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

describe("two-step transitions", () => {
  it("a second commit of an invoice the first commit sealed is a replay, without a second COMMIT", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    const first = await h.service.commit("K", h.caller);
    const second = await h.service.commit("K", h.caller);
    expect(first.replayed).toBe(false);
    expect(second).toMatchObject({ replayed: true, invoice: { id: first.invoice.id, state: "FISCALIZED" } });
    expect(second.invoice.fiscal).toEqual(first.invoice.fiscal);
    expect(h.port.commits).toBe(1);
  });

  it("an abort by the POS ends ABORTED with ABORTED_BY_POS (324); a second abort is a replay", async () => {
    const { invoice } = await h.service.prepare(posSale(), "K", h.caller);
    const first = await h.service.abort("K", h.caller);
    expect(first).toMatchObject({ replayed: false, invoice: { id: invoice.id, state: "ABORTED" } });
    expect(first.invoice.error).toMatchObject({ code: 324, name: "ABORTED_BY_POS" });
    const second = await h.service.abort(invoice.id, h.caller);
    expect(second).toMatchObject({ replayed: true, invoice: { state: "ABORTED", error: { code: 324 } } });
    expect(second.invoice.transitions.filter((t) => t.state === "ABORTED")).toHaveLength(1);
  });

  it("a commit of an ABORTED invoice is INVALID_STATE, and nothing reaches the device", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    await h.service.abort("K", h.caller);
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(322);
    expect(h.port.commits).toBe(0);
    expect(h.device.memory.lastFiscalNumber).toBe(0);
  });

  it("a commit of a REJECTED invoice is INVALID_STATE", async () => {
    h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError("TAX_GROUP_NOT_ALLOWED") });
    expect(await codeOf(h.service.prepare(posSale(), "K", h.caller))).toBe(306);
    expect(h.service.get("K", h.caller)?.state).toBe("REJECTED");
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(322);
    expect(await codeOf(h.service.abort("K", h.caller))).toBe(322);
  });

  it("an abort of a sealed invoice is INVALID_STATE and leaves it sealed", async () => {
    await h.service.prepare(posSale(), "K", h.caller);
    await h.service.commit("K", h.caller);
    expect(await codeOf(h.service.abort("K", h.caller))).toBe(322);
    expect(h.service.get("K", h.caller)?.state).toBe("FISCALIZED");
  });
});

describe("one-shot invoices and delivery", () => {
  it("commit or abort of a one-shot invoice is INVALID_STATE", async () => {
    const { invoice } = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(await codeOf(h.service.commit("K", h.caller))).toBe(322);
    expect(await codeOf(h.service.commit(invoice.id, h.caller))).toBe(322);
    expect(await codeOf(h.service.abort("K", h.caller))).toBe(322);
    expect(h.service.get("K", h.caller)?.state).toBe("FISCALIZED");
    expect(h.port.commits).toBe(1);
  });

  it("a second delivered is a replay, recorded once", async () => {
    await h.service.fiscalise(posSale(), "K", h.caller);
    const first = await h.service.markDelivered("K", h.caller);
    const second = await h.service.markDelivered("K", h.caller);
    expect(first).toMatchObject({ replayed: false, invoice: { state: "DELIVERED" } });
    expect(second).toMatchObject({ replayed: true, invoice: { state: "DELIVERED" } });
    expect(second.invoice.transitions.map((t) => t.state)).toEqual([
      "PREPARING",
      "PREPARED",
      "FISCALIZED",
      "DELIVERED",
    ]);
  });

  it("delivered of an unknown key is RECORD_NOT_FOUND", async () => {
    expect(await codeOf(h.service.markDelivered("NOPE", h.caller))).toBe(115);
  });
});
