/**
 * What the route modules share: the typed fastify instance and the dependencies a route reaches.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { InvoiceOperations, StatusSource } from "../fiscal/types.js";
import type { HttpMetrics } from "./metrics.js";
import { errorResponseSchema, RETRY_AFTER_HEADER, withHeaders } from "./schemas.js";

/** The API's fastify instance: routes are typed from their typebox schemas. */
export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** The dependencies routes use. */
export interface RouteContext {
  readonly invoices: InvoiceOperations;
  readonly status: StatusSource;
  readonly metrics: HttpMetrics;
  readonly version: string;
  /** Whether `GET /metrics` asks for an API key. */
  readonly metricsRequireAuth: boolean;
}

/** Path prefix of the versioned API. */
export const API_PREFIX = "/v1";

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: "malformed request (bad JSON, missing Idempotency-Key)",
  401: "missing, unknown or revoked API key",
  404: "no such invoice",
  409: "conflict: Idempotency-Key reused with another body, request in progress, wrong state, nonce",
  413: "body larger than the limit",
  415: "body is not application/json",
  421: "Host header not allowed",
  422: "invalid invoice or parameters; `issues` lists each field",
  500: "unexpected failure (logged with the request id)",
  502: "the device or the cloud answered garbage",
  503: "device unavailable or busy; retry after Retry-After seconds",
  504: "the device did not answer in time; look the invoice up before retrying",
  507: "the fiscal journal is full",
};

/** The errors every authenticated route may answer, before its own. */
export const COMMON_ERROR_STATUSES = [401, 421, 500, 503] as const;
/** The errors a public route (no API key) may answer. */
export const PUBLIC_ERROR_STATUSES = [421, 500, 503] as const;

type ErrorResponseSchema = ReturnType<typeof errorResponseSchema>;

function errorResponsesFor(statuses: readonly number[]): Record<number, ErrorResponseSchema> {
  const out: Record<number, ErrorResponseSchema> = {};
  for (const status of [...new Set(statuses)].sort((a, b) => a - b)) {
    const schema = errorResponseSchema(ERROR_DESCRIPTIONS[status] ?? "error");
    // 503 always carries Retry-After; 409 may (REQUEST_IN_PROGRESS).
    out[status] = status === 503 || status === 409 ? withHeaders(schema, RETRY_AFTER_HEADER) : schema;
  }
  return out;
}

/** Error response schemas of an authenticated route: the common ones plus `statuses`. */
export function errorResponses(...statuses: readonly number[]): Record<number, ErrorResponseSchema> {
  return errorResponsesFor([...COMMON_ERROR_STATUSES, ...statuses]);
}

/** Error response schemas of a public route. */
export function publicErrorResponses(): Record<number, ErrorResponseSchema> {
  return errorResponsesFor(PUBLIC_ERROR_STATUSES);
}
