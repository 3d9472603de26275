/**
 * The POS HTTP API as a factory: `buildApp(deps)` wires fastify, the guards, the error mapping, the
 * routes and the OpenAPI document, and does no I/O; `listen()` binds it. Tests drive the built app
 * with `inject()`; the daemon's composition root calls both.
 */

import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import fastifySwagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from "fastify";
import type { Logger, LoggerOptions } from "pino";
import { Registry } from "prom-client";
import { langOfAcceptLanguage } from "../../protocol/i18n/index.js";
import { FiscalError } from "../../protocol/index.js";
import { type ConsoleDeps, isConsoleUrl, registerConsole } from "../console/console.js";
import type { ApiKeyVerifier, InvoiceOperations, StatusSource } from "../fiscal/types.js";
import type { Receipts } from "../receipt/receipts.js";
import { ReportPrinter } from "../receipt/report-printer.js";
import { authenticate, DEFAULT_ALLOWED_HOSTS, HostAllowList } from "./auth.js";
import { API_PREFIX, type ApiInstance, type DayReportOperations, type RouteContext } from "./context.js";
import { type ApiFailure, bodyNotUtf8Error, errorBody, retryAfterSeconds, toApiFailure } from "./errors.js";
import { HttpMetrics } from "./metrics.js";
import { openApiOptions } from "./openapi.js";
import { invoiceRoutes, REPLAYED_HEADER } from "./routes/invoices.js";
import { receiptRoutes } from "./routes/receipts.js";
import { reportPrintRoutes } from "./routes/report-print.js";
import { reportRoutes } from "./routes/reports.js";
import { METRICS_ROUTE, PUBLIC_ROUTES, statusRoutes } from "./routes/status.js";
import { validatorCompiler } from "./validation.js";

export type { ApiInstance } from "./context.js";

/** Port the API listens on unless configured (docs/API.md). */
export const DEFAULT_PORT = 8765;
/** Address the API binds to unless configured: loopback only, so the LAN cannot reach it. */
export const DEFAULT_HOST = "127.0.0.1";
/** Largest request body, in bytes: a 200-line invoice is ~40 KiB of JSON, so 256 KiB is generous. */
export const DEFAULT_BODY_LIMIT_BYTES = 256 * 1024;
/** Time a client has to send a whole request, in milliseconds (slow-sender defence). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Longest raw path parameter, in characters: a 128-character id, percent-encoded, fits. */
export const MAX_PARAM_CHARS = 400;
/** Longest URL logged, in characters. */
const MAX_LOGGED_URL_CHARS = 256;

/** Settings of the API. */
export interface HttpConfig {
  /** Host header values accepted; an entry without a port allows any port. Default: loopback names. */
  readonly allowedHosts?: readonly string[];
  /** Body size limit in bytes; default DEFAULT_BODY_LIMIT_BYTES (256 KiB). */
  readonly bodyLimitBytes?: number;
  /** Daemon version, shown by /v1/health and the OpenAPI document. */
  readonly version: string;
  /** Ask an API key on /metrics too; default false (local Prometheus scrapers send none). */
  readonly metricsRequireAuth?: boolean;
}

/** What the API needs. */
export interface HttpDeps {
  readonly invoices: InvoiceOperations;
  readonly receipts: Receipts;
  /** The fiscal day (daemon/reports/day-reports.ts `DayReports`). */
  readonly reports: DayReportOperations;
  /** Prints reports; default: no seller name, Kinshasa's time. */
  readonly reportPrinter?: ReportPrinter;
  readonly keys: ApiKeyVerifier;
  readonly status: StatusSource;
  /** Registry the API's metrics go to (the daemon adds its own); default a new one. */
  readonly metrics?: Registry;
  /** Pino options, or the daemon's logger (a child is made); false or absent: no logs. */
  readonly logger?: boolean | LoggerOptions | Logger;
  readonly config: HttpConfig;
  /** The operator console under /console (docs/CONSOLE.md); absent: no console. */
  readonly console?: ConsoleDeps;
}

/** Headers that may carry a secret; pino replaces them wherever they would be logged. */
const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  "authorization",
];
const REDACT = { paths: REDACTED_PATHS, censor: "[redacted]" };

function isLogger(value: unknown): value is Logger {
  return typeof value === "object" && value !== null && typeof (value as Logger).child === "function";
}

function loggerOptions(logger: HttpDeps["logger"]): {
  logger?: boolean | LoggerOptions;
  loggerInstance?: Logger;
} {
  if (logger === undefined || logger === false) return { logger: false };
  if (isLogger(logger)) return { loggerInstance: logger.child({ component: "http" }, { redact: REDACT }) };
  const base: LoggerOptions = logger === true ? {} : logger;
  return { logger: { ...base, redact: REDACT } };
}

/**
 * Endpoints that POS screens, monitors and Prometheus poll every few seconds: their successful answers
 * are logged at debug, not info. At info they filled the journal with one line per poll, and the
 * synchronous write of that line was a fifth of a status call's CPU. Their failures still log at info.
 */
const POLLED_ROUTES: ReadonlySet<string> = new Set([
  `${API_PREFIX}/health`,
  `${API_PREFIX}/status`,
  METRICS_ROUTE,
]);

/** UTF-8 decoder that throws on invalid input; a BOM stays in the text for the JSON parser to judge. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** How many Host fields a request carries (`rawHeaders` alternates names and values). */
function hostHeaderCount(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === "host") count++;
  return count;
}

/** The headers docs/API.md promises on every response: the request id, no caching, no sniffing. */
function setCommonHeaders(reply: FastifyReply, request: FastifyRequest): void {
  reply.header("x-request-id", request.id);
  reply.header("cache-control", "no-store");
  reply.header("x-content-type-options", "nosniff");
}

/**
 * Answers a request Node's HTTP parser refused before fastify saw it, in the API's error shape and with
 * the usual headers (fastify's own answer has neither): 408 when the request was not received within
 * REQUEST_TIMEOUT_MS, 431 for headers over Node's limit, 400 for anything else. Undefined when the
 * connection is already gone.
 */
function clientFault(error: Error & { code?: string }, socket: Duplex): ApiFailure | undefined {
  if (error.code === "ECONNRESET" || socket.destroyed) return undefined;
  const [status, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, `the request was not received within ${REQUEST_TIMEOUT_MS / 1000} s`]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "the request headers are too large"]
        : [400, "the request is not valid HTTP/1.1"];
  const fault = new FiscalError("MESSAGE_INVALID", message);
  const body = JSON.stringify(errorBody(fault));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${randomUUID()}\r\n` +
        "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n" +
        body,
    );
  }
  socket.destroy();
  return { error: fault, status, internal: false, cause: error };
}

/** The failure each request was answered with, for its log line. */
const failures = new WeakMap<FastifyRequest, ApiFailure>();

/** Builds the API. Registers nothing outside the returned instance; call `ready()` or `listen()`. */
export function buildApp(deps: HttpDeps): ApiInstance {
  const { config } = deps;
  const hosts = new HostAllowList(config.allowedHosts ?? DEFAULT_ALLOWED_HOSTS);
  const metrics = new HttpMetrics(deps.metrics ?? new Registry(), deps.status);
  const metricsRequireAuth = config.metricsRequireAuth ?? false;
  let closing = false;

  const app: ApiInstance = Fastify<
    RawServerDefault,
    RawRequestDefaultExpression,
    RawReplyDefaultExpression,
    FastifyBaseLogger
  >({
    ...loggerOptions(deps.logger),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    // A request id unique across restarts: a POS vendor quotes it (X-Request-Id) to find the log line.
    genReqId: () => randomUUID(),
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // fastify's own 503 while closing has another body shape; the onRequest hook answers instead.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_CHARS },
    frameworkErrors: (error, _request, reply) => {
      sendFailure(reply, toApiFailure(error));
    },
    // A request without Host is judged by onRequest (400, or 421 for HTTP/1.0), in the API's shape,
    // rather than by Node's bare 400.
    http: { requireHostHeader: false },
    // What Node's parser refuses before there is a request (bad framing, huge headers, a slow sender).
    clientErrorHandler: (error, socket) => {
      const failure = clientFault(error, socket);
      if (failure !== undefined) metrics.countError(failure.error.code, failure.error.errorName);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Node's connection check enforces requestTimeout only while headersTimeout (default 60 s) is not
  // larger: without this, a client that sends its headers and then stalls its body is never answered 408.
  app.server.headersTimeout = REQUEST_TIMEOUT_MS;

  app.setValidatorCompiler(validatorCompiler);
  // Responses go out through fastify's default serialiser, fast-json-stringify compiled from each
  // route's response schemas: a field the service returns that the schema does not document is
  // dropped, so nothing leaks. The schemas' nullable fields are type lists, not anyOf, so the
  // serialisers need no validator at run time (daemon/http/schemas.ts Nullable). Measured against
  // JSON.stringify for a 100-line invoice: ready() takes ~50–100 ms more (every serialiser is compiled
  // up front), the first call no longer pays anything, and a call costs about the same (±0.1 ms).
  //
  // JSON only (anything else is 415), through fastify's own parser (secure-json-parse: __proto__ and
  // constructor.prototype are errors), except that an empty body is "no body", so that
  // `curl -X POST -H 'Content-Type: application/json' …/commit` works. The bytes are decoded strictly:
  // invalid UTF-8 is refused, never turned into U+FFFD and sealed.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (bytes.length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      done(bodyNotUtf8Error(), undefined);
      return;
    }
    parseJson(request, text, done);
  });

  function sendFailure(reply: FastifyReply, failure: ApiFailure): FastifyReply {
    const request = reply.request;
    // Also here, not only in onRequest: the router's own refusals (frameworkErrors) never reach it.
    setCommonHeaders(reply, request);
    failures.set(request, failure);
    metrics.countError(failure.error.code, failure.error.errorName);
    // The stack of our own bug goes to the log, never to the client.
    if (failure.internal) request.log.error({ err: failure.cause }, "unexpected failure");
    const retryAfter = retryAfterSeconds(failure);
    if (retryAfter !== undefined) reply.header("retry-after", String(retryAfter));
    if (failure.status === 401) reply.header("www-authenticate", 'Bearer realm="stalela"');
    // A final refusal answered again to a retry of its key is a replay, like a replayed success.
    if (failure.error.details?.replayed === true) reply.header(REPLAYED_HEADER, "true");
    const lang = langOfAcceptLanguage(request.headers["accept-language"]);
    reply.header("content-language", lang);
    return reply.status(failure.status).send(errorBody(failure.error, lang));
  }

  app.setErrorHandler((error, _request, reply) => sendFailure(reply, toApiFailure(error)));
  app.setNotFoundHandler(async (request) => {
    const path = request.url.split("?")[0]!.slice(0, MAX_LOGGED_URL_CHARS);
    throw new FiscalError("RECORD_NOT_FOUND", `no route ${request.method} ${path}`);
  });

  app.addHook("onRequest", async (request, reply) => {
    setCommonHeaders(reply, request);
    if (closing) throw new FiscalError("DEVICE_UNAVAILABLE", "the fiscal service is shutting down");
    // RFC 9112 §3.2. Node keeps the first of several Host headers: the allow-list must not judge by it.
    const hostFields = hostHeaderCount(request.raw.rawHeaders);
    if (hostFields > 1) {
      throw new FiscalError("MESSAGE_INVALID", "the request has more than one Host header (RFC 9112 §3.2)");
    }
    if (hostFields === 0 && request.raw.httpVersion === "1.1") {
      throw new FiscalError("MESSAGE_INVALID", "an HTTP/1.1 request must have a Host header (RFC 9112 §3.2)");
    }
    if (!hosts.allows(request.headers.host)) throw new FiscalError("HOST_REJECTED");
    // The console has its own login (daemon/console/): a POS key opens none of it, and the bearer
    // check below is not its guard.
    if (deps.console !== undefined && isConsoleUrl(request.url)) return;
    const route = request.routeOptions.url;
    const isPublic =
      route !== undefined && (PUBLIC_ROUTES.has(route) || (route === METRICS_ROUTE && !metricsRequireAuth));
    if (!isPublic) authenticate(request, deps.keys);
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const status = reply.statusCode;
    metrics.observeRequest(request.method, route, status, reply.elapsedTime / 1000);
    const failure = failures.get(request);
    // One line per request. Never the body (it may name a customer) and never a header (the API key).
    const line = {
      method: request.method,
      url: request.url.slice(0, MAX_LOGGED_URL_CHARS),
      route,
      status,
      latency_ms: Math.round(reply.elapsedTime * 100) / 100,
      ...(failure && {
        err_code: failure.error.code,
        err_name: failure.error.errorName,
        // A device or service fault is worth its text for the technician; a client's 4xx is not.
        ...(status >= 500 && { err_message: failure.error.text }),
      }),
    };
    if (failure?.internal) request.log.error(line, "request failed");
    else if (status >= 500) request.log.warn(line, "request failed");
    else if (status < 400 && POLLED_ROUTES.has(route)) request.log.debug(line, "request completed");
    else request.log.info(line, "request completed");
  });

  app.addHook("preClose", async () => {
    closing = true;
  });

  const ctx: RouteContext = {
    invoices: deps.invoices,
    receipts: deps.receipts,
    reports: deps.reports,
    reportPrinter: deps.reportPrinter ?? new ReportPrinter(),
    status: deps.status,
    metrics,
    version: config.version,
    metricsRequireAuth,
  };
  // swagger's onRoute hook must be in place before the routes are added, hence the plugin order.
  app.register(fastifySwagger, openApiOptions(config.version));
  app.register(async (scope: ApiInstance) => {
    invoiceRoutes(scope, ctx);
    receiptRoutes(scope, ctx);
    reportRoutes(scope, ctx);
    reportPrintRoutes(scope, ctx);
    statusRoutes(scope, ctx);
  });
  if (deps.console !== undefined) registerConsole(app, deps.console);
  return app;
}

/** Where to listen; defaults to 127.0.0.1:8765. */
export interface ListenOptions {
  readonly host?: string;
  readonly port?: number;
}

/**
 * Binds the app (loopback by default) and returns the address it listens on. A port another process
 * holds is ADDRESS_IN_USE and a host that is not this machine's is FIELD_RANGE, both naming the address.
 */
export async function listen(app: ApiInstance, options: ListenOptions = {}): Promise<string> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  try {
    return await app.listen({ host, port });
  } catch (err) {
    const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new FiscalError(
        "ADDRESS_IN_USE",
        `cannot listen on ${address}: another process already listens there (another daemon?); stop it or choose another port`,
        { host, port },
        { cause: err },
      );
    }
    if (code === "EADDRNOTAVAIL") {
      throw new FiscalError(
        "FIELD_RANGE",
        `cannot listen on ${address}: http.host ${host} is not an address of this machine`,
        { host, port },
        { cause: err },
      );
    }
    throw err;
  }
}
