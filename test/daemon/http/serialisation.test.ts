/**
 * Responses are written through their response schemas: a field the service returns that the schema
 * does not document never reaches the client, and every documented field does, nullable ones
 * included, whichever branch (null or value) they take.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusReport } from "../../../daemon/fiscal/types.js";
import { buildApp } from "../../../daemon/http/app.js";
import { InvoicePageSchema, InvoiceViewSchema, StatusReportSchema } from "../../../daemon/http/schemas.js";
import { FiscalError } from "../../../protocol/index.js";
import { DayReportsUnderTest } from "./day-world.js";
import { FakeInvoiceService, FakeKeys, FakeStatus, receiptsFor, saleBody } from "./fakes.js";
import { authHeaders, expectConforms, KEYS } from "./harness.js";

/** A secret the service must never hand out; planted in every object of every answer. */
const LEAK = "leaked-internal-value";

/** A copy of `value` with a `leak_` field added to every object, at every depth. */
function planted<T>(value: T): T {
  if (Array.isArray(value)) return value.map(planted) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = { leak_internal: LEAK };
    for (const [k, v] of Object.entries(value)) out[k] = planted(v);
    return out as T;
  }
  return value;
}

/** Drops the planted fields again: what the client must receive. */
function withoutPlanted<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === "leak_internal" ? undefined : v)));
}

/** The fake service, but every view it returns carries undocumented fields at every level. */
class LeakyService extends FakeInvoiceService {
  override async fiscalise(...args: Parameters<FakeInvoiceService["fiscalise"]>) {
    const result = await super.fiscalise(...args);
    return { ...result, invoice: planted(result.invoice) };
  }
  override async prepare(...args: Parameters<FakeInvoiceService["prepare"]>) {
    const result = await super.prepare(...args);
    return { ...result, invoice: planted(result.invoice) };
  }
  override get(idOrKey: string) {
    const view = super.get(idOrKey);
    return view && planted(view);
  }
  override list(...args: Parameters<FakeInvoiceService["list"]>) {
    return planted(super.list(...args));
  }
}

/** The status report with undocumented fields in its fixed objects (its maps take any name). */
class LeakyStatus extends FakeStatus {
  override status(): StatusReport {
    const report = super.status();
    return {
      ...report,
      leak_internal: LEAK,
      device: { ...report.device, leak_internal: LEAK },
      conditions: report.conditions.map((c) => ({ ...c, leak_internal: LEAK })),
    } as StatusReport;
  }
}

const service = new LeakyService();
const keys = new FakeKeys();
keys.add(KEYS.cashier1, "CASHIER-1");
const status = new LeakyStatus();
const reports = new DayReportsUnderTest();
const app = buildApp({
  invoices: service,
  receipts: receiptsFor(),
  reports,
  keys,
  status,
  config: { version: "0.1.0-test" },
});
beforeAll(async () => {
  await app.ready();
});
afterAll(async () => {
  await app.close();
  reports.stop();
});

function create(key: string, body: Record<string, unknown> = saleBody(), path = "/v1/invoices") {
  return app.inject({
    method: "POST",
    url: path,
    headers: authHeaders({ "idempotency-key": key }),
    payload: body,
  });
}

describe("response serialisation filters by the response schema", () => {
  it("a sealed invoice: no undocumented field anywhere, every documented one present", async () => {
    const body = saleBody({
      client: { type: "PM", name: "Kin Import", nif: "A7654321C" },
      comments: { B: "merci" },
    });
    const res = await create("SER-1", body);
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(LEAK);
    const expected = withoutPlanted(service.get("SER-1"));
    expect(res.json()).toEqual(expected);
    expectConforms(InvoiceViewSchema, res.json());
    // The nullable object branches carried their values (not null, not dropped).
    expect(res.json().fiscal.record_hash).toBe(expected?.fiscal?.record_hash);
    expect(res.json().invoice.client).toEqual({ type: "PM", name: "Kin Import", nif: "A7654321C" });
  });

  it("a prepared invoice: null fiscal and error stay null, commit_before stays a string", async () => {
    const res = await create("SER-2", saleBody(), "/v1/invoices/prepare");
    expect(res.statusCode).toBe(201);
    expect(res.body).not.toContain(LEAK);
    expect(res.json()).toMatchObject({ fiscal: null, error: null, commit_before: expect.any(String) });
    expect(res.json().sync).toEqual({
      status: "NOT_QUEUED",
      dgi_status: null,
      attempts: 0,
      last_error: null,
    });
    expect(res.json()).toEqual(withoutPlanted(service.get("SER-2")));
  });

  it("a lookup and a page: the same filtering", async () => {
    const one = await app.inject({ method: "GET", url: "/v1/invoices/SER-1", headers: authHeaders() });
    expect(one.statusCode).toBe(200);
    expect(one.body).not.toContain(LEAK);
    expect(one.json()).toEqual(withoutPlanted(service.get("SER-1")));
    const page = await app.inject({ method: "GET", url: "/v1/invoices?limit=1", headers: authHeaders() });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(LEAK);
    expectConforms(InvoicePageSchema, page.json());
    expect(page.json()).toEqual(withoutPlanted(service.list({ limit: 1 })));
  });

  it("the status report: fixed objects filtered, counters and last_reconcile kept whole", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/status", headers: authHeaders() });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expectConforms(StatusReportSchema, report);
    expect(report.leak_internal).toBeUndefined();
    expect(report.device.leak_internal).toBeUndefined();
    expect(report.conditions[0].leak_internal).toBeUndefined();
    // counters, link and last_reconcile are maps of any name (StatusReportSchema): nothing to filter.
    expect(report.counters).toEqual(status.status().counters);
    expect(report.last_reconcile).toEqual(status.status().last_reconcile);
  });

  it("a documented field the service fails to give is a coded 500, never a partial answer", async () => {
    await create("SER-4");
    const broken = service.get("SER-4")!;
    const { sync: _, ...withoutSync } = broken;
    const original = service.get.bind(service);
    service.get = () => withoutSync as never;
    const res = await app.inject({ method: "GET", url: "/v1/invoices/SER-4", headers: authHeaders() });
    service.get = original;
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toMatchObject({ code: 400, name: "STORAGE_FAILURE" });
    expect(res.headers["x-request-id"]).toBeTruthy();
  });

  it("an error: only code, name, message, detail and each issue's path, code, message and detail", async () => {
    const issue = { path: "/payments", code: 308, message: "do not add up", internal_hint: LEAK };
    service.failNext(
      new FiscalError("PAYMENTS_MISMATCH", "payments differ", { issues: [issue], secret: LEAK }),
    );
    const res = await create("SER-3");
    expect(res.statusCode).toBe(422);
    expect(res.body).not.toContain(LEAK);
    expect(res.json()).toEqual({
      error: {
        code: 308,
        name: "PAYMENTS_MISMATCH",
        message: "la somme des paiements ne correspond pas au total",
        detail: "payments differ",
        issues: [
          {
            path: "/payments",
            code: 308,
            message: "la somme des paiements ne correspond pas au total",
            detail: "do not add up",
          },
        ],
      },
    });
  });
});
