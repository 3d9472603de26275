import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue } from "../../../bench/measure.js";
import { HealthSchema, StatusReportSchema } from "../../../daemon/http/schemas.js";
import { FiscalError } from "../../../protocol/index.js";
import { saleBody } from "./fakes.js";
import { authHeaders, expectConforms, makeApp } from "./harness.js";

const h = makeApp();
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

async function scrape(): Promise<string> {
  const res = await h.app.inject({ method: "GET", url: "/metrics", headers: { host: "127.0.0.1:8765" } });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.body;
}

describe("health and status", () => {
  it("GET /v1/health answers ok without a key", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/health", headers: { host: "localhost" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", version: "0.1.0-test" });
    expectConforms(HealthSchema, res.json());
  });

  it("GET /v1/status returns the status report (key required)", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/status", headers: authHeaders() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(h.status.report);
    expectConforms(StatusReportSchema, res.json());
    const anonymous = await h.app.inject({
      method: "GET",
      url: "/v1/status",
      headers: { host: "localhost" },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe("GET /metrics", () => {
  it("exposes latency by route pattern and status, fiscalisations and errors by code", async () => {
    await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: authHeaders({ "idempotency-key": "MET-1" }),
      payload: saleBody(),
    });
    // A replay is not a new fiscalisation.
    await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: authHeaders({ "idempotency-key": "MET-1" }),
      payload: saleBody(),
    });
    const prepared = await h.app.inject({
      method: "POST",
      url: "/v1/invoices/prepare",
      headers: authHeaders({ "idempotency-key": "MET-2" }),
      payload: saleBody(),
    });
    expect(prepared.statusCode).toBe(201);
    await h.app.inject({ method: "POST", url: "/v1/invoices/MET-2/commit", headers: authHeaders() });
    await h.app.inject({ method: "POST", url: "/v1/invoices/MET-2/commit", headers: authHeaders() });
    await h.app.inject({ method: "GET", url: "/v1/invoices/MET-404", headers: authHeaders() });
    h.service.failNext(new FiscalError("DEVICE_BUSY"));
    await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: authHeaders({ "idempotency-key": "MET-3" }),
      payload: saleBody(),
    });

    const text = await scrape();
    const created = { method: "POST", route: "/v1/invoices", status: "201" };
    expect(metricValue(text, "stalela_http_request_duration_seconds_count", created)).toBe(2);
    expect(
      metricValue(text, "stalela_http_request_duration_seconds_bucket", { ...created, le: "+Inf" }),
    ).toBe(2);
    // The raw id never becomes a label: the route pattern does.
    expect(
      metricValue(text, "stalela_http_request_duration_seconds_count", { route: "/v1/invoices/:id" }),
    ).toBe(1);
    expect(text).not.toContain("MET-404");
    expect(metricValue(text, "stalela_fiscalisations_total", { type: "SALE", mode: "one_shot" })).toBe(1);
    expect(metricValue(text, "stalela_fiscalisations_total", { type: "SALE", mode: "two_step" })).toBe(1);
    expect(metricValue(text, "stalela_http_errors_total", { code: "115", name: "RECORD_NOT_FOUND" })).toBe(1);
    expect(metricValue(text, "stalela_http_errors_total", { code: "101", name: "DEVICE_BUSY" })).toBe(1);
    expect(metricValue(text, "stalela_http_errors_total", { code: "322", name: "INVALID_STATE" })).toBe(1);
  });

  it("exposes the status source's device, condition, queue and link gauges", async () => {
    const text = await scrape();
    expect(metricValue(text, "stalela_device_connected")).toBe(1);
    expect(metricValue(text, "stalela_device_journal_used")).toBe(41);
    expect(metricValue(text, "stalela_status_conditions", { severity: "warning" })).toBe(1);
    expect(metricValue(text, "stalela_status_conditions", { severity: "error" })).toBe(0);
    expect(metricValue(text, "stalela_service_counter", { name: "outbox_pending" })).toBe(3);
    expect(metricValue(text, "stalela_service_counter", { name: "device_queue_depth" })).toBe(1);
    expect(metricValue(text, "stalela_device_link", { name: "crc_errors" })).toBe(2);
    expect(metricValue(text, "stalela_device_link", { name: "timeouts" })).toBe(1);

    h.status.report = {
      ...h.status.report,
      device: { ...h.status.report.device, connected: false },
      link: { crc_errors: 9 },
    };
    const after = await scrape();
    expect(metricValue(after, "stalela_device_connected")).toBe(0);
    expect(metricValue(after, "stalela_device_link", { name: "crc_errors" })).toBe(9);
    expect(metricValue(after, "stalela_device_link", { name: "timeouts" })).toBeUndefined();
  });

  it("can require the API key when configured", async () => {
    const guarded = makeApp({ metricsRequireAuth: true });
    const anonymous = await guarded.app.inject({
      method: "GET",
      url: "/metrics",
      headers: { host: "localhost" },
    });
    const withKey = await guarded.app.inject({ method: "GET", url: "/metrics", headers: authHeaders() });
    expect([anonymous.statusCode, withKey.statusCode]).toEqual([401, 200]);
    await guarded.app.close();
  });
});
