/**
 * Idempotency replay and conflict against the real service, not only the HTTP fake (docs/API.md §2,
 * §8 of issue 13): the HTTP app of `buildApp` over the real FiscalService, store and emulated device,
 * driven with `inject()`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InvoiceView, StatusReport } from "../../../daemon/fiscal/types.js";
import { type ApiInstance, buildApp } from "../../../daemon/http/app.js";
import { FiscalError } from "../../../protocol/index.js";
import { receiptsFor } from "../http/fakes.js";
import { posSale, ServiceHarness } from "./harness.js";

let h: ServiceHarness;
let app: ApiInstance;

const STATUS: StatusReport = {
  status: "ok",
  version: "test",
  started_at: "2026-03-02T10:00:00.000Z",
  device: {
    connected: true,
    device_id: null,
    state: null,
    last_fiscal_number: null,
    journal_used: null,
    journal_capacity: null,
  },
  conditions: [],
  counters: {},
  link: {},
  last_reconcile: null,
};

beforeEach(async () => {
  h = await new ServiceHarness().start();
  app = buildApp({
    invoices: h.service,
    receipts: receiptsFor(h.db),
    reports: h.dayReports,
    keys: h.keys,
    status: { status: () => STATUS },
    config: { version: "test" },
  });
  await app.ready();
});
afterEach(async () => {
  await app.close();
  h.stop();
});

function post(url: string, key?: string, body?: unknown, apiKey = h.apiKey) {
  return app.inject({
    method: "POST",
    url,
    headers: {
      authorization: `Bearer ${apiKey}`,
      host: "127.0.0.1:8765",
      ...(key === undefined ? {} : { "idempotency-key": key }),
    },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

describe("the HTTP API over the real fiscal service", () => {
  it("replays a create: 201, Idempotent-Replayed: true, the same body, sealed once", async () => {
    const first = await post("/v1/invoices", "H-1", posSale());
    expect(first.statusCode).toBe(201);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await post("/v1/invoices", "H-1", posSale());
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
    expect(again.json<InvoiceView>().state).toBe("FISCALIZED");
    expect(h.port.commits).toBe(1);
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("answers 409 IDEMPOTENCY_CONFLICT for the same key with another body", async () => {
    expect((await post("/v1/invoices", "H-2", posSale())).statusCode).toBe(201);
    const conflict = await post("/v1/invoices", "H-2", posSale(999));
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ error: { code: 319, name: "IDEMPOTENCY_CONFLICT" } });
    expect(h.device.memory.lastFiscalNumber).toBe(1);
  });

  it("answers 409 REQUEST_IN_PROGRESS with Retry-After: 1 while the same key is running", async () => {
    const prepare = h.port.hold("PREPARE");
    const first = post("/v1/invoices", "H-3", posSale());
    await prepare.reached;
    const second = await post("/v1/invoices", "H-3", posSale());
    expect(second.statusCode).toBe(409);
    expect(second.headers["retry-after"]).toBe("1");
    expect(second.json()).toMatchObject({ error: { code: 321, name: "REQUEST_IN_PROGRESS" } });
    prepare.release();
    const done = await first;
    expect(done.statusCode).toBe(201);
    expect(done.json<InvoiceView>().state).toBe("FISCALIZED");
  });

  it("replays a final refusal: the same status and error, without the device", async () => {
    h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError("TAX_GROUP_NOT_ALLOWED") });
    const first = await post("/v1/invoices", "H-4", posSale());
    expect(first.statusCode).toBe(422);
    expect(first.json()).toMatchObject({ error: { code: 306, name: "TAX_GROUP_NOT_ALLOWED" } });
    const again = await post("/v1/invoices", "H-4", posSale());
    expect(again.statusCode).toBe(422);
    expect(again.json()).toEqual(first.json());
    expect(h.port.executed).not.toContain("PREPARE");
  });

  it("answers a retryable refusal with 503 and leaves the key free: GET is 404, the retry is 201", async () => {
    h.port.failNext({ command: "PREPARE", when: "before", error: new FiscalError("PENDING_LIMIT") });
    const refused = await post("/v1/invoices", "H-5", posSale());
    expect(refused.statusCode).toBe(503);
    expect(refused.headers["retry-after"]).toBeDefined();
    const lookup = await app.inject({
      method: "GET",
      url: "/v1/invoices/H-5",
      headers: { authorization: `Bearer ${h.apiKey}`, host: "127.0.0.1:8765" },
    });
    expect(lookup.statusCode).toBe(404);
    const retry = await post("/v1/invoices", "H-5", posSale());
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBeUndefined();
  });

  it("replays a repeated commit with Idempotent-Replayed: true", async () => {
    expect((await post("/v1/invoices/prepare", "H-6", posSale())).statusCode).toBe(201);
    const commit = await post("/v1/invoices/H-6/commit");
    expect(commit.statusCode).toBe(200);
    expect(commit.headers["idempotent-replayed"]).toBeUndefined();
    const again = await post("/v1/invoices/H-6/commit");
    expect(again.statusCode).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json<InvoiceView>().fiscal).toEqual(commit.json<InvoiceView>().fiscal);
  });

  it("keeps two API keys' invoices apart under the same Idempotency-Key", async () => {
    const till2 = h.newCaller("CASHIER-2");
    const a = await post("/v1/invoices", "H-7", posSale());
    const b = await post("/v1/invoices", "H-7", posSale(), till2.key);
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(b.headers["idempotent-replayed"]).toBeUndefined();
    expect(a.json<InvoiceView>().id).not.toBe(b.json<InvoiceView>().id);
  });
});
