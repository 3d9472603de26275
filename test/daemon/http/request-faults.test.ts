/**
 * Malformed requests outside the body's text: two Host headers (RFC 9112 §3.2), a non-integer where
 * the query wants an integer, a body of thousands of unknown fields, and the refusals of the router (a
 * URL that cannot be decoded, an over-long path segment) and of Node's HTTP parser (bad framing, huge
 * headers, no Host), which must come in the API's error shape with the headers docs/API.md promises
 * on every response.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../../daemon/http/app.js";
import { MAX_REPORTED_ISSUES } from "../../../daemon/http/errors.js";
import { ErrorResponseSchema } from "../../../daemon/http/schemas.js";
import { ERRORS } from "../../../protocol/index.js";
import { saleBody } from "./fakes.js";
import { authHeaders, expectConforms, KEYS, makeApp } from "./harness.js";

const h = makeApp();
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

/** The headers docs/API.md §8 and §10 promise on every response. */
function expectUsualHeaders(headers: Record<string, unknown>): void {
  expect(headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(headers["cache-control"]).toBe("no-store");
  expect(headers["x-content-type-options"]).toBe("nosniff");
}

describe("two Host headers", () => {
  const orders: [string, string][] = [
    ["localhost", "localhost"],
    ["127.0.0.1:8765", "evil.example"],
    ["evil.example", "127.0.0.1:8765"],
  ];
  for (const [first, second] of orders) {
    it(`400 MESSAGE_INVALID for Host: ${first} then Host: ${second}, with the usual headers`, async () => {
      const res = await h.app.inject({
        method: "GET",
        url: "/v1/status",
        headers: { ...authHeaders(), host: [first, second] as unknown as string },
      });
      expect(res.statusCode).toBe(400);
      expectConforms(ErrorResponseSchema, res.json());
      expect(res.json().error).toMatchObject({ code: ERRORS.MESSAGE_INVALID.code, name: "MESSAGE_INVALID" });
      expect(res.json().error.detail).toMatch(/more than one Host/);
      expectUsualHeaders(res.headers);
    });
  }

  it("is refused on a real connection too, on a public route, before anything else is read", async () => {
    const other = makeApp();
    const port = Number(new URL(await listen(other.app, { port: 0 })).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let text = "";
      socket.on("data", (chunk: Buffer) => {
        text += chunk.toString("latin1");
      });
      socket.on("close", () => resolve(text));
      socket.on("error", reject);
      socket.write(
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
      );
    });
    await other.app.close();
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
    expect(reply).toContain('"name":"MESSAGE_INVALID"');
  });

  it("still answers one Host header normally", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/status", headers: authHeaders() });
    expect(res.statusCode).toBe(200);
  });
});

describe("integer query parameters", () => {
  // `limit` is the one integer parameter of the API (docs/API.md §6: 1 to 200). Each of these is text
  // that is not an integer, which a lenient conversion would have turned into one.
  for (const value of ["1.5", "1.0", "1e1", "0x10", "+5", "%205", "", "5abc"]) {
    it(`422 FIELD_TYPE at /query/limit for limit=${value}`, async () => {
      const before = h.service.calls.filter((c) => c.op === "list").length;
      const res = await h.app.inject({
        method: "GET",
        url: `/v1/invoices?limit=${value}`,
        headers: authHeaders(),
      });
      expect(res.statusCode).toBe(422);
      expectConforms(ErrorResponseSchema, res.json());
      expect(res.json().error.issues).toEqual([
        expect.objectContaining({ path: "/query/limit", code: ERRORS.FIELD_TYPE.code }),
      ]);
      expect(h.service.calls.filter((c) => c.op === "list").length).toBe(before);
    });
  }

  it("passes an integer through as a number", async () => {
    const res = await h.app.inject({ method: "GET", url: "/v1/invoices?limit=7", headers: authHeaders() });
    expect(res.statusCode).toBe(200);
    expect(h.service.calls.at(-1)).toEqual({ op: "list", filter: { limit: 7 } });
  });
});

describe("a body of 10,000 unknown fields", () => {
  it("is 422 INVOICE_INVALID with FIELD_UNKNOWN issues, at most MAX_REPORTED_ISSUES of them", async () => {
    const body: Record<string, unknown> = saleBody();
    for (let i = 0; i < 10_000; i++) body[`f${i}`] = i;
    const payload = JSON.stringify(body);
    // Well within the default 256 KiB body limit: this is about the issues, not the size.
    expect(Buffer.byteLength(payload)).toBeLessThan(256 * 1024);
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: authHeaders({ "idempotency-key": "UNKNOWN-10K", "content-type": "application/json" }),
      payload,
    });
    expect(res.statusCode).toBe(422);
    expectConforms(ErrorResponseSchema, res.json());
    const { error } = res.json();
    expect(error.code).toBe(ERRORS.INVOICE_INVALID.code);
    expect(error.issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(error.issues[0]).toEqual({
      path: "/f0",
      code: ERRORS.FIELD_UNKNOWN.code,
      message: "un champ inconnu a été envoyé",
      detail: expect.any(String),
    });
    for (const issue of error.issues) expect(issue.code).toBe(ERRORS.FIELD_UNKNOWN.code);
    // The message still counts them all.
    expect(error.detail).toContain("9999 more");
  });

  it("reports unknown fields at every level, next to the other issues", async () => {
    const body = saleBody({ type: 42 });
    const item = (body.items as Record<string, unknown>[])[0]!;
    for (let i = 0; i < 20; i++) item[`x${i}`] = i;
    for (let i = 0; i < 20; i++) body[`y${i}`] = i;
    const res = await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: authHeaders({ "idempotency-key": "UNKNOWN-NESTED" }),
      payload: body,
    });
    expect(res.statusCode).toBe(422);
    const paths = (res.json().error.issues as { path: string; code: number }[]).map(
      (i) => `${i.path}:${i.code}`,
    );
    expect(paths).toEqual(expect.arrayContaining(["/type:302", "/items/0/x19:304", "/y19:304"]));
    expect(paths).toHaveLength(41);
  });

  it("reports every unknown query parameter", async () => {
    const query = Array.from({ length: 12 }, (_, i) => `q${i}=1`).join("&");
    const res = await h.app.inject({ method: "GET", url: `/v1/invoices?${query}`, headers: authHeaders() });
    expect(res.statusCode).toBe(422);
    const issues = res.json().error.issues as { path: string; code: number }[];
    expect(issues).toHaveLength(12);
    expect(issues).toContainEqual(
      expect.objectContaining({ path: "/query/q11", code: ERRORS.FIELD_UNKNOWN.code }),
    );
  });
});

/** Writes `bytes` on a fresh connection to `port` and resolves with everything the server sent back. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
    socket.write(bytes);
  });
}

describe("faults of the HTTP framing itself, over a real connection", () => {
  const other = makeApp();
  let port = 0;
  beforeAll(async () => {
    port = Number(new URL(await listen(other.app, { port: 0 })).port);
  });
  afterAll(async () => {
    await other.app.close();
  });

  const faults: [string, string, number, string][] = [
    ["a request line that is not HTTP", "GARBAGE\r\n\r\n", 400, "MESSAGE_INVALID"],
    [
      "a header line without a colon",
      "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nbroken\r\n\r\n",
      400,
      "MESSAGE_INVALID",
    ],
    [
      "headers over Node's 16 KiB limit",
      `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ${"h".repeat(20_000)}\r\n\r\n`,
      431,
      "MESSAGE_INVALID",
    ],
    // RFC 9112 §3.2: an HTTP/1.1 request without Host is invalid; HTTP/1.0 has none to give.
    [
      "an HTTP/1.1 request without Host",
      "GET /v1/health HTTP/1.1\r\nConnection: close\r\n\r\n",
      400,
      "MESSAGE_INVALID",
    ],
    ["an HTTP/1.0 request without Host", "GET /v1/health HTTP/1.0\r\n\r\n", 421, "HOST_REJECTED"],
  ];
  for (const [name, bytes, status, errorName] of faults) {
    it(`${status} ${errorName}, in the API's error shape with the usual headers: ${name}`, async () => {
      const reply = await rawExchange(port, bytes);
      expect(reply.startsWith(`HTTP/1.1 ${status} `), reply.slice(0, 200)).toBe(true);
      const [head, body] = reply.split("\r\n\r\n") as [string, string];
      expect(head).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/i);
      expect(head).toMatch(/\r\ncache-control: no-store\r\n/i);
      expect(head).toMatch(/\r\nx-content-type-options: nosniff\r\n/i);
      const parsed = JSON.parse(body);
      expectConforms(ErrorResponseSchema, parsed);
      expect(parsed.error.name).toBe(errorName);
    });
  }
});

describe("the router's own refusals", () => {
  it("400 MESSAGE_INVALID for malformed percent-encoding, with the usual headers", async () => {
    for (const url of ["/v1/invoices/%zz", "/v1/invoices/%E0%A4%A/commit"]) {
      const res = await h.app.inject({
        method: url.endsWith("commit") ? "POST" : "GET",
        url,
        headers: authHeaders(),
      });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({ code: ERRORS.MESSAGE_INVALID.code, name: "MESSAGE_INVALID" });
      expectUsualHeaders(res.headers);
    }
  });

  it("414 for a path segment over 400 characters, with the usual headers", async () => {
    const res = await h.app.inject({
      method: "GET",
      url: `/v1/invoices/${"a".repeat(401)}`,
      headers: { authorization: `Bearer ${KEYS.cashier1}`, host: "localhost" },
    });
    expect(res.statusCode).toBe(414);
    expect(res.json().error.code).toBe(ERRORS.MESSAGE_INVALID.code);
    expectUsualHeaders(res.headers);
  });
});
