/**
 * The requests of the OpenAPI contract test: for each route of /openapi.json, one request per way the
 * route can answer, each with the status docs/API.md and the error table (protocol/errors.ts) give it.
 * Faults of the fiscal service are thrown by the fake as the real service would throw them.
 */
import type { InjectOptions } from "fastify";
import { ERRORS, type ErrorName, FiscalError } from "../../../protocol/index.js";
import type { DayReportsUnderTest } from "./day-world.js";
import type { FakeInvoiceService, FakeStatus } from "./fakes.js";
import { saleBody } from "./fakes.js";
import { KEYS } from "./harness.js";

/** Body limit of the contract's app, in bytes: small, so a 413 needs no big payload. */
export const CONTRACT_BODY_LIMIT_BYTES = 16 * 1024;

/** What a case may prepare before its request. */
export interface CaseWorld {
  readonly service: FakeInvoiceService;
  readonly status: FakeStatus;
  /** The fiscal day of the report routes: a real DayReports over the emulator (day-world.ts). */
  readonly reports: DayReportsUnderTest;
  /** Creates a sealed (or, two-step, a prepared) invoice under `key`. */
  seed(key: string, twoStep?: boolean): Promise<void>;
}

/** One request and the status it must get. */
export interface ContractCase {
  /** `<method> <path>` as /openapi.json spells them, e.g. `post /v1/invoices/{id}/commit`. */
  readonly route: string;
  readonly name: string;
  readonly status: number;
  readonly arrange?: (world: CaseWorld) => Promise<void> | void;
  readonly request: InjectOptions & { url: string; method: "GET" | "POST" };
  /** Sent over a real connection while the daemon is shutting down (inject refuses then). */
  readonly whileClosing?: true;
}

/** A route of the API as the test drives it. */
interface RouteUnderTest {
  readonly method: "GET" | "POST";
  readonly path: string;
  /** The URL with its path parameter (`{id}`, `{number}`) replaced by `id`. */
  readonly url: (id: string) => string;
  /** The path parameter of the route's own requests; default: the case's key (an Idempotency-Key). */
  readonly param?: string;
  readonly authenticated: boolean;
  /**
   * The service call a fault is injected into: an invoice operation, the status source, the day's
   * reports, or none.
   */
  readonly calls: "invoices" | "status" | "reports" | "none";
  /** Faults the service may throw on this route (names of the error table). */
  readonly faults: readonly ErrorName[];
  readonly create?: true;
  readonly success: { status: number; arrange?: (world: CaseWorld, key: string) => Promise<void> };
  /** A repeat of a done request: answered from the service's record (`Idempotent-Replayed`). */
  readonly replay?: "create" | "action";
}

const DEVICE_FAULTS: readonly ErrorName[] = [
  "FRAME_CRC",
  "DEVICE_BUSY",
  "DEVICE_UNAVAILABLE",
  "DEVICE_TIMEOUT",
];
const CREATE_FAULTS: readonly ErrorName[] = [
  "IDEMPOTENCY_CONFLICT",
  "REQUEST_IN_PROGRESS",
  "ALREADY_FISCALIZED",
  "DEVICE_NOT_ACTIVATED",
  "INVOICE_TOO_LARGE",
  "PAYMENTS_MISMATCH",
  ...DEVICE_FAULTS,
  "PENDING_LIMIT",
  "JOURNAL_FULL",
];

/** What DayReports and the device may answer a route that has the device make a report. */
const REPORT_MAKING_FAULTS: readonly ErrorName[] = [
  ...DEVICE_FAULTS,
  "DEVICE_NOT_ACTIVATED",
  "DEVICE_IDENTITY_MISMATCH",
  "UNKNOWN_COMMAND",
  "SIGNATURE_INVALID",
  "FIELD_RANGE",
  "JOURNAL_CORRUPT",
  "SFE_NOT_CONFIGURED",
  "CLOCK_INVALID",
];
/** What reading the stored reports may meet: a report that no longer verifies, no device key yet. */
const STORED_REPORT_FAULTS: readonly ErrorName[] = [
  "SIGNATURE_INVALID",
  "JOURNAL_CORRUPT",
  "DEVICE_UNAVAILABLE",
];

const prepared = async (world: CaseWorld, key: string) => world.seed(key, true);
const sealed = async (world: CaseWorld, key: string) => world.seed(key);
/** An invoice sealed on the report world's device, so the next X, Z or A covers it. */
const daySale = async (world: CaseWorld) => world.reports.seal();
/** A day closed, so that Z 1 is stored. */
const dayClosed = async (world: CaseWorld) => {
  await world.reports.seal();
  await world.reports.closeDay("contract");
};

/** Every route of the API (the test fails if /openapi.json lists one this table lacks, or the reverse). */
export const ROUTES_UNDER_TEST: readonly RouteUnderTest[] = [
  {
    method: "POST",
    path: "/v1/invoices",
    url: () => "/v1/invoices",
    authenticated: true,
    calls: "invoices",
    faults: CREATE_FAULTS,
    create: true,
    success: { status: 201 },
    replay: "create",
  },
  {
    method: "POST",
    path: "/v1/invoices/prepare",
    url: () => "/v1/invoices/prepare",
    authenticated: true,
    calls: "invoices",
    faults: CREATE_FAULTS,
    create: true,
    success: { status: 201 },
    replay: "create",
  },
  {
    method: "POST",
    path: "/v1/invoices/{id}/commit",
    url: (id) => `/v1/invoices/${id}/commit`,
    authenticated: true,
    calls: "invoices",
    faults: [
      "REQUEST_IN_PROGRESS",
      "INVALID_STATE",
      "NONCE_EXPIRED",
      "NONCE_MISMATCH",
      "CREDIT_EXCEEDS_ORIGINAL",
      ...DEVICE_FAULTS,
      "JOURNAL_FULL",
    ],
    success: { status: 200, arrange: prepared },
    replay: "action",
  },
  {
    method: "POST",
    path: "/v1/invoices/{id}/abort",
    url: (id) => `/v1/invoices/${id}/abort`,
    authenticated: true,
    calls: "invoices",
    faults: ["REQUEST_IN_PROGRESS", "INVALID_STATE", ...DEVICE_FAULTS],
    success: { status: 200, arrange: prepared },
    replay: "action",
  },
  {
    method: "POST",
    path: "/v1/invoices/{id}/delivered",
    url: (id) => `/v1/invoices/${id}/delivered`,
    authenticated: true,
    calls: "invoices",
    faults: ["REQUEST_IN_PROGRESS", "INVALID_STATE"],
    success: { status: 200, arrange: sealed },
    replay: "action",
  },
  {
    method: "GET",
    path: "/v1/invoices/{id}",
    url: (id) => `/v1/invoices/${id}`,
    authenticated: true,
    calls: "invoices",
    faults: [],
    success: { status: 200, arrange: sealed },
  },
  {
    method: "GET",
    path: "/v1/invoices/{id}/receipt",
    url: (id) => `/v1/invoices/${id}/receipt?format=html`,
    authenticated: true,
    calls: "invoices",
    faults: [],
    success: { status: 200, arrange: sealed },
  },
  {
    method: "GET",
    path: "/v1/invoices/{id}/qr.svg",
    url: (id) => `/v1/invoices/${id}/qr.svg`,
    authenticated: true,
    calls: "invoices",
    faults: [],
    success: { status: 200, arrange: sealed },
  },
  {
    method: "GET",
    path: "/v1/invoices",
    url: () => "/v1/invoices",
    authenticated: true,
    calls: "invoices",
    faults: [],
    success: { status: 200 },
  },
  {
    method: "POST",
    path: "/v1/reports/z",
    url: () => "/v1/reports/z",
    authenticated: true,
    calls: "reports",
    faults: REPORT_MAKING_FAULTS,
    success: { status: 201, arrange: daySale },
  },
  {
    method: "GET",
    path: "/v1/reports/x",
    url: () => "/v1/reports/x",
    authenticated: true,
    calls: "reports",
    faults: REPORT_MAKING_FAULTS,
    success: { status: 200, arrange: daySale },
  },
  {
    method: "GET",
    path: "/v1/reports/a",
    url: () => "/v1/reports/a",
    authenticated: true,
    calls: "reports",
    faults: [...REPORT_MAKING_FAULTS, "RECORD_NOT_FOUND"],
    success: { status: 200, arrange: daySale },
  },
  {
    method: "GET",
    path: "/v1/reports/z/{number}",
    url: (number) => `/v1/reports/z/${number}`,
    param: "1",
    authenticated: true,
    calls: "reports",
    faults: STORED_REPORT_FAULTS,
    success: { status: 200, arrange: dayClosed },
  },
  {
    method: "GET",
    path: "/v1/reports/x/print",
    url: () => "/v1/reports/x/print?format=html",
    authenticated: true,
    calls: "reports",
    faults: REPORT_MAKING_FAULTS,
    success: { status: 200, arrange: daySale },
  },
  {
    method: "GET",
    path: "/v1/reports/z/{number}/print",
    url: (number) => `/v1/reports/z/${number}/print?format=text&width=32`,
    param: "1",
    authenticated: true,
    calls: "reports",
    faults: STORED_REPORT_FAULTS,
    success: { status: 200, arrange: dayClosed },
  },
  {
    method: "GET",
    path: "/v1/reports",
    url: () => "/v1/reports?kind=Z_REPORT&limit=5",
    authenticated: true,
    calls: "reports",
    faults: STORED_REPORT_FAULTS,
    success: { status: 200, arrange: dayClosed },
  },
  {
    method: "GET",
    path: "/v1/status",
    url: () => "/v1/status",
    authenticated: true,
    calls: "status",
    faults: [],
    success: { status: 200 },
  },
  {
    method: "GET",
    path: "/v1/health",
    url: () => "/v1/health",
    authenticated: false,
    calls: "none",
    faults: [],
    success: { status: 200 },
  },
  {
    method: "GET",
    path: "/metrics",
    url: () => "/metrics",
    authenticated: false,
    // The gauges read the status source, but a failing one leaves them at their last value.
    calls: "none",
    faults: [],
    success: { status: 200 },
  },
];

const HOST = "127.0.0.1:8765";
let seq = 0;
const nextKey = (): string => `CONTRACT-${++seq}`;

function headersFor(route: RouteUnderTest, key: string, extra: Record<string, string | string[]> = {}) {
  return {
    host: HOST,
    ...(route.authenticated ? { authorization: `Bearer ${KEYS.cashier1}` } : {}),
    ...(route.create ? { "idempotency-key": key } : {}),
    ...(route.method === "POST" && route.create ? { "content-type": "application/json" } : {}),
    ...extra,
  } as Record<string, string>;
}

/** A route's request; a create carries a valid sale unless `payload` says otherwise. */
function requestFor(
  route: RouteUnderTest,
  key: string,
  over: { id?: string; headers?: Record<string, string | string[]>; payload?: string | Buffer } = {},
): ContractCase["request"] {
  const payload = over.payload ?? (route.create ? JSON.stringify(saleBody()) : undefined);
  return {
    method: route.method,
    url: route.url(over.id ?? route.param ?? key),
    headers: headersFor(route, key, over.headers),
    ...(payload === undefined ? {} : { payload }),
  };
}

/** The error a fault is thrown as; a TypeError stands for a bug (the 500 path). */
function faultError(name: ErrorName): FiscalError {
  return new FiscalError(name);
}

function casesOf(route: RouteUnderTest): ContractCase[] {
  const id = `${route.method.toLowerCase()} ${route.path}`;
  const out: ContractCase[] = [];
  const add = (
    name: string,
    status: number,
    request: ContractCase["request"],
    arrange?: ContractCase["arrange"],
  ) => out.push({ route: id, name, status, request, ...(arrange ? { arrange } : {}) });
  const key = nextKey();
  const success = route.success;
  add(`success ${success.status}`, success.status, requestFor(route, key), (w) => success.arrange?.(w, key));
  if (route.replay === "create") {
    const again = nextKey();
    add("a replayed create", 201, requestFor(route, again), (w) =>
      w.seed(again, route.path.endsWith("prepare")),
    );
  } else if (route.replay === "action") {
    const again = nextKey();
    add("a repeat of a done action", 200, requestFor(route, again), async (w) => {
      await success.arrange?.(w, again);
      w.service.replayNext();
    });
  }
  // The checks every route meets (docs/API.md §8 transport faults and §10).
  add(
    "two Host headers",
    ERRORS.MESSAGE_INVALID.http,
    requestFor(route, nextKey(), { headers: { host: [HOST, HOST] } }),
  );
  add(
    "a Host that is not loopback",
    ERRORS.HOST_REJECTED.http,
    requestFor(route, nextKey(), { headers: { host: "evil.example" } }),
  );
  out.push({
    route: id,
    name: "while the daemon shuts down",
    status: ERRORS.DEVICE_UNAVAILABLE.http,
    request: requestFor(route, nextKey()),
    whileClosing: true,
  });
  if (route.authenticated) {
    const request = requestFor(route, nextKey());
    const { authorization: _, ...anonymous } = request.headers as Record<string, string>;
    add("no API key", ERRORS.AUTH_MISSING.http, { ...request, headers: anonymous });
  }
  if (route.path.includes("{id}")) {
    add(
      "malformed percent-encoding",
      ERRORS.MESSAGE_INVALID.http,
      requestFor(route, nextKey(), { id: "%zz" }),
    );
    add("a 401-character id", 414, requestFor(route, nextKey(), { id: "a".repeat(401) }));
    add(
      "an id outside the id alphabet",
      ERRORS.FIELD_TYPE.http,
      requestFor(route, nextKey(), { id: "bad%20id" }),
    );
    add(
      "an unknown id",
      ERRORS.RECORD_NOT_FOUND.http,
      requestFor(route, nextKey(), { id: "NO-SUCH-INVOICE" }),
    );
  }
  if (route.path.includes("{number}")) {
    add(
      "malformed percent-encoding",
      ERRORS.MESSAGE_INVALID.http,
      requestFor(route, nextKey(), { id: "%zz" }),
    );
    add("a 401-character number", 414, requestFor(route, nextKey(), { id: "1".repeat(401) }));
    add("a number that is not decimal", ERRORS.FIELD_TYPE.http, requestFor(route, nextKey(), { id: "0x10" }));
    add("Z number 0", ERRORS.FIELD_TYPE.http, requestFor(route, nextKey(), { id: "0" }));
    add(
      "a Z number not stored",
      ERRORS.RECORD_NOT_FOUND.http,
      requestFor(route, nextKey(), { id: "999999" }),
    );
  }
  if (route.method === "POST") {
    const json = { "content-type": "application/json" };
    add("a body that is not JSON", 400, requestFor(route, nextKey(), { headers: json, payload: '{"type":' }));
    add(
      "a body that is not UTF-8",
      400,
      requestFor(route, nextKey(), { headers: json, payload: Buffer.from([0x22, 0xff, 0x22]) }),
    );
    const big = JSON.stringify({ note: "x".repeat(CONTRACT_BODY_LIMIT_BYTES) });
    add(
      "a body over the limit",
      ERRORS.INVOICE_TOO_LARGE.http,
      requestFor(route, nextKey(), { headers: json, payload: big }),
    );
    add(
      "a body that is not application/json",
      415,
      requestFor(route, nextKey(), { headers: { "content-type": "text/plain" }, payload: "hi" }),
    );
  }
  if (route.create) {
    const request = requestFor(route, nextKey());
    const { "idempotency-key": _, ...keyless } = request.headers as Record<string, string>;
    add("no Idempotency-Key", ERRORS.IDEMPOTENCY_KEY_REQUIRED.http, { ...request, headers: keyless });
    add(
      "an invalid invoice",
      ERRORS.INVOICE_INVALID.http,
      requestFor(route, nextKey(), { payload: '{"type":"SALE"}' }),
    );
  }
  if (route.path === "/v1/invoices" && route.method === "GET") {
    add("limit=1.5", ERRORS.FIELD_TYPE.http, {
      ...requestFor(route, nextKey()),
      url: "/v1/invoices?limit=1.5",
    });
  }
  if (route.path === "/v1/reports/a") {
    const query = (q: string) => ({ ...requestFor(route, nextKey()), url: `/v1/reports/a?${q}` });
    add("from=abc", ERRORS.FIELD_TYPE.http, query("from=abc"));
    add("from after to", ERRORS.FIELD_RANGE.http, query("from=5&to=2"));
    add("to=0", ERRORS.FIELD_RANGE.http, query("to=0"));
    add("an unknown parameter", ERRORS.FIELD_UNKNOWN.http, query("since=1"));
    add(
      "to past the device's last fiscal number",
      ERRORS.RECORD_NOT_FOUND.http,
      query("from=999998&to=999999"),
    );
  }
  if (route.path === "/v1/reports") {
    const query = (q: string) => ({ ...requestFor(route, nextKey()), url: `/v1/reports?${q}` });
    add("every kind, by default", 200, query("limit=100"));
    add("limit=0", ERRORS.FIELD_RANGE.http, query("limit=0"));
    add("limit=101", ERRORS.FIELD_RANGE.http, query("limit=101"));
    add("kind=FOO", ERRORS.FIELD_TYPE.http, query("kind=FOO"));
    add("kind=X_REPORT (never stored)", ERRORS.FIELD_TYPE.http, query("kind=X_REPORT"));
  }
  for (const name of route.faults) {
    const faultKey = nextKey();
    add(`the service throws ${name}`, ERRORS[name].http, requestFor(route, faultKey), async (w) => {
      await success.arrange?.(w, faultKey);
      if (route.calls === "reports") w.reports.failNext(faultError(name));
      else w.service.failNext(faultError(name));
    });
  }
  if (route.calls !== "none") {
    const bugKey = nextKey();
    add(
      "a bug in the service (TypeError)",
      ERRORS.STORAGE_FAILURE.http,
      requestFor(route, bugKey),
      async (w) => {
        await success.arrange?.(w, bugKey);
        const bug = new TypeError("contract: an unexpected exception");
        if (route.calls === "status") w.status.failure = bug;
        else if (route.calls === "reports") w.reports.failNext(bug);
        else w.service.failNext(bug);
      },
    );
  }
  return out;
}

/** Every case of every route. */
export function contractCases(): ContractCase[] {
  return ROUTES_UNDER_TEST.flatMap(casesOf);
}
