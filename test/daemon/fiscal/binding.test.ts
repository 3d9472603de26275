/**
 * When an Idempotency-Key is bound to its invoice (docs/API.md §2): two-step at PREPARED, one-shot
 * when sealed, and at a final refusal. A retryable refusal binds nothing: the attempt stays on record,
 * GET by the key finds nothing, and the same key fiscalises once the condition clears.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ErrorName, FiscalError } from "../../../protocol/index.js";
import { codeOf, posSale, refusalOf, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

const boundRows = () => h.db.prepare("SELECT idempotency_key, invoice_id FROM idempotency_keys").all();

describe("binding a key", () => {
  it("two-step: bound at PREPARED; a retry replays it and GET finds it", async () => {
    const first = await h.service.prepare(posSale(), "K", h.caller);
    expect(boundRows()).toEqual([{ idempotency_key: "K", invoice_id: first.invoice.id }]);
    expect(h.service.get("K", h.caller)).toMatchObject({ id: first.invoice.id, state: "PREPARED" });
    const again = await h.service.prepare(posSale(), "K", h.caller);
    expect(again).toMatchObject({ replayed: true, invoice: { id: first.invoice.id, state: "PREPARED" } });
    expect(h.port.executed.filter((c) => c === "PREPARE")).toHaveLength(1);
  });

  it("one-shot: bound when sealed", async () => {
    const { invoice } = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(boundRows()).toEqual([{ idempotency_key: "K", invoice_id: invoice.id }]);
  });

  it("a final refusal is REJECTED and bound: the retry replays the error without asking the device", async () => {
    h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError("TAX_GROUP_NOT_ALLOWED") });
    expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(306);
    const rejected = h.service.get("K", h.caller);
    expect(rejected).toMatchObject({
      state: "REJECTED",
      error: { code: 306, name: "TAX_GROUP_NOT_ALLOWED" },
    });
    const replay = await refusalOf(h.service.fiscalise(posSale(), "K", h.caller));
    expect(replay.code).toBe(306);
    expect(replay.details?.replayed).toBe(true);
    expect(h.port.executed).not.toContain("PREPARE");
    expect(h.service.list({ limit: 10 }).items.map((i) => i.id)).toEqual([rejected!.id]);
  });
});

describe("a retryable PREPARE refusal binds nothing", () => {
  const RETRYABLE: readonly [ErrorName, number, "REJECTED" | "ABORTED"][] = [
    ["DEVICE_BUSY", 101, "REJECTED"],
    ["CLOCK_INVALID", 106, "REJECTED"],
    ["PENDING_LIMIT", 110, "REJECTED"],
    // The link failed: the device's answer is unknown, and PREPARE changes no counter.
    ["DEVICE_UNAVAILABLE", 100, "ABORTED"],
  ];
  for (const [name, code, state] of RETRYABLE) {
    it(`${name} (${code}): the attempt is ${state} on record, GET K is 404, and a retry fiscalises`, async () => {
      h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError(name) });
      expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(code);
      expect(h.service.get("K", h.caller)).toBeUndefined();
      expect(h.service.get("K")).toBeUndefined();
      expect(boundRows()).toEqual([]);
      const [attempt] = h.service.list({ limit: 10 }, h.caller).items;
      expect(attempt).toMatchObject({ idempotency_key: "K", state, error: { code } });
      const retry = await h.service.fiscalise(posSale(), "K", h.caller);
      expect(retry).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
      expect(h.service.get("K", h.caller)?.id).toBe(retry.invoice.id);
    });
  }

  it("two-step too: a busy device leaves the key free for the same prepare", async () => {
    h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError("DEVICE_BUSY") });
    expect(await codeOf(h.service.prepare(posSale(), "K", h.caller))).toBe(101);
    expect(h.service.get("K", h.caller)).toBeUndefined();
    const retry = await h.service.prepare(posSale(), "K", h.caller);
    expect(retry).toMatchObject({ replayed: false, invoice: { state: "PREPARED" } });
  });

  it("§1: ten prepares held open → PENDING_LIMIT; once they are aborted, the same key fiscalises", async () => {
    for (let i = 0; i < 10; i++) await h.service.prepare(posSale(1_000 + i), `P-${i}`, h.caller);
    const refused = await refusalOf(h.service.fiscalise(posSale(), "K1", h.caller));
    expect(refused.code).toBe(110);
    expect(refused.httpStatus).toBe(503);
    expect(h.service.get("K1", h.caller)).toBeUndefined();
    for (let i = 0; i < 10; i++) await h.service.abort(`P-${i}`, h.caller);
    const sealed = await h.service.fiscalise(posSale(), "K1", h.caller);
    expect(sealed).toMatchObject({
      replayed: false,
      invoice: { state: "FISCALIZED", fiscal: { fiscal_number: 1 } },
    });
    expect(h.service.get("K1", h.caller)?.state).toBe("FISCALIZED");
  });
});

describe("a key names one invoice forever (§3)", () => {
  it("prepare, abort, prepare again with the same body: the ABORTED invoice is replayed, nothing new", async () => {
    const prepared = await h.service.prepare(posSale(), "K", h.caller);
    await h.service.abort("K", h.caller);
    const again = await h.service.prepare(posSale(), "K", h.caller);
    expect(again).toMatchObject({ replayed: true, invoice: { id: prepared.invoice.id, state: "ABORTED" } });
    expect(h.service.get("K", h.caller)).toMatchObject({ id: prepared.invoice.id, state: "ABORTED" });
    expect(h.service.list({ limit: 10 }).items).toHaveLength(1);
    expect(h.port.executed.filter((c) => c === "PREPARE")).toHaveLength(1);
    expect((await h.port.listPending()).pending).toEqual([]);
    // The same key for the one-shot route is another request: a conflict, never a second invoice.
    expect(await codeOf(h.service.fiscalise(posSale(), "K", h.caller))).toBe(319);
  });
});
