/**
 * The OpenAPI document is a contract, checked both ways against the server it describes. For every
 * route /openapi.json lists, each way the route can answer is provoked (contract-cases.ts): the status
 * must be one the document lists for that route, the response must carry the headers docs/API.md
 * promises (X-Request-Id, Cache-Control: no-store, X-Content-Type-Options: nosniff, and Retry-After or
 * Idempotent-Replayed only where documented), and its body must validate against the documented
 * schema of that status. And every status the document lists is provoked at least once, so it lists
 * none that cannot happen.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../../daemon/http/app.js";
import { ERRORS } from "../../../protocol/index.js";
import {
  type CaseWorld,
  CONTRACT_BODY_LIMIT_BYTES,
  type ContractCase,
  contractCases,
  ROUTES_UNDER_TEST,
} from "./contract-cases.js";
import { saleBody } from "./fakes.js";
import { makeApp } from "./harness.js";

interface MediaObject {
  schema: object;
}
interface ResponseObject {
  description: string;
  headers?: Record<string, object>;
  content?: Record<string, MediaObject>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
}

/** An answer, from inject or from a real connection. */
interface Answer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: string;
}

const DOC_ID = "urn:stalela:openapi";
const cases = contractCases();
const h = makeApp({ bodyLimitBytes: CONTRACT_BODY_LIMIT_BYTES });
const world: CaseWorld = {
  service: h.service,
  status: h.status,
  reports: h.reports,
  async seed(key, twoStep = false) {
    const body = saleBody();
    if (twoStep) await h.service.prepare(body, key, h.caller);
    else await h.service.fiscalise(body, key, h.caller);
  },
};
let doc: Document;
let ajv: Ajv2020;
const answers = new Map<ContractCase, Answer>();

/**
 * Answers of the cases sent while the daemon shuts down: over real connections, while a preClose
 * hook of the test holds the close (inject is refused once a close started).
 */
async function answersWhileClosing(closing: readonly ContractCase[]): Promise<void> {
  const other = makeApp({ bodyLimitBytes: CONTRACT_BODY_LIMIT_BYTES });
  let release = (): void => {};
  let reached = (): void => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const atGate = new Promise<void>((resolve) => {
    reached = resolve;
  });
  other.app.addHook("preClose", async () => {
    reached();
    await gate;
  });
  const address = await listen(other.app, { port: 0 });
  const closed = other.app.close();
  await atGate;
  try {
    for (const c of closing) {
      const { host: _, ...headers } = c.request.headers as Record<string, string>;
      const res = await fetch(new URL(c.request.url, address), {
        method: c.request.method,
        headers,
        ...(c.request.payload === undefined ? {} : { body: c.request.payload as string }),
      });
      answers.set(c, {
        statusCode: res.status,
        headers: Object.fromEntries(res.headers),
        body: await res.text(),
      });
    }
  } finally {
    release();
    await closed;
  }
}

beforeAll(async () => {
  const res = await h.app.inject({ method: "GET", url: "/openapi.json", headers: { host: "localhost" } });
  expect(res.statusCode).toBe(200);
  doc = res.json<Document>();
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ ...doc, $id: DOC_ID });
  for (const c of cases.filter((c) => !c.whileClosing)) {
    await c.arrange?.(world);
    try {
      answers.set(c, await h.app.inject(c.request));
    } finally {
      h.status.failure = undefined;
    }
  }
  await answersWhileClosing(cases.filter((c) => c.whileClosing));
}, 60_000);
afterAll(async () => {
  await h.app.close();
});

/** `<method> <path>` of every operation the document lists. */
function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`));
}

function responsesOf(route: string): Record<string, ResponseObject> {
  const [method, path] = route.split(" ") as [string, string];
  return doc.paths[path]![method]!.responses;
}

const validators = new Map<string, ValidateFunction>();

/** The validator of the documented schema at `pointer` of the document, compiled once. */
function validatorAt(segments: readonly string[]): ValidateFunction {
  const pointer = segments
    .map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1")))
    .join("/");
  let validate = validators.get(pointer);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `${DOC_ID}#/${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return value === undefined ? undefined : String(value);
}

describe("the OpenAPI document against the server", () => {
  it("covers exactly the routes the test drives", () => {
    const driven = ROUTES_UNDER_TEST.map((r) => `${r.method.toLowerCase()} ${r.path}`);
    expect(documentedRoutes().sort()).toEqual(driven.sort());
  });

  describe.each(ROUTES_UNDER_TEST.map((r) => `${r.method.toLowerCase()} ${r.path}`))("%s", (route) => {
    const own = cases.filter((c) => c.route === route);

    it.each(own.map((c) => [c.name, c] as const))("%s", (_name, c) => {
      const answer = answers.get(c)!;
      const [method, path] = route.split(" ") as [string, string];
      const responses = responsesOf(route);
      expect(answer.statusCode, answer.body.slice(0, 300)).toBe(c.status);
      const documented = responses[String(answer.statusCode)];
      expect(documented, `${route} answers ${answer.statusCode}, which it does not document`).toBeDefined();

      // Headers on every answer (docs/API.md §8 and §10).
      expect(header(answer, "x-request-id")).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
      expect(header(answer, "cache-control")).toBe("no-store");
      expect(header(answer, "x-content-type-options")).toBe("nosniff");
      // Retry-After on every 503 and on REQUEST_IN_PROGRESS (docs/API.md §8), and only where documented.
      const body =
        answer.body.length > 0 && /json/.test(header(answer, "content-type") ?? "")
          ? JSON.parse(answer.body)
          : undefined;
      const mustRetryAfter =
        answer.statusCode === 503 || body?.error?.code === ERRORS.REQUEST_IN_PROGRESS.code;
      if (mustRetryAfter) expect(header(answer, "retry-after")).toMatch(/^[1-9][0-9]*$/);
      for (const name of ["retry-after", "idempotent-replayed"]) {
        if (header(answer, name) !== undefined) {
          expect(Object.keys(documented!.headers ?? {}), `${name} on ${answer.statusCode}`).toContain(name);
        }
      }
      if (c.name.startsWith("a repeat") || c.name.startsWith("a replayed")) {
        expect(header(answer, "idempotent-replayed")).toBe("true");
      }

      // The body: a documented media type, valid against the documented schema.
      const media = (header(answer, "content-type") ?? "").split(";")[0]!.trim();
      expect(Object.keys(documented!.content ?? {})).toContain(media);
      const validate = validatorAt([
        "paths",
        path,
        method,
        "responses",
        String(answer.statusCode),
        "content",
        media,
        "schema",
      ]);
      const value = media === "application/json" ? body : answer.body;
      expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    });

    it("provokes every status the document lists for it, and no other", () => {
      const provoked = new Set(own.map((c) => String(answers.get(c)!.statusCode)));
      expect([...provoked].sort()).toEqual(Object.keys(responsesOf(route)).sort());
    });
  });
});
