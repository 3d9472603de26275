import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorResponseSchema } from "../../../daemon/http/schemas.js";
import { FiscalError } from "../../../protocol/index.js";
import { saleBody } from "./fakes.js";
import { authHeaders, captureLogger, expectConforms, KEYS, makeApp } from "./harness.js";

const log = captureLogger();
const h = makeApp({ bodyLimitBytes: 64 * 1024 }, log.logger);
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

let keySeq = 0;
function post(payload: string | Record<string, unknown>, headers: Record<string, string> = {}) {
  keySeq += 1;
  return h.app.inject({
    method: "POST",
    url: "/v1/invoices",
    headers: authHeaders({
      "idempotency-key": `GUARD-${keySeq}`,
      "content-type": "application/json",
      ...headers,
    }),
    payload: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
}

describe("authentication", () => {
  const url = "/v1/invoices/any";
  it("401 AUTH_MISSING without an Authorization header, or with another scheme", async () => {
    for (const authorization of [undefined, "", `Basic ${KEYS.cashier1}`, "Bearer", "Bearer "]) {
      const headers: Record<string, string> = { host: "localhost" };
      if (authorization !== undefined) headers.authorization = authorization;
      const res = await h.app.inject({ method: "GET", url, headers });
      expect(res.statusCode, String(authorization)).toBe(401);
      expectConforms(ErrorResponseSchema, res.json());
      expect(res.json().error).toMatchObject({ code: 600, name: "AUTH_MISSING" });
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
  });

  it("401 AUTH_INVALID for an unknown key, AUTH_REVOKED for a revoked one", async () => {
    const unknown = await h.app.inject({
      method: "GET",
      url,
      headers: authHeaders({ authorization: "Bearer nope" }),
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error).toMatchObject({ code: 601, name: "AUTH_INVALID" });
    const revoked = await h.app.inject({
      method: "GET",
      url,
      headers: authHeaders({ authorization: `Bearer ${KEYS.revoked}` }),
    });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error).toMatchObject({ code: 602, name: "AUTH_REVOKED" });
  });

  it("checks the key before reading the body, and on every protected route", async () => {
    const routes: [string, string][] = [
      ["POST", "/v1/invoices"],
      ["POST", "/v1/invoices/prepare"],
      ["POST", "/v1/invoices/x/commit"],
      ["POST", "/v1/invoices/x/abort"],
      ["POST", "/v1/invoices/x/delivered"],
      ["GET", "/v1/invoices/x"],
      ["GET", "/v1/invoices"],
      ["GET", "/v1/invoices/x/qr.svg"],
      ["GET", "/v1/status"],
      ["GET", "/v1/unknown-route"],
    ];
    for (const [method, path] of routes) {
      const res = await h.app.inject({
        method: method as "GET" | "POST",
        url: path,
        headers: { host: "localhost", "content-type": "application/json" },
        payload: method === "POST" ? "{not json" : undefined,
      });
      expect(res.statusCode, `${method} ${path}`).toBe(401);
    }
  });

  it("lets /v1/health, /openapi.json and /metrics through without a key", async () => {
    for (const path of ["/v1/health", "/openapi.json", "/metrics"]) {
      const res = await h.app.inject({ method: "GET", url: path, headers: { host: "localhost:8765" } });
      expect(res.statusCode, path).toBe(200);
    }
  });

  it("logs polled endpoints' successes at debug only, their failures and other requests at info", async () => {
    const before = log.lines.length;
    await h.app.inject({ method: "GET", url: "/v1/status", headers: authHeaders() });
    await h.app.inject({ method: "GET", url: "/v1/health", headers: { host: "localhost:8765" } });
    await h.app.inject({ method: "GET", url: "/v1/invoices", headers: authHeaders() });
    await h.app.inject({
      method: "GET",
      url: "/v1/status",
      headers: authHeaders({ authorization: "Bearer sk_wrong_2" }),
    });
    const logged = log.lines.slice(before).map((l) => JSON.parse(l) as { route?: string; status?: number });
    const requests = logged.filter((l) => l.route !== undefined).map((l) => `${l.route} ${l.status}`);
    expect(requests).toEqual(["/v1/invoices 200", "/v1/status 401"]);
  });

  it("never writes the API key to the log", async () => {
    await h.app.inject({ method: "GET", url: "/v1/invoices", headers: authHeaders() });
    await h.app.inject({
      method: "GET",
      url: "/v1/status",
      headers: authHeaders({ authorization: "Bearer sk_wrong_1" }),
    });
    const text = log.lines.join("");
    expect(log.lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(KEYS.cashier1);
    expect(text).not.toContain("sk_wrong_1");
  });
});

describe("Host header and CORS", () => {
  it("421 HOST_REJECTED for a Host that is not loopback (DNS rebinding), before auth", async () => {
    for (const host of [
      "evil.example",
      "evil.example:8765",
      "127.0.0.1.evil.example",
      "localhost:notaport",
      "[::1",
    ]) {
      const res = await h.app.inject({
        method: "GET",
        url: "/v1/health",
        headers: { ...authHeaders(), host },
      });
      expect(res.statusCode, host).toBe(421);
      expect(res.json().error).toMatchObject({ code: 603, name: "HOST_REJECTED" });
      expectConforms(ErrorResponseSchema, res.json());
    }
  });

  it("accepts the loopback names on any port", async () => {
    for (const host of ["127.0.0.1", "localhost:8765", "LOCALHOST:1", "[::1]:8765", "[::1]"]) {
      const res = await h.app.inject({ method: "GET", url: "/v1/health", headers: { host } });
      expect(res.statusCode, host).toBe(200);
    }
  });

  it("honours a configured allow-list", async () => {
    const other = makeApp({ allowedHosts: ["pos.lan:8765"] });
    const ok = await other.app.inject({
      method: "GET",
      url: "/v1/health",
      headers: { host: "pos.lan:8765" },
    });
    const wrongPort = await other.app.inject({
      method: "GET",
      url: "/v1/health",
      headers: { host: "pos.lan:80" },
    });
    const loopback = await other.app.inject({
      method: "GET",
      url: "/v1/health",
      headers: { host: "localhost" },
    });
    expect([ok.statusCode, wrongPort.statusCode, loopback.statusCode]).toEqual([200, 421, 421]);
    await other.app.close();
  });

  it("answers a browser preflight without any Access-Control-Allow-* header", async () => {
    for (const url of ["/v1/invoices", "/v1/health"]) {
      const res = await h.app.inject({
        method: "OPTIONS",
        url,
        headers: {
          host: "localhost:8765",
          origin: "http://evil.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(Object.keys(res.headers).filter((k) => k.startsWith("access-control-"))).toEqual([]);
    }
    const get = await h.app.inject({
      method: "GET",
      url: "/v1/invoices",
      headers: authHeaders({ origin: "http://evil.example" }),
    });
    expect(get.statusCode).toBe(200);
    expect(Object.keys(get.headers).filter((k) => k.startsWith("access-control-"))).toEqual([]);
  });
});

describe("hostile bodies", () => {
  it("413 INVOICE_TOO_LARGE over the body limit", async () => {
    const res = await post({ ...saleBody(), note: "x".repeat(70 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 316, name: "INVOICE_TOO_LARGE" });
    expectConforms(ErrorResponseSchema, res.json());
  });

  it("400 FIELD_TYPE at / for bad JSON, an empty object list, or trailing garbage", async () => {
    for (const text of ["{not json", '{"type":"SALE"', "[1,2,", '{"a":1} x', "\u0000"]) {
      const res = await post(text);
      expect(res.statusCode, text).toBe(400);
      expect(res.json().error).toMatchObject({
        code: 302,
        name: "FIELD_TYPE",
        issues: [{ path: "/", code: 302 }],
      });
    }
  });

  it("415 for a body that is not JSON", async () => {
    const res = await post("type=SALE", { "content-type": "application/x-www-form-urlencoded" });
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ code: 302, name: "FIELD_TYPE" });
    const text = await post("hello", { "content-type": "text/plain" });
    expect(text.statusCode).toBe(415);
  });

  it("4xx, never 5xx, for __proto__ / constructor.prototype keys and deep nesting", async () => {
    const bodies = [
      '{"__proto__":{"admin":true},"type":"SALE"}',
      '{"items":[{"__proto__":{"x":1}}]}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      `${"[".repeat(30_000)}${"]".repeat(30_000)}`,
      `{"items":${"[".repeat(30_000)}${"]".repeat(30_000)}}`,
      `{"note":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`,
      `"${"a".repeat(60_000)}"`,
      "null",
      "12",
    ];
    for (const body of bodies) {
      const res = await post(body);
      expect(res.statusCode, body.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, body.slice(0, 40)).toBeLessThan(500);
      expect(res.json().error.code).toBeTypeOf("number");
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("service errors", () => {
  it("503 with Retry-After for DEVICE_BUSY, DEVICE_UNAVAILABLE, DEVICE_QUEUE_FULL and PENDING_LIMIT", async () => {
    const expected = {
      DEVICE_BUSY: 1,
      DEVICE_QUEUE_FULL: 2,
      DEVICE_UNAVAILABLE: 5,
      PENDING_LIMIT: 5,
    } as const;
    for (const [name, seconds] of Object.entries(expected)) {
      h.service.failNext(new FiscalError(name as keyof typeof expected));
      const res = await post(saleBody());
      expect(res.statusCode, name).toBe(503);
      expect(res.headers["retry-after"], name).toBe(String(seconds));
      expect(res.json().error.name).toBe(name);
    }
  });

  it("uses the service's retryAfterSeconds hint when it gives one", async () => {
    h.service.failNext(new FiscalError("DEVICE_BUSY", "busy sealing", { retryAfterSeconds: 2.2 }));
    const res = await post(saleBody());
    expect(res.headers["retry-after"]).toBe("3");
  });

  it("409 REQUEST_IN_PROGRESS carries Retry-After; other 4xx do not", async () => {
    h.service.failNext(new FiscalError("REQUEST_IN_PROGRESS"));
    const busy = await post(saleBody());
    expect(busy.statusCode).toBe(409);
    expect(busy.headers["retry-after"]).toBe("1");
    h.service.failNext(new FiscalError("REFERENCE_NOT_FOUND"));
    const ref = await post(saleBody());
    expect(ref.statusCode).toBe(422);
    expect(ref.headers["retry-after"]).toBeUndefined();
  });

  it("504 DEVICE_TIMEOUT and 507 JOURNAL_FULL keep their table status", async () => {
    h.service.failNext(new FiscalError("DEVICE_TIMEOUT"));
    expect((await post(saleBody())).statusCode).toBe(504);
    h.service.failNext(new FiscalError("JOURNAL_FULL"));
    expect((await post(saleBody())).statusCode).toBe(507);
  });

  it("an unexpected exception is 500 STORAGE_FAILURE without details, and its stack is logged", async () => {
    h.service.failNext(new TypeError("secret internal detail at /srv/db.ts:42"));
    const res = await post(saleBody());
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      error: {
        code: 400,
        name: "STORAGE_FAILURE",
        message: "le stockage fiscal a échoué",
        detail: expect.stringContaining("request"),
      },
    });
    expect(res.body).not.toContain("secret internal detail");
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    const logged = log.lines.find((line) => line.includes("secret internal detail"));
    expect(logged).toContain('"stack"');
    expect(logged).toContain(res.headers["x-request-id"]);
  });

  it("answers unknown routes with the coded 404", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v2/invoices", headers: authHeaders() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 115, name: "RECORD_NOT_FOUND" });
  });
});
