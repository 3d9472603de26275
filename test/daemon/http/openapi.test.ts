import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PosInvoiceV2Schema } from "../../../protocol/index.js";
import { makeApp } from "./harness.js";

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: object }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
  responses: Record<
    string,
    { description: string; content?: Record<string, { schema: object }>; headers?: object }
  >;
  security?: Record<string, string[]>[];
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
  security: Record<string, string[]>[];
}

const h = makeApp();
let doc: Document;
beforeAll(async () => {
  const res = await h.app.inject({ method: "GET", url: "/openapi.json", headers: { host: "localhost" } });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  doc = res.json<Document>();
});
afterAll(async () => {
  await h.app.close();
});

/**
 * Every status each route can answer (docs/API.md §8 and §9, the error table protocol/errors.ts):
 * every route 400 (two Host headers), 421 and 503 (shutting down); every route with a key 401, and
 * 500 (the key store or the service call may fail; health and the metrics call nothing that can); `{id}` routes 400 (undecodable URL), 404, 414 and 422; routes
 * that read a body 400, 413 and 415; routes that reach the device 409, 502, 503 and 504, and 507 when
 * they may need a journal record. The report routes (docs/API.md §11): those that have the device make
 * a report also 422 (a seal that does not verify) and, for the A report, 404 and 422 (the range);
 * those that read stored reports 422 (a stored seal that no longer verifies, or the query or number).
 */
const ROUTES: Record<string, Record<string, string[]>> = {
  "/v1/invoices": {
    post: ["201", "400", "401", "409", "413", "415", "421", "422", "500", "502", "503", "504", "507"],
    get: ["200", "400", "401", "421", "422", "500", "503"],
  },
  "/v1/invoices/prepare": {
    post: ["201", "400", "401", "409", "413", "415", "421", "422", "500", "502", "503", "504", "507"],
  },
  "/v1/invoices/{id}": { get: ["200", "400", "401", "404", "414", "421", "422", "500", "503"] },
  "/v1/invoices/{id}/commit": {
    post: [
      "200",
      "400",
      "401",
      "404",
      "409",
      "413",
      "414",
      "415",
      "421",
      "422",
      "500",
      "502",
      "503",
      "504",
      "507",
    ],
  },
  "/v1/invoices/{id}/abort": {
    post: ["200", "400", "401", "404", "409", "413", "414", "415", "421", "422", "500", "502", "503", "504"],
  },
  "/v1/invoices/{id}/delivered": {
    post: ["200", "400", "401", "404", "409", "413", "414", "415", "421", "422", "500", "503"],
  },
  "/v1/invoices/{id}/receipt": {
    get: ["200", "400", "401", "404", "414", "421", "422", "500", "503"],
  },
  "/v1/invoices/{id}/qr.svg": { get: ["200", "400", "401", "404", "414", "421", "422", "500", "503"] },
  "/v1/reports/z": {
    post: ["201", "400", "401", "409", "413", "415", "421", "422", "500", "502", "503", "504"],
  },
  "/v1/reports/x": { get: ["200", "400", "401", "409", "421", "422", "500", "502", "503", "504"] },
  "/v1/reports/a": {
    get: ["200", "400", "401", "404", "409", "421", "422", "500", "502", "503", "504"],
  },
  "/v1/reports/z/{number}": { get: ["200", "400", "401", "404", "414", "421", "422", "500", "503"] },
  "/v1/reports": { get: ["200", "400", "401", "421", "422", "500", "503"] },
  "/v1/reports/x/print": { get: ["200", "400", "401", "409", "421", "422", "500", "502", "503", "504"] },
  "/v1/reports/z/{number}/print": { get: ["200", "400", "401", "404", "414", "421", "422", "500", "503"] },
  "/v1/status": { get: ["200", "400", "401", "421", "500", "503"] },
  "/v1/health": { get: ["200", "400", "421", "503"] },
  "/metrics": { get: ["200", "400", "421", "503"] },
};

/**
 * Where a route answers with Retry-After (docs/API.md §8): every 503, and the 409 of every route that
 * runs under its invoice's lock (REQUEST_IN_PROGRESS: the creates, commit, abort and delivered).
 */
const RETRY_AFTER: Record<string, Record<string, string[]>> = {
  "/v1/invoices": { post: ["409", "503"], get: ["503"] },
  "/v1/invoices/prepare": { post: ["409", "503"] },
  "/v1/invoices/{id}": { get: ["503"] },
  "/v1/invoices/{id}/commit": { post: ["409", "503"] },
  "/v1/invoices/{id}/abort": { post: ["409", "503"] },
  "/v1/invoices/{id}/delivered": { post: ["409", "503"] },
  "/v1/invoices/{id}/receipt": { get: ["503"] },
  "/v1/invoices/{id}/qr.svg": { get: ["503"] },
  "/v1/reports/z": { post: ["503"] },
  "/v1/reports/x": { get: ["503"] },
  "/v1/reports/a": { get: ["503"] },
  "/v1/reports/z/{number}": { get: ["503"] },
  "/v1/reports": { get: ["503"] },
  "/v1/reports/x/print": { get: ["503"] },
  "/v1/reports/z/{number}/print": { get: ["503"] },
  "/v1/status": { get: ["503"] },
  "/v1/health": { get: ["503"] },
  "/metrics": { get: ["503"] },
};

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [path, method, op] as [string, string, Operation]),
  );
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document with info, a bearer scheme and global security", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toContain("Stalela");
    expect(doc.info.version).toBe("0.1.0-test");
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });

  it("lists every route with its responses, and nothing else (no /openapi.json, no HEAD)", () => {
    const listed = Object.fromEntries(
      Object.entries(doc.paths).map(([path, item]) => [path, Object.keys(item).sort()]),
    );
    expect(listed).toEqual(
      Object.fromEntries(Object.entries(ROUTES).map(([p, m]) => [p, Object.keys(m).sort()])),
    );
    for (const [path, methods] of Object.entries(ROUTES)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const responses = doc.paths[path]![method]!.responses;
        expect(Object.keys(responses).sort(), `${method} ${path}`).toEqual(statuses);
      }
    }
  });

  it("documents Retry-After on exactly the 503s and the 409s that can be REQUEST_IN_PROGRESS", () => {
    for (const [path, methods] of Object.entries(RETRY_AFTER)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const responses = doc.paths[path]![method]!.responses;
        const withRetryAfter = Object.keys(responses).filter((status) =>
          Object.hasOwn(responses[status]!.headers ?? {}, "retry-after"),
        );
        expect(withRetryAfter, `${method} ${path}`).toEqual(statuses);
      }
    }
  });

  it("documents the metrics key's 401 only when the daemon asks for a key there", async () => {
    const guarded = makeApp({ metricsRequireAuth: true });
    const res = await guarded.app.inject({
      method: "GET",
      url: "/openapi.json",
      headers: { host: "localhost" },
    });
    await guarded.app.close();
    const metrics = res.json<Document>().paths["/metrics"]!.get!;
    expect(Object.keys(metrics.responses).sort()).toEqual(["200", "400", "401", "421", "500", "503"]);
    expect(metrics.security).toBeUndefined();
  });

  it("is structurally valid: unique operationIds, described responses, declared path parameters", () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, method, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status, `${method} ${path}`).toMatch(/^[1-5]\d\d$/);
        expect(response.description.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
      }
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
      expect(pathParams.map((p) => p.name)).toEqual(templated);
      expect(pathParams.every((p) => p.required === true)).toBe(true);
      for (const param of op.parameters ?? []) {
        expect(["query", "header", "path", "cookie"]).toContain(param.in);
        expect(param.schema).toBeTypeOf("object");
      }
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement))
          expect(doc.components.securitySchemes).toHaveProperty(scheme);
      }
    }
  });

  it("holds only valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1)", () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas: object[] = [];
    for (const [, , op] of operations()) {
      for (const p of op.parameters ?? []) if (p.schema) schemas.push(p.schema);
      for (const media of Object.values(op.requestBody?.content ?? {})) schemas.push(media.schema);
      for (const response of Object.values(op.responses)) {
        for (const media of Object.values(response.content ?? {})) schemas.push(media.schema);
      }
    }
    expect(schemas.length).toBeGreaterThan(50);
    for (const schema of schemas) {
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
    }
  });

  it("describes the invoice body with exactly the protocol's PosInvoiceV2Schema", () => {
    for (const path of ["/v1/invoices", "/v1/invoices/prepare"]) {
      const body = doc.paths[path]!.post!.requestBody!;
      expect(body.required).toBe(true);
      expect(body.content["application/json"]!.schema).toEqual(
        JSON.parse(JSON.stringify(PosInvoiceV2Schema)),
      );
    }
  });

  it("documents the Idempotency-Key, Idempotent-Replayed and Retry-After headers", () => {
    const create = doc.paths["/v1/invoices"]!.post!;
    expect(create.parameters).toContainEqual(
      expect.objectContaining({ name: "idempotency-key", in: "header", required: true }),
    );
    expect(create.responses["201"]!.headers).toHaveProperty("idempotent-replayed");
    // A repeated commit, abort or delivered is a replay too (docs/API.md §3).
    for (const action of ["commit", "abort", "delivered"]) {
      const responses = doc.paths[`/v1/invoices/{id}/${action}`]!.post!.responses;
      expect(responses["200"]!.headers, action).toHaveProperty("idempotent-replayed");
    }
    expect(create.responses["503"]!.headers).toHaveProperty("retry-after");
  });

  it("marks /v1/health and /metrics as public and the rest as needing the key", () => {
    expect(doc.paths["/v1/health"]!.get!.security).toEqual([]);
    expect(doc.paths["/metrics"]!.get!.security).toEqual([]);
    expect(doc.paths["/v1/invoices"]!.post!.security).toBeUndefined();
    expect(doc.paths["/v1/health"]!.get!.responses).not.toHaveProperty("401");
  });

  it("serves the QR route as image/svg+xml and the list query with its limits", () => {
    expect(Object.keys(doc.paths["/v1/invoices/{id}/qr.svg"]!.get!.responses["200"]!.content!)).toEqual([
      "image/svg+xml",
    ]);
    const limit = doc.paths["/v1/invoices"]!.get!.parameters!.find((p) => p.name === "limit");
    expect(limit?.schema).toMatchObject({ type: "integer", minimum: 1, maximum: 200, default: 50 });
  });
});
