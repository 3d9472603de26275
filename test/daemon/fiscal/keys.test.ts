/**
 * Keys belong to an API key (docs/API.md §2): each API key has its own key space, a POS sees only its
 * own invoices (and the journal imports no key owns), and the default client_ref carries the API key's
 * id so two tills' invoices never meet on the device either.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultClientRef } from "../../../daemon/fiscal/request-keys.js";
import type { Caller } from "../../../daemon/fiscal/types.js";
import { invoiceHash } from "../../../protocol/index.js";
import { canonicalOf, codeOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
let till2: Caller;
beforeEach(async () => {
  h = await new ServiceHarness().start();
  till2 = h.newCaller("CASHIER-2").caller;
});
afterEach(() => h.stop());

describe("keys scoped per API key", () => {
  it("two tills using the same key and body both get sealed invoices; each GET sees its own", async () => {
    const a = await h.service.fiscalise(posSale(), "TICKET-1", h.caller);
    const b = await h.service.fiscalise(posSale(), "TICKET-1", till2);
    expect(a.replayed).toBe(false);
    expect(b.replayed).toBe(false);
    expect(a.invoice.state).toBe("FISCALIZED");
    expect(b.invoice.state).toBe("FISCALIZED");
    expect(a.invoice.id).not.toBe(b.invoice.id);
    expect(new Set([a.invoice.fiscal?.fiscal_number, b.invoice.fiscal?.fiscal_number])).toEqual(
      new Set([1, 2]),
    );
    expect(a.invoice.fiscal?.client_ref).toBe(`${h.caller.apiKeyId}:TICKET-1`);
    expect(b.invoice.fiscal?.client_ref).toBe(`${till2.apiKeyId}:TICKET-1`);
    expect(h.service.get("TICKET-1", h.caller)?.id).toBe(a.invoice.id);
    expect(h.service.get("TICKET-1", till2)?.id).toBe(b.invoice.id);
    // Each till's retry replays its own invoice.
    expect((await h.service.fiscalise(posSale(), "TICKET-1", till2)).invoice.id).toBe(b.invoice.id);
  });

  it("the same key with another till's body is not a conflict: the key spaces never meet", async () => {
    await h.service.fiscalise(posSale(), "TICKET-2", h.caller);
    const other = await h.service.fiscalise(posSale(999), "TICKET-2", till2);
    expect(other).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
  });

  it("a till can neither see nor act on another till's invoice, by id or by key", async () => {
    const sealed = await h.service.fiscalise(posSale(), "A-1", h.caller);
    const prepared = await h.service.prepare(posSale(500), "A-2", h.caller);
    expect(h.service.get(sealed.invoice.id, till2)).toBeUndefined();
    expect(h.service.get("A-1", till2)).toBeUndefined();
    expect(await codeOf(h.service.markDelivered(sealed.invoice.id, till2))).toBe(115);
    expect(await codeOf(h.service.commit(prepared.invoice.id, till2))).toBe(115);
    expect(await codeOf(h.service.abort("A-2", till2))).toBe(115);
    expect(h.service.get("A-2", h.caller)?.state).toBe("PREPARED");
    expect(h.service.get(sealed.invoice.id, h.caller)?.state).toBe("FISCALIZED");
  });

  it("lists a caller's own invoices and the journal imports; the technician (no caller) sees all", async () => {
    await h.service.fiscalise(posSale(100), "L-1", h.caller);
    await h.service.fiscalise(posSale(200), "L-2", till2);
    const stray = canonicalOf(posSale(300), "PAPER-1", "CASHIER-0");
    const { nonce } = h.device.execute("PREPARE", { invoice: stray });
    h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(stray) });
    expect((await h.reconciler.run()).imported).toBe(1);
    const keysOf = (items: readonly { idempotency_key: string | null }[]) =>
      items.map((i) => i.idempotency_key);
    expect(keysOf(h.service.list({ limit: 10 }, h.caller).items)).toEqual([null, "L-1"]);
    expect(keysOf(h.service.list({ limit: 10 }, till2).items)).toEqual([null, "L-2"]);
    expect(keysOf(h.service.list({ limit: 10 }).items)).toEqual([null, "L-2", "L-1"]);
    const imported = h.service.list({ limit: 10 }).items[0]!;
    expect(h.service.get(imported.id, till2)?.id).toBe(imported.id);
  });

  it("the technician looks a key up across API keys", async () => {
    const { invoice } = await h.service.fiscalise(posSale(), "T-1", till2);
    expect(h.service.get("T-1")?.id).toBe(invoice.id);
    expect(h.service.get(invoice.id)?.id).toBe(invoice.id);
  });
});

describe("the default client_ref", () => {
  it("is `<api key id>:<key>` while that fits in 64 characters", async () => {
    const key = "K".repeat(64 - h.caller.apiKeyId.length - 1);
    expect(defaultClientRef(h.caller.apiKeyId, key)).toBe(`${h.caller.apiKeyId}:${key}`);
    const { invoice } = await h.service.fiscalise(posSale(), key, h.caller);
    expect(invoice.fiscal?.client_ref).toBe(`${h.caller.apiKeyId}:${key}`);
  });

  it("is `<api key id>:=` and the key's SHA-256 in base64url, cut at 64, when the key is too long", async () => {
    const key = `TILL-7/${"0".repeat(56)}1`;
    const digest = createHash("sha256").update(key).digest("base64url");
    const expected = `${h.caller.apiKeyId}:=${digest}`.slice(0, 64);
    expect(expected.length).toBeLessThanOrEqual(64);
    expect(defaultClientRef(h.caller.apiKeyId, key)).toBe(expected);
    // Two long keys that share their first 63 characters still get different references.
    expect(defaultClientRef(h.caller.apiKeyId, `${key.slice(0, -1)}2`)).not.toBe(expected);
    const { invoice } = await h.service.fiscalise(posSale(), key, h.caller);
    expect(invoice.fiscal?.client_ref).toBe(expected);
    expect(h.service.get(key, h.caller)?.id).toBe(invoice.id);
  });

  it("is not used when the body has its own client_ref", async () => {
    const { invoice } = await h.service.fiscalise(
      posSale(100, { client_ref: "TILL1-0042" }),
      "C-1",
      h.caller,
    );
    expect(invoice.fiscal?.client_ref).toBe("TILL1-0042");
  });
});
