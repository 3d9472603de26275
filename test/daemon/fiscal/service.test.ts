import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fromBase64Url, openSealedRecord, verifyQrPayload } from "../../../protocol/index.js";
import { codeOf, posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

describe("fiscal service: one-shot", () => {
  it("seals an invoice, stores it durably with its transitions, and queues it for upload", async () => {
    const { invoice, replayed } = await h.service.fiscalise(posSale(), "K-1", h.caller);
    expect(replayed).toBe(false);
    expect(invoice.state).toBe("FISCALIZED");
    expect(invoice.transitions.map((t) => t.state)).toEqual(["PREPARING", "PREPARED", "FISCALIZED"]);
    expect(invoice.sync.status).toBe("PENDING");
    const fiscal = invoice.fiscal!;
    expect(fiscal.fiscal_number).toBe(1);
    expect(fiscal.cashier_id).toBe("CASHIER-1");
    // No client_ref in the body: the API key's id and the Idempotency-Key (docs/API.md §2).
    expect(fiscal.client_ref).toBe(`${h.caller.apiKeyId}:K-1`);
    const record = openSealedRecord(
      {
        record: fromBase64Url(fiscal.record),
        signature: fromBase64Url(fiscal.signature),
        auth_code: fiscal.auth_code,
        qr: fiscal.qr,
      },
      h.identity.require().publicKey,
    );
    expect(record.fiscal_number).toBe(1);
    expect(verifyQrPayload(fiscal.qr, h.identity.require().publicKey).authCode).toBe(fiscal.auth_code);
    h.restartDaemon();
    expect(h.service.get("K-1", h.caller)?.fiscal?.fiscal_number).toBe(1);
  });

  it("replays the original result for the same key and body, without touching the device", async () => {
    const first = await h.service.fiscalise(posSale(), "K-2", h.caller);
    const commits = h.port.commits;
    const again = await h.service.fiscalise(posSale(), "K-2", h.caller);
    expect(again.replayed).toBe(true);
    expect(again.invoice.id).toBe(first.invoice.id);
    expect(again.invoice.fiscal).toEqual(first.invoice.fiscal);
    expect(h.port.commits).toBe(commits);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for the same key with another body", async () => {
    await h.service.fiscalise(posSale(), "K-3", h.caller);
    expect(await codeOf(h.service.fiscalise(posSale(999), "K-3", h.caller))).toBe(319);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("refuses an invalid invoice before anything is stored or sent", async () => {
    expect(await codeOf(h.service.fiscalise(posSale(100, { currency: "XYZ" }), "K-4", h.caller))).toBe(300);
    expect(h.service.get("K-4", h.caller)).toBeUndefined();
    expect(h.service.list({ limit: 10 }).items).toEqual([]);
    expect(h.port.executed).not.toContain("PREPARE");
  });

  it("aborts, never guesses, when the device is unplugged; the key stays free and a retry succeeds", async () => {
    h.port.trouble.unplugged = true;
    expect(await codeOf(h.service.fiscalise(posSale(), "K-5", h.caller))).toBe(100);
    // The attempt is on record, ABORTED with its error, but it is not the key's invoice.
    expect(h.service.get("K-5", h.caller)).toBeUndefined();
    const [attempt] = h.service.list({ limit: 10 }).items;
    expect(attempt).toMatchObject({ idempotency_key: "K-5", state: "ABORTED", error: { code: 100 } });
    h.port.trouble.unplugged = false;
    const retry = await h.service.fiscalise(posSale(), "K-5", h.caller);
    expect(retry.replayed).toBe(false);
    expect(retry.invoice.state).toBe("FISCALIZED");
    expect(retry.invoice.id).not.toBe(attempt!.id);
    expect(h.service.get("K-5", h.caller)?.id).toBe(retry.invoice.id);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("settles a lost COMMIT reply through the journal before answering: sealed once, never twice", async () => {
    h.port.trouble.loseCommitReplies = 1;
    const first = await h.service.fiscalise(posSale(), "K-6", h.caller);
    expect(first.invoice.state).toBe("FISCALIZED");
    expect(first.invoice.fiscal?.fiscal_number).toBe(1);
    expect(first.invoice.transitions.at(-1)?.note).toMatch(/device journal/);
    const retry = await h.service.fiscalise(posSale(), "K-6", h.caller);
    expect(retry.replayed).toBe(true);
    expect(retry.invoice.fiscal?.fiscal_number).toBe(1);
    expect(h.port.commits).toBe(1);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("stores a retryable device refusal (journal full) as REJECTED, binds nothing, and fiscalises once it clears", async () => {
    h.device.journalCapacity = 0;
    expect(await codeOf(h.service.fiscalise(posSale(), "K-7", h.caller))).toBe(105);
    expect(h.service.get("K-7", h.caller)).toBeUndefined();
    expect(h.service.list({ limit: 10, state: "REJECTED" }).items).toHaveLength(1);
    h.device.journalCapacity = 10;
    const retry = await h.service.fiscalise(posSale(), "K-7", h.caller);
    expect(retry).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
    expect(h.service.get("K-7", h.caller)?.state).toBe("FISCALIZED");
  });
});

describe("fiscal service: two-step, delivery and credit notes", () => {
  it("prepares with device totals, then commits within the TTL", async () => {
    const { invoice } = await h.service.prepare(posSale(), "T-1", h.caller);
    expect(invoice.state).toBe("PREPARED");
    expect(invoice.totals.tax_total).toBe(1600);
    expect(invoice.commit_before).not.toBeNull();
    const sealed = await h.service.commit(invoice.id, h.caller);
    expect(sealed).toMatchObject({ replayed: false, invoice: { state: "FISCALIZED" } });
    const again = await h.service.commit("T-1", h.caller);
    expect(again).toMatchObject({ replayed: true, invoice: { fiscal: { fiscal_number: 1 } } });
  });

  it("aborts a prepared invoice without sealing it", async () => {
    const { invoice } = await h.service.prepare(posSale(), "T-2", h.caller);
    expect((await h.service.abort(invoice.id, h.caller)).invoice.state).toBe("ABORTED");
    expect(h.device.memory.lastFiscalNumber).toBe(0);
    expect((await h.port.listPending()).pending).toEqual([]);
    expect(await codeOf(h.service.commit(invoice.id, h.caller))).toBe(322);
  });

  it("marks delivery once sealed, and refuses it before", async () => {
    const { invoice } = await h.service.prepare(posSale(), "T-3", h.caller);
    expect(await codeOf(h.service.markDelivered(invoice.id, h.caller))).toBe(322);
    await h.service.commit(invoice.id, h.caller);
    const delivered = await h.service.markDelivered("T-3", h.caller);
    expect(delivered).toMatchObject({ replayed: false, invoice: { state: "DELIVERED" } });
    const again = await h.service.markDelivered("T-3", h.caller);
    expect(again).toMatchObject({ replayed: true, invoice: { state: "DELIVERED" } });
    expect(again.invoice.transitions.filter((t) => t.state === "DELIVERED")).toHaveLength(1);
  });

  it("checks credit notes against the original in the store", async () => {
    const original = await h.service.fiscalise(posSale(10_000), "S-1", h.caller);
    const fn = original.invoice.fiscal!.fiscal_number;
    const credit = (amount: number, kind = "REFUND", ref = fn) =>
      posSale(amount, { type: "CREDIT", reference: { fiscal_number: ref, kind, reason: "retour" } });
    expect(await codeOf(h.service.fiscalise(credit(100, "REFUND", 999), "C-0", h.caller))).toBe(312);
    expect(await codeOf(h.service.fiscalise(credit(10_001), "C-1", h.caller))).toBe(313);
    expect((await h.service.fiscalise(credit(4_000), "C-2", h.caller)).invoice.state).toBe("FISCALIZED");
    expect(await codeOf(h.service.fiscalise(credit(5_000, "VOID"), "C-3", h.caller))).toBe(317);
    expect((await h.service.fiscalise(credit(6_000, "VOID"), "C-4", h.caller)).invoice.state).toBe(
      "FISCALIZED",
    );
    expect(await codeOf(h.service.fiscalise(credit(1), "C-5", h.caller))).toBe(313);
  });

  it("lists invoices newest first with filters and a cursor", async () => {
    for (let i = 0; i < 5; i++) await h.service.fiscalise(posSale(100 + i), `L-${i}`, h.caller);
    await h.service.prepare(posSale(), "L-p", h.caller);
    const page1 = h.service.list({ limit: 2, state: "FISCALIZED" }, h.caller);
    expect(page1.items.map((i) => i.idempotency_key)).toEqual(["L-4", "L-3"]);
    const page2 = h.service.list({ limit: 2, state: "FISCALIZED", cursor: page1.next_cursor! }, h.caller);
    expect(page2.items.map((i) => i.idempotency_key)).toEqual(["L-2", "L-1"]);
    expect(h.service.list({ limit: 10, state: "PREPARED" }, h.caller).items).toHaveLength(1);
  });
});
