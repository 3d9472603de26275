import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type CanonicalInvoiceV2,
  fromBase64Url,
  openSealedRecord,
  verifyQrPayload,
} from "../../../protocol/index.js";
import { TEST_IDENTITY } from "../../emulator/fixtures.js";
import { codeOf, issueCodesOf, posSale, ServiceHarness, TEST_SFE } from "./harness.js";

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

describe("fiscal service: the answer of a seal is built from what the request holds", () => {
  /** The view as JSON carries it (what the POS receives), key order aside. */
  const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

  it("answers a one-shot sale exactly as a GET of it then reads it back from the store", async () => {
    const { invoice } = await h.service.fiscalise(posSale(), "K-VIEW", h.caller);
    const read = h.service.get("K-VIEW", h.caller);
    expect(asJson(invoice)).toStrictEqual(asJson(read));
    // And as a fresh daemon reads it, from the file alone.
    h.restartDaemon();
    expect(asJson(h.service.get("K-VIEW", h.caller))).toStrictEqual(asJson(invoice));
  });

  it("answers a two-step commit exactly as a GET of it", async () => {
    await h.service.prepare(posSale(), "T-VIEW", h.caller);
    const { invoice } = await h.service.commit("T-VIEW", h.caller);
    expect(invoice.state).toBe("FISCALIZED");
    expect(asJson(invoice)).toStrictEqual(asJson(h.service.get("T-VIEW", h.caller)));
  });

  it("writes a one-shot attempt once, PREPARED with both transitions, only after the device prepared it", async () => {
    const held = h.port.hold("PREPARE");
    const request = h.service.fiscalise(posSale(), "K-ONCE", h.caller);
    await held.reached;
    // While the device validates, nothing is stored: a GET does not find the key.
    expect(h.service.get("K-ONCE", h.caller)).toBeUndefined();
    expect(h.store.openInvoices()).toEqual([]);
    held.release();
    const { invoice } = await request;
    expect(invoice.transitions.map((t) => t.state)).toEqual(["PREPARING", "PREPARED", "FISCALIZED"]);
    expect(h.store.transitionsOf(invoice.id).map((t) => t.state)).toEqual([
      "PREPARING",
      "PREPARED",
      "FISCALIZED",
    ]);
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

  it("checks credit notes against the original's lines in the store (SFE EG1.26)", async () => {
    // The original: 10 bags at 1 000 centimes = 10 000.
    const line = (quantity: number, unitPrice = 1000, name = "Sac de riz") => ({
      name,
      kind: "BIE",
      quantity,
      unit_price: unitPrice,
      tax_group: "B",
    });
    const original = await h.service.fiscalise(posSale(10_000, { items: [line(10)] }), "S-1", h.caller);
    const fn = original.invoice.fiscal!.fiscal_number;
    const credit = (quantity: number, nature = "RAM", ref = fn, item = line(quantity)) =>
      posSale(item.quantity * item.unit_price, {
        type: "CREDIT",
        items: [item],
        reference: { nature, fiscal_number: ref, reason: "retour" },
      });
    expect(await codeOf(h.service.fiscalise(credit(1, "RAM", 999), "C-0", h.caller))).toBe(312);
    expect(await codeOf(h.service.fiscalise(credit(11), "C-1", h.caller))).toBe(313);
    expect((await h.service.fiscalise(credit(4), "C-2", h.caller)).invoice.state).toBe("FISCALIZED");
    // 6 bags remain: another name, another price, or 7 bags are refused.
    const other = line(1, 1000, "Huile 1 l");
    expect(await codeOf(h.service.fiscalise(credit(1, "RAM", fn, other), "C-3", h.caller))).toBe(330);
    const cheaper = line(1, 900);
    expect(await codeOf(h.service.fiscalise(credit(1, "RAM", fn, cheaper), "C-4", h.caller))).toBe(332);
    // An annulation (RAN) takes back everything that remains: 5 of the 6 bags is not enough.
    expect(await codeOf(h.service.fiscalise(credit(5, "RAN"), "C-5", h.caller))).toBe(317);
    expect((await h.service.fiscalise(credit(6, "RAN"), "C-6", h.caller)).invoice.state).toBe("FISCALIZED");
    expect(await codeOf(h.service.fiscalise(credit(1), "C-7", h.caller))).toBe(313);
  });

  it("seals an RRR credit note, which references no original", async () => {
    const rrr = posSale(500, { type: "CREDIT", reference: { nature: "RRR", reason: "ristourne annuelle" } });
    const sealed = await h.service.fiscalise(rrr, "R-1", h.caller);
    expect(sealed.invoice.state).toBe("FISCALIZED");
    expect(sealed.invoice.fiscal).toMatchObject({ v: 2, dgi_type: "FA" });
  });

  it("seals a version-2 invoice with the SFE identity, the seller of the activation and the key's label", async () => {
    // No operator in the body: the API key's label ("till of CASHIER-1") names the operator.
    const { operator: _, ...body } = posSale(11_600);
    const sealed = await h.service.fiscalise(body, "V2-1", h.caller);
    const invoice = sealed.invoice.invoice as CanonicalInvoiceV2;
    expect(invoice).toMatchObject({
      v: 2,
      dgi_type: "FV",
      isf: TEST_SFE.isf,
      seller: { nif: TEST_IDENTITY.merchant_nif, ...TEST_SFE.seller },
      operator: { id: "CASHIER-1", name: "till of CASHIER-1" },
      price_mode: "TTC",
      rn: invoice.client_ref,
    });
    expect(sealed.invoice.fiscal).toMatchObject({
      v: 2,
      dgi_type: "FV",
      year_number: 1,
      isf: TEST_SFE.isf,
      rn: invoice.client_ref,
    });
    // The fiscal year of a seal now, at UTC+01:00.
    const now = new Date(Date.now() + 3_600_000);
    expect([now.getUTCFullYear(), now.getUTCFullYear() - 1]).toContain(sealed.invoice.fiscal!.fiscal_year);
  });

  it("checks a USD payment's rate against the configured reference (SFE EG1.30)", async () => {
    // The reference is 2 850 CDF per USD, 1 % either way: 2 821.50 to 2 878.50.
    const usd = (rate: string, cents: number, cdf: number) =>
      posSale(cdf, {
        payments: [
          {
            method: "CASH",
            amount: cdf,
            foreign: { currency: "USD", amount: cents, rate, rate_date: "2026-12-01" },
          },
        ],
      });
    // 10.00 USD at 2 878.50 = 28 785,00 CDF = 2 878 500 centimes: at the edge, sealed.
    const edge = await h.service.fiscalise(usd("2878.5", 1_000, 2_878_500), "FX-1", h.caller);
    expect(edge.invoice.state).toBe("FISCALIZED");
    // 10.00 USD at 2 880 = 2 880 000 centimes: 1.05 % off, refused.
    expect(await issueCodesOf(h.service.fiscalise(usd("2880", 1_000, 2_880_000), "FX-2", h.caller))).toEqual([
      300,
      [333],
    ]);
    // A daemon with no reference rate refuses any USD payment: it cannot check it.
    const unreferenced = h.serviceWith({ ...TEST_SFE, fx: { reference: {}, toleranceBp: 100 } });
    expect(
      await issueCodesOf(unreferenced.fiscalise(usd("2850", 1_000, 2_850_000), "FX-3", h.caller)),
    ).toEqual([300, [334]]);
  });

  it("refuses to seal while the SFE identity is not configured", async () => {
    const bare = h.serviceWith(undefined);
    expect(await codeOf(bare.fiscalise(posSale(100), "U-1", h.caller))).toBe(336);
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
