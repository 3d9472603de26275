/**
 * Every failure the API answers becomes ONE shape, `{ error: { code, name, message, issues? } }`, with
 * a code from the shared table (protocol/errors.ts) and, normally, that table's HTTP status. The few
 * framework faults the table has no row for (a body that is not JSON, a wrong media type) get the
 * closest code and the HTTP status the transport fault calls for; docs/API.md lists them.
 */
import type { FastifyError } from "fastify";
import { DEFAULT_LANG, type Lang, t } from "../../protocol/i18n/index.js";
import {
  ERRORS,
  type ErrorName,
  errorNameOf,
  type FieldIssue,
  FiscalError,
  isFiscalError,
} from "../../protocol/index.js";
import type { ErrorResponse } from "./schemas.js";

/** Retry-After, in seconds, per retryable error; a POS waits this long before the same request again. */
export const RETRY_AFTER_SECONDS: Readonly<Partial<Record<ErrorName, number>>> = {
  DEVICE_BUSY: 1,
  DEVICE_QUEUE_FULL: 2,
  REQUEST_IN_PROGRESS: 1,
  PENDING_LIMIT: 5,
  DEVICE_UNAVAILABLE: 5,
  DEVICE_LOCKED: 30,
  CLOCK_INVALID: 30,
  DEVICE_UNTRUSTED: 30,
  SFE_NOT_CONFIGURED: 30,
  SELF_TEST_FAILED: 60,
  DAY_NOT_CLOSED: 60,
};
/** Retry-After, in seconds, for any other 503. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
/** Longest Retry-After the service may ask for through `details.retryAfterSeconds`, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * Most field issues one error response lists. A body of thousands of unknown fields is still answered
 * 422 with its first issues; the message counts them all (docs/API.md §8).
 */
export const MAX_REPORTED_ISSUES = 100;

/** Code of the parse error of a JSON body that is not valid UTF-8 (answered like any non-JSON body). */
export const BODY_NOT_UTF8 = "STALELA_ERR_BODY_NOT_UTF8";

/** The error the body parser reports for a body that is not valid UTF-8. */
export function bodyNotUtf8Error(): Error & { code: string } {
  return Object.assign(new Error("the body is not valid UTF-8"), { code: BODY_NOT_UTF8 });
}

/** A failure ready to answer: the coded error, the HTTP status, and whether it is our bug. */
export interface ApiFailure {
  readonly error: FiscalError;
  readonly status: number;
  /** True for an unexpected exception: logged with its stack, answered without details. */
  readonly internal: boolean;
  /** The original exception, for the log. */
  readonly cause: unknown;
}

/** Message of every unexpected failure; the details stay in the daemon's log under the request id. */
export const INTERNAL_MESSAGE = "internal error; the daemon log has the details under this request's id";

function failure(error: FiscalError, status = error.httpStatus, cause: unknown = error): ApiFailure {
  return { error, status, internal: false, cause };
}

function bodyIssue(name: ErrorName, message: string): FieldIssue {
  return { path: "/", code: ERRORS[name].code, message };
}

function fastifyCode(err: unknown): string | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

function fastifyStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const status = (err as Partial<FastifyError>).statusCode;
  return typeof status === "number" ? status : undefined;
}

/**
 * Classifies anything thrown while serving a request. FiscalErrors keep their code and table status;
 * fastify's own client faults are mapped below; anything else is internal: 500, code
 * STORAGE_FAILURE (400), the table's one generic server fault, with a message that says nothing
 * about the cause (docs/API.md §Errors explains the choice).
 */
export function toApiFailure(err: unknown): ApiFailure {
  if (isFiscalError(err)) return failure(err);
  const code = fastifyCode(err);
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return failure(
        new FiscalError("INVOICE_TOO_LARGE", "the request body exceeds the size limit"),
        413,
        err,
      );
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return bodyFault(
        "the body is not valid JSON, or it carries a forbidden __proto__ / constructor.prototype key",
        err,
      );
    case BODY_NOT_UTF8:
      return bodyFault("the body is not valid UTF-8", err);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return bodyFault("the body is empty", err);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return bodyFault("Content-Length does not match the body", err);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
      const message = "the body must be application/json";
      return failure(
        new FiscalError("FIELD_TYPE", message, { issues: [bodyIssue("FIELD_TYPE", message)] }),
        415,
        err,
      );
    }
  }
  const status = fastifyStatus(err);
  if (status !== undefined && status >= 400 && status < 500) {
    // Another malformed request fastify refused (bad URL encoding, an over-long parameter…).
    return failure(new FiscalError("MESSAGE_INVALID", "the request is malformed"), status, err);
  }
  return {
    error: new FiscalError("STORAGE_FAILURE", INTERNAL_MESSAGE),
    status: 500,
    internal: true,
    cause: err,
  };
}

function bodyFault(message: string, cause: unknown): ApiFailure {
  return failure(
    new FiscalError("FIELD_TYPE", message, { issues: [bodyIssue("FIELD_TYPE", message)] }),
    400,
    cause,
  );
}

/** The reader's text of an error code: the catalogue's, in `lang` (the code's name for an unknown code). */
function messageOf(lang: Lang, code: number): string {
  const name = errorNameOf(code);
  return name === undefined ? `E${code}` : t(lang, `error.${name}`);
}

/**
 * The JSON body of a failure (docs/API.md §8). `message` is the code's text from the catalogue, in
 * the reader's language (Accept-Language, French by default), the same for every occurrence of the
 * code; `detail` is what this occurrence adds (the field, the value, the device's words), in English
 * for the developer and the log, present when there is more to say than the code's table text.
 * Issues appear only when the error carries some, at most MAX_REPORTED_ISSUES of them, each with
 * exactly its documented fields.
 */
export function errorBody(error: FiscalError, lang: Lang = DEFAULT_LANG): ErrorResponse {
  const issues = error.details?.issues?.slice(0, MAX_REPORTED_ISSUES);
  return {
    error: {
      code: error.code,
      name: error.errorName,
      message: messageOf(lang, error.code),
      ...(error.text === ERRORS[error.errorName].text ? {} : { detail: error.text }),
      ...(issues && issues.length > 0
        ? {
            issues: issues.map(({ path, code, message }) => ({
              path,
              code,
              message: messageOf(lang, code),
              detail: message,
            })),
          }
        : {}),
    },
  };
}

/**
 * Seconds a client should wait before retrying, or undefined when a retry cannot help. Every 503
 * gets one, and so does REQUEST_IN_PROGRESS (the first request is still running). The service may
 * name a better value in `details.retryAfterSeconds` (e.g. the time until a busy device is free).
 */
export function retryAfterSeconds(failure: ApiFailure): number | undefined {
  const { error, status } = failure;
  const fromTable = RETRY_AFTER_SECONDS[error.errorName];
  if (status !== 503 && fromTable === undefined) return undefined;
  const hinted = error.details?.retryAfterSeconds;
  if (typeof hinted === "number" && Number.isFinite(hinted) && hinted >= 0) {
    return Math.min(Math.ceil(hinted), MAX_RETRY_AFTER_SECONDS);
  }
  return fromTable ?? DEFAULT_RETRY_AFTER_SECONDS;
}
