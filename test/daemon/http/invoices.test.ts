import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoicePage, InvoiceView } from "../../../daemon/fiscal/types.js";
import { ErrorResponseSchema, InvoicePageSchema, InvoiceViewSchema } from "../../../daemon/http/schemas.js";
import { parseQrPayload } from "../../../protocol/index.js";
import { saleBody } from "./fakes.js";
import { authHeaders, expectConforms, makeApp } from "./harness.js";

// One app for the file (building one costs ~100 ms); every test uses its own Idempotency-Keys.
const h = makeApp();
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

function callsFor(op: string, key: string) {
  return h.service.calls.filter((c) => c.op === op && c.key === key);
}

function create(body: unknown, key: string | undefined, path = "/v1/invoices") {
  return h.app.inject({
    method: "POST",
    url: path,
    headers: authHeaders(key === undefined ? {} : { "idempotency-key": key }),
    payload: body as Record<string, unknown>,
  });
}

describe("POST /v1/invoices", () => {
  it("seals an invoice and answers 201 with the fiscal response", async () => {
    const res = await create(saleBody(), "POS1-0001");
    expect(res.statusCode).toBe(201);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.headers["idempotent-replayed"]).toBeUndefined();
    expect(res.headers["x-request-id"]).toBeTruthy();
    const view = res.json<InvoiceView>();
    expectConforms(InvoiceViewSchema, view);
    expect(view.state).toBe("FISCALIZED");
    expect(view.idempotency_key).toBe("POS1-0001");
    expect(view.client_ref).toBe("POS1-0001");
    expect(view.totals.total).toBe(8750);
    expect(view.fiscal?.fiscal_number).toBeGreaterThan(0);
    // The Code DEF/DGI: 24 characters of Crockford base32 (docs/PROTOCOL.md §8.3).
    expect(view.fiscal?.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
    expect(view.fiscal?.qr.startsWith("RDCDEF01;")).toBe(true);
    expect(view.invoice?.items[0]?.quantity_milli).toBe(2500);
  });

  it("passes the key's caller and the Idempotency-Key to the service", async () => {
    await create(saleBody(), "POS1-0002");
    expect(callsFor("fiscalise", "POS1-0002")[0]).toEqual({
      op: "fiscalise",
      key: "POS1-0002",
      caller: h.caller,
    });
  });

  it("replays the original result with Idempotent-Replayed: true", async () => {
    const first = await create(saleBody(), "POS1-0003");
    const again = await create(saleBody(), "POS1-0003");
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for the same key with another body", async () => {
    await create(saleBody(), "POS1-0004");
    const other = saleBody({ comments: { B: "changed" } });
    const res = await create(other, "POS1-0004");
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: { code: 319, name: "IDEMPOTENCY_CONFLICT", message: expect.any(String) },
    });
    expectConforms(ErrorResponseSchema, res.json());
  });

  it("requires an Idempotency-Key (400, even when the body is also wrong)", async () => {
    const before = h.service.calls.length;
    for (const body of [saleBody(), { type: 42 }]) {
      const res = await create(body, undefined);
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe(320);
      expect(error.name).toBe("IDEMPOTENCY_KEY_REQUIRED");
      expect(error.issues[0].path).toBe("/headers/idempotency-key");
    }
    expect(h.service.calls.length).toBe(before);
  });

  it("refuses a malformed Idempotency-Key with 400", async () => {
    for (const key of ["", "has space", "x".repeat(65), "semi;colon", "é"]) {
      const res = await h.app.inject({
        method: "POST",
        url: "/v1/invoices",
        headers: { ...authHeaders(), "idempotency-key": key },
        payload: saleBody(),
      });
      expect(res.statusCode, JSON.stringify(key)).toBe(400);
      expect(res.json().error.name).toBe("IDEMPOTENCY_KEY_REQUIRED");
    }
  });

  it("answers 422 INVOICE_INVALID with JSON-pointer issues for wrong types", async () => {
    const body = saleBody({
      items: [{ name: "Sucre", kind: "BIE", quantity: 1, unit_price: "35.00", tax_group: "Z" }],
      currency: "XXX",
      extra: true,
    });
    const res = await create(body, "POS1-0005");
    expect(res.statusCode).toBe(422);
    expectConforms(ErrorResponseSchema, res.json());
    const { error } = res.json();
    expect(error.code).toBe(300);
    expect(error.name).toBe("INVOICE_INVALID");
    const byPath = Object.fromEntries(
      error.issues.map((i: { path: string; code: number }) => [i.path, i.code]),
    );
    expect(byPath).toMatchObject({
      "/items/0/unit_price": 302,
      "/items/0/tax_group": 305,
      "/currency": 314,
      "/extra": 304,
    });
    expect(callsFor("fiscalise", "POS1-0005")).toHaveLength(0);
  });

  it("reports missing fields as FIELD_REQUIRED and ranges as FIELD_RANGE", async () => {
    const res = await create({ type: "SALE", currency: "CDF", items: [], payments: [] }, "POS1-0006");
    expect(res.statusCode).toBe(422);
    const codes = res.json().error.issues.map((i: { path: string; code: number }) => `${i.path}:${i.code}`);
    expect(codes).toEqual(expect.arrayContaining(["/items:303", "/payments:303"]));
    const missing = await create({ currency: "CDF" }, "POS1-0007");
    const paths = missing
      .json()
      .error.issues.map((i: { path: string; code: number }) => `${i.path}:${i.code}`);
    expect(paths).toEqual(expect.arrayContaining(["/type:301", "/items:301", "/payments:301"]));
  });

  it("passes business-rule errors of the service through with their issues", async () => {
    const res = await create(saleBody({ payments: [{ method: "CASH", amount: 1 }] }), "POS1-0008");
    expect(res.statusCode).toBe(422);
    expect(res.json().error.issues).toEqual([expect.objectContaining({ path: "/payments", code: 308 })]);
  });
});

describe("two-step mode", () => {
  it("prepares (201, PREPARED with totals and commit_before), then commits (200)", async () => {
    const prepared = await create(saleBody(), "POS1-0100", "/v1/invoices/prepare");
    expect(prepared.statusCode).toBe(201);
    const view = prepared.json<InvoiceView>();
    expectConforms(InvoiceViewSchema, view);
    expect(view.state).toBe("PREPARED");
    expect(view.totals.total).toBe(8750);
    expect(view.commit_before).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(view.fiscal).toBeNull();

    const committed = await h.app.inject({
      method: "POST",
      url: `/v1/invoices/${view.id}/commit`,
      headers: authHeaders(),
    });
    expect(committed.statusCode).toBe(200);
    expectConforms(InvoiceViewSchema, committed.json());
    expect(committed.json<InvoiceView>().state).toBe("FISCALIZED");
    expect(committed.json<InvoiceView>().fiscal?.fiscal_number).toBeGreaterThan(0);
  });

  it("replays a prepare with the same key", async () => {
    await create(saleBody(), "POS1-0101", "/v1/invoices/prepare");
    const again = await create(saleBody(), "POS1-0101", "/v1/invoices/prepare");
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
  });

  it("aborts a prepared invoice by its Idempotency-Key (200, ABORTED)", async () => {
    await create(saleBody(), "POS1-0102", "/v1/invoices/prepare");
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/invoices/POS1-0102/abort",
      headers: authHeaders({ "content-type": "application/json" }),
      payload: "",
    });
    expect(res.statusCode).toBe(200);
    expectConforms(InvoiceViewSchema, res.json());
    expect(res.json<InvoiceView>().state).toBe("ABORTED");
    const commit = await h.app.inject({
      method: "POST",
      url: "/v1/invoices/POS1-0102/commit",
      headers: authHeaders(),
    });
    expect(commit.statusCode).toBe(409);
    expect(commit.json().error.name).toBe("INVALID_STATE");
  });

  it("answers 404 RECORD_NOT_FOUND when committing an unknown invoice", async () => {
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/invoices/nope/commit",
      headers: authHeaders(),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe(115);
  });
});

describe("delivered, lookup and list", () => {
  it("marks a sealed invoice delivered (200, DELIVERED)", async () => {
    const id = (await create(saleBody(), "POS1-0200")).json<InvoiceView>().id;
    const res = await h.app.inject({
      method: "POST",
      url: `/v1/invoices/${id}/delivered`,
      headers: authHeaders(),
    });
    expect(res.statusCode).toBe(200);
    expectConforms(InvoiceViewSchema, res.json());
    expect(res.json<InvoiceView>().state).toBe("DELIVERED");
    expect(res.json<InvoiceView>().transitions.map((t) => t.state)).toEqual([
      "PREPARING",
      "FISCALIZED",
      "DELIVERED",
    ]);
  });

  it("recovers a lost response by Idempotency-Key, and by id", async () => {
    const sealed = (await create(saleBody(), "POS1/0201#a")).json<InvoiceView>();
    const byKey = await h.app.inject({
      method: "GET",
      url: `/v1/invoices/${encodeURIComponent("POS1/0201#a")}`,
      headers: authHeaders(),
    });
    expect(byKey.statusCode).toBe(200);
    expect(byKey.json()).toEqual(sealed);
    const byId = await h.app.inject({
      method: "GET",
      url: `/v1/invoices/${sealed.id}`,
      headers: authHeaders(),
    });
    expect(byId.json()).toEqual(sealed);
  });

  it("answers 404 RECORD_NOT_FOUND for an unknown id", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/invoices/unknown-1", headers: authHeaders() });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: {
        code: 115,
        name: "RECORD_NOT_FOUND",
        message: "aucun enregistrement fiscal ne correspond",
        detail: expect.stringContaining("unknown-1"),
      },
    });
  });

  it("lists newest first with filters and a cursor", async () => {
    // A cashier of its own, so the other tests' invoices stay out of this list.
    const listKey = "sk_test_list_cashier";
    h.keys.add(listKey, "CASHIER-LIST");
    const headers = { ...authHeaders(), authorization: `Bearer ${listKey}` };
    const post = (key: string, path = "/v1/invoices") =>
      h.app.inject({
        method: "POST",
        url: path,
        headers: { ...headers, "idempotency-key": key },
        payload: saleBody(),
      });
    for (let i = 0; i < 5; i++) await post(`POS1-03${i}`);
    await post("POS1-0399", "/v1/invoices/prepare");
    const page1 = await h.app.inject({
      method: "GET",
      url: "/v1/invoices?state=FISCALIZED&type=SALE&cashier_id=CASHIER-LIST&limit=3",
      headers: authHeaders(),
    });
    expect(page1.statusCode).toBe(200);
    const body1 = page1.json<InvoicePage>();
    expectConforms(InvoicePageSchema, body1);
    expect(body1.items.map((v) => v.idempotency_key)).toEqual(["POS1-034", "POS1-033", "POS1-032"]);
    expect(body1.next_cursor).not.toBeNull();
    const page2 = await h.app.inject({
      method: "GET",
      url: `/v1/invoices?state=FISCALIZED&cashier_id=CASHIER-LIST&limit=3&cursor=${body1.next_cursor}`,
      headers: authHeaders(),
    });
    const body2 = page2.json<InvoicePage>();
    expect(body2.items.map((v) => v.idempotency_key)).toEqual(["POS1-031", "POS1-030"]);
    expect(body2.next_cursor).toBeNull();
  });

  it("defaults the page size to 50 and checks the query (422 with /query paths)", async () => {
    await h.app.inject({ method: "GET", url: "/v1/invoices", headers: authHeaders() });
    expect(h.service.calls.at(-1)).toEqual({ op: "list", filter: { limit: 50 } });
    const cases: [string, string, number][] = [
      ["limit=0", "/query/limit", 303],
      ["limit=201", "/query/limit", 303],
      ["limit=ten", "/query/limit", 302],
      ["state=LOST", "/query/state", 302],
      ["from=yesterday", "/query/from", 302],
      ["colour=red", "/query/colour", 304],
    ];
    for (const [query, path, code] of cases) {
      const res = await h.app.inject({ method: "GET", url: `/v1/invoices?${query}`, headers: authHeaders() });
      expect(res.statusCode, query).toBe(422);
      expect(res.json().error.issues, query).toEqual([expect.objectContaining({ path, code })]);
    }
  });
});

describe("GET /v1/invoices/{id}/qr.svg", () => {
  it("renders the sealed QR payload as SVG", async () => {
    const sealed = (await create(saleBody(), "POS1-0400")).json<InvoiceView>();
    const res = await h.app.inject({
      method: "GET",
      url: "/v1/invoices/POS1-0400/qr.svg",
      headers: authHeaders(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^image\/svg\+xml/);
    expect(res.headers["content-security-policy"]).toContain("default-src 'none'");
    const svg = res.body;
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 (\d+) \1"/);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/<script/i);
    // The payload it encodes is the sealed one, and it parses as our QR format.
    expect(parseQrPayload(sealed.fiscal!.qr).fiscalNumber).toBe(sealed.fiscal!.fiscal_number);
  });

  it("answers 404 for a prepared (unsealed) invoice and for an unknown one", async () => {
    await create(saleBody(), "POS1-0401", "/v1/invoices/prepare");
    for (const id of ["POS1-0401", "missing"]) {
      const res = await h.app.inject({
        method: "GET",
        url: `/v1/invoices/${id}/qr.svg`,
        headers: authHeaders(),
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe(115);
    }
  });
});
