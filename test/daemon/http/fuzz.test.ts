import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorResponseSchema } from "../../../daemon/http/schemas.js";
import { saleBody } from "./fakes.js";
import { expectConforms, KEYS, makeApp } from "./harness.js";

/** Hostile requests per run: enough to reach every route with every kind of bad part. */
const FUZZ_RUNS = 2_000;

const h = makeApp({ bodyLimitBytes: 16 * 1024 });
beforeAll(async () => {
  await h.app.ready();
});
afterAll(async () => {
  await h.app.close();
});

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const segment = fc.oneof(
  fc.constantFrom("inv-1", "POS1-0001", "..", ".", "%2F", "%zz", "%00", "qr.svg", "x".repeat(500)),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);
const path = fc.oneof(
  fc.constantFrom(
    "/v1/invoices",
    "/v1/invoices/prepare",
    "/v1/status",
    "/v1/health",
    "/metrics",
    "/openapi.json",
    "/",
    "//v1//invoices",
  ),
  segment.map((id) => `/v1/invoices/${id}`),
  fc
    .tuple(segment, fc.constantFrom("commit", "abort", "delivered", "qr.svg", "nope"))
    .map(([id, action]) => `/v1/invoices/${id}/${action}`),
  fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`),
);
const query = fc.oneof(
  fc.constant(""),
  fc.constantFrom(
    "?limit=0",
    "?limit=-1",
    "?limit=1e9",
    "?limit=abc",
    "?state=X&state=Y",
    "?from=2026-13-45",
  ),
  fc
    .dictionary(printable(12), printable(20), { maxKeys: 4 })
    .map((q) => `?${new URLSearchParams(q).toString()}`),
);

/** A valid invoice with one field replaced by an arbitrary JSON value, or dropped. */
const mutatedInvoice = fc
  .tuple(
    fc.constantFrom(
      "type",
      "currency",
      "items",
      "payments",
      "client",
      "reference",
      "comments",
      "operator",
      "client_ref",
      "items.0",
    ),
    fc.option(fc.jsonValue({ maxDepth: 3 })),
  )
  .map(([field, value]) => {
    const body = saleBody();
    if (field === "items.0") (body.items as unknown[])[0] = value;
    else if (value === null) delete body[field];
    else body[field] = value;
    return JSON.stringify(body);
  });
const body = fc.oneof(
  fc.constant(undefined),
  fc.constant(JSON.stringify(saleBody())),
  mutatedInvoice,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  // Deep nesting: up to the 16 KiB limit of this app (and past it, for the 413 path).
  // Deep nesting: up to the 16 KiB limit of this app (and past it, for the 413 path).
  fc.nat({ max: 10_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
  fc.nat({ max: 3_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`),
  fc.constantFrom(
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '{"type":"SALE"',
    "\u0000\u0001",
    `"${"z".repeat(20_000)}"`,
  ),
);
const headers = fc.record(
  {
    // Mostly valid credentials and Host, so that most requests get past the guards to the routes.
    authorization: fc.oneof(
      { arbitrary: fc.constant(`Bearer ${KEYS.cashier1}`), weight: 8 },
      fc.constant(`Bearer ${KEYS.revoked}`),
      printable(80).map((s) => `Bearer ${s}`),
      printable(40),
    ),
    host: fc.oneof(
      { arbitrary: fc.constantFrom("127.0.0.1:8765", "localhost", "[::1]:1"), weight: 8 },
      fc.constantFrom("evil.example", ""),
      printable(30),
    ),
    "content-type": fc.constantFrom(
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "garbage/",
    ),
    "idempotency-key": fc.oneof(fc.string({ maxLength: 70 }).map(encodeURIComponent), printable(80)),
    origin: fc.constant("http://evil.example"),
  },
  { requiredKeys: ["authorization", "host"] },
);

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: string | undefined;
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"] as const;

/** Anything at all, on any route. */
const anyRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({ method: fc.constantFrom(...METHODS), p: path, q: query, headers, payload: body })
  .map(({ method, p, q, headers: h, payload }) => ({ method, url: p + q, headers: h, payload }));

/**
 * A nearly right create: good credentials, a key from a small pool (so replays and conflicts happen)
 * and a valid, mutated or hostile invoice, so the fuzz also reaches validation and the service.
 */
const createRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    url: fc.constantFrom("/v1/invoices", "/v1/invoices/prepare"),
    key: fc.constantFrom("FUZZ-1", "FUZZ-2", "FUZZ-3", "FUZZ-4"),
    // Two valid bodies, so that a key reused with the other one is an idempotency conflict (409).
    payload: fc.oneof(
      {
        arbitrary: fc
          .constantFrom("first", "second")
          .map((note) => JSON.stringify(saleBody({ comments: { B: note } }))),
        weight: 2,
      },
      mutatedInvoice,
      body,
    ),
  })
  .map(({ url, key, payload }) => ({
    method: "POST",
    url,
    headers: {
      host: "127.0.0.1:8765",
      authorization: `Bearer ${KEYS.cashier1}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    payload,
  }));

describe("fuzz: hostile requests", () => {
  it(`${FUZZ_RUNS} random requests get a coded answer and never a 5xx`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: anyRequest, weight: 3 }, createRequest), async (request) => {
        const { method, url, headers: hdrs, payload } = request;
        const res = await h.app.inject({
          method: method as "GET",
          url,
          headers: hdrs,
          ...(payload === undefined || method === "GET" || method === "HEAD" ? {} : { payload }),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode, `${method} ${url}`).toBeLessThan(500);
        expect(Object.keys(res.headers).some((k) => k.startsWith("access-control-"))).toBe(false);
        if (res.statusCode >= 400 && method !== "HEAD") {
          expectConforms(ErrorResponseSchema, res.json());
          const { error } = res.json();
          expect(error.code).toBeTypeOf("number");
          expect(error.name).toMatch(/^[A-Z_]+$/);
          expect(res.body).not.toMatch(/\bat .+:\d+:\d+/);
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
    // The requests reached every layer: guards, parser, validation, the routes and the service.
    expect([...statuses.keys()]).toEqual(
      expect.arrayContaining([200, 201, 400, 401, 404, 409, 413, 415, 421, 422]),
    );
    // And the service still answers normally.
    const ok = await h.app.inject({
      method: "POST",
      url: "/v1/invoices",
      headers: {
        host: "localhost",
        authorization: `Bearer ${KEYS.cashier1}`,
        "idempotency-key": "AFTER-FUZZ",
      },
      payload: saleBody(),
    });
    expect(ok.statusCode).toBe(201);
  });
});
