/**
 * The error responses each route documents in /openapi.json. A route lists the groups of faults it can
 * meet (every route meets the Host check; a route with `{id}` meets the router's URL checks; a route
 * that reaches the device meets its faults…), and its document then lists exactly the statuses the
 * server can answer it with, each described by the reasons of its groups. test/daemon/http/
 * openapi-contract.test.ts provokes every one of them, and nothing else.
 */
import {
  errorResponseSchema,
  REPLAYED_HEADERS,
  RETRY_AFTER_HEADER,
  type ResponseHeaders,
  withHeaders,
} from "./schemas.js";

/** Faults of one kind: the statuses they are answered with, and why. */
export interface FaultGroup {
  /** The reason for each status, for the response's description. */
  readonly reasons: Readonly<Record<number, string>>;
  /** Statuses of this group that carry Retry-After. */
  readonly retryAfter?: readonly number[];
  /** Statuses of this group that may be a final refusal replayed, with Idempotent-Replayed: true. */
  readonly replayed?: readonly number[];
}

/** Every route: the checks of onRequest, before any route code runs. */
export const EVERY_ROUTE: FaultGroup = {
  reasons: {
    400: "no Host header (HTTP/1.1), or more than one (RFC 9112 §3.2)",
    421: "the Host header is not an allowed name (DNS-rebinding defence)",
    503: "the daemon is shutting down; retry after Retry-After seconds",
  },
  retryAfter: [503],
};

const INTERNAL_FAULT = "unexpected failure, logged under the response's X-Request-Id";

/** A route that asks for an API key: the key store is asked, and a fault there is a 500. */
export const API_KEY: FaultGroup = {
  reasons: { 401: "missing, unknown or revoked API key", 500: INTERNAL_FAULT },
};

/**
 * A route that calls the fiscal service or the status source: a bug there is a 500. (Health and the
 * metrics call nothing that can fail: a failing status source leaves the gauges at their last value.)
 */
export const SERVICE_CALL: FaultGroup = { reasons: { 500: INTERNAL_FAULT } };

/** A route with `{id}`: the router's URL checks and the lookup. */
export const ID_PARAM: FaultGroup = {
  reasons: {
    400: "the URL cannot be decoded (malformed percent-encoding)",
    404: "no invoice of this API key has this id or Idempotency-Key",
    414: "a path segment is over 400 characters",
    422: "`id` is not an invoice id or an Idempotency-Key; `issues` says why",
  },
};

/** A POST route: the body is parsed (an empty one is no body). */
export const JSON_BODY: FaultGroup = {
  reasons: {
    400: "the body is not valid JSON or not valid UTF-8, or carries a __proto__ key",
    413: "the body is larger than the limit",
    415: "the body is not application/json",
  },
};

/** The create routes: the key, the invoice and its binding. */
export const CREATE: FaultGroup = {
  reasons: {
    400: "missing or malformed Idempotency-Key",
    409: "the Idempotency-Key is bound to another body, the payload or client_ref is already sealed, or the device is not activated",
    413: "the canonical invoice is over the device's 24 KiB",
    422: "invalid invoice; `issues` lists each field",
  },
  // A final refusal by the device is bound to the key and answered again to a retry (docs/API.md §2).
  replayed: [400, 409, 413, 422],
};

/** A request that runs under its invoice's lock. */
export const INVOICE_LOCK: FaultGroup = {
  reasons: {
    409: "an earlier request for this invoice is still running (REQUEST_IN_PROGRESS, with Retry-After)",
  },
  retryAfter: [409],
};

/** commit, abort, delivered: the action must fit the invoice's state. */
export const STATE: FaultGroup = {
  reasons: { 409: "the action does not fit the invoice's state (INVALID_STATE)" },
};

/** commit: the device's nonce and the credit rules it checks again at COMMIT. */
export const COMMIT: FaultGroup = {
  reasons: {
    409: "the nonce is unknown, expired or bound to another payload, or the payload is already sealed",
    422: "the device refused the credit note at COMMIT (e.g. CREDIT_EXCEEDS_ORIGINAL)",
  },
};

/** A route that sends a command to the device. */
export const DEVICE: FaultGroup = {
  reasons: {
    502: "the device link garbled a reply",
    503: "the device is unavailable, busy, locked, untrusted or its queue is full; retry after Retry-After seconds",
    504: "the device did not answer within the request bound (DEVICE_TIMEOUT); retry the same key",
  },
  retryAfter: [503],
};

/** A route that may need a new journal record (PREPARE and COMMIT check it). */
export const JOURNAL: FaultGroup = { reasons: { 507: "the fiscal journal is full" } };

/** A route's query (`GET /v1/invoices`, the receipt, `GET /v1/reports`). */
export const LIST_QUERY: FaultGroup = {
  reasons: { 422: "a query parameter is unknown or invalid; `issues` lists each" },
};

/**
 * A route that has the device make a report (Z, X, A): the device's faults (a report needs no journal
 * record and a locked device still makes it, docs/PROTOCOL.md §13.1), and the check of its seal.
 */
export const REPORT_MAKING: FaultGroup = {
  reasons: {
    400: "the device does not know the report commands (UNKNOWN_COMMAND: its firmware predates them) or could not read the request",
    409: "the device is not activated (DEVICE_NOT_ACTIVATED), or is not the one this daemon is bound to (DEVICE_IDENTITY_MISMATCH)",
    422: "the report's signature does not verify with the bound device key (SIGNATURE_INVALID), or a sum passes 2^53 − 1 (FIELD_RANGE)",
    500: "the device answered bytes that are not a report (JOURNAL_CORRUPT)",
    502: "the device link garbled a reply",
    503: "the device is unavailable, busy or untrusted, its queue is full, its clock is not valid (CLOCK_INVALID), or the daemon's ISF is not configured (SFE_NOT_CONFIGURED); retry after Retry-After seconds",
    504: "the device did not answer within the request bound (DEVICE_TIMEOUT)",
  },
  retryAfter: [503],
};

/** `POST /v1/reports/z`: a device fault may leave the POS not knowing whether the day was closed. */
export const CLOSE_DAY: FaultGroup = {
  reasons: {
    502: "the day may be closed or not: read `GET /v1/reports/x` before closing again",
    503: "the day may be closed or not (a reply lost): read `GET /v1/reports/x` before closing again",
    504: "the day may be closed or not: read `GET /v1/reports/x` before closing again",
  },
};

/** A route that reads reports from the daemon's store: each is verified again with the device key. */
export const STORED_REPORTS: FaultGroup = {
  reasons: {
    422: "a stored report's signature does not verify with the bound device key (SIGNATURE_INVALID): the store was altered",
    503: "the device was never seen yet, so there is no key to verify reports with (DEVICE_UNAVAILABLE)",
  },
  retryAfter: [503],
};

/** `GET /v1/reports/a`: the range of fiscal numbers. */
export const ARTICLES_RANGE: FaultGroup = {
  reasons: {
    404: "no invoice since the last A report, or `to` is past the device's last fiscal number (RECORD_NOT_FOUND)",
    422: "a query parameter is unknown or invalid, or `from` is after `to`; `issues` lists each",
  },
};

/** `GET /v1/reports/z/{number}`: the router's URL checks and the lookup. */
export const Z_NUMBER_PARAM: FaultGroup = {
  reasons: {
    400: "the URL cannot be decoded (malformed percent-encoding)",
    404: "the daemon stores no Z report of this number (RECORD_NOT_FOUND)",
    414: "a path segment is over 400 characters",
    422: "`number` is not a Z number (a positive decimal integer); `issues` says why",
  },
};

type ErrorResponseSchema = ReturnType<typeof errorResponseSchema> & { headers?: ResponseHeaders };

/** The error response schemas of a route that meets `groups`, by status. */
export function errorResponses(...groups: readonly FaultGroup[]): Record<number, ErrorResponseSchema> {
  const reasons = new Map<number, string[]>();
  const retryAfter = new Set<number>();
  const replayed = new Set<number>();
  for (const group of groups) {
    for (const [status, reason] of Object.entries(group.reasons)) {
      const list = reasons.get(Number(status)) ?? [];
      if (!list.includes(reason)) list.push(reason);
      reasons.set(Number(status), list);
    }
    for (const status of group.retryAfter ?? []) retryAfter.add(status);
    for (const status of group.replayed ?? []) replayed.add(status);
  }
  const out: Record<number, ErrorResponseSchema> = {};
  for (const status of [...reasons.keys()].sort((a, b) => a - b)) {
    const schema = errorResponseSchema(reasons.get(status)!.join("; "));
    const headers: ResponseHeaders = {
      ...(retryAfter.has(status) ? RETRY_AFTER_HEADER : {}),
      ...(replayed.has(status) ? REPLAYED_HEADERS : {}),
    };
    out[status] = Object.keys(headers).length > 0 ? withHeaders(schema, headers) : schema;
  }
  return out;
}
