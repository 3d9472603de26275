/**
 * The one error table of the Stalela fiscal service.
 *
 * Codes are stable and grouped by hundreds: device 1xx, protocol 2xx, validation 3xx, storage 4xx,
 * cloud 5xx, auth 6xx. The same number travels on the DEF wire, in the daemon's HTTP API, in logs and
 * in the CLI, so a POS vendor or a technician can look any failure up in one place (docs/PROTOCOL.md
 * §Error codes). Never renumber a code: add new ones.
 */

/** One row of the table: the HTTP status the daemon answers with, and the default text. */
export interface ErrorSpec {
  readonly code: number;
  readonly http: number;
  readonly text: string;
}

function row(code: number, http: number, text: string): ErrorSpec {
  return { code, http, text };
}

/** Every error the system can report, by stable name. */
export const ERRORS = {
  // Device 1xx: the DEF's state or its refusal of a fiscal command.
  DEVICE_UNAVAILABLE: row(100, 503, "the fiscal device is not connected"),
  DEVICE_BUSY: row(101, 503, "the fiscal device is busy, retry later"),
  DEVICE_NOT_ACTIVATED: row(102, 409, "the fiscal device is not activated"),
  DEVICE_ALREADY_ACTIVATED: row(103, 409, "the fiscal device is already activated"),
  DEVICE_LOCKED: row(104, 503, "the fiscal device is locked"),
  JOURNAL_FULL: row(105, 507, "the fiscal journal is full"),
  CLOCK_INVALID: row(106, 503, "the device clock is not valid"),
  TIME_SET_REFUSED: row(107, 409, "the device refused the new time"),
  SELF_TEST_FAILED: row(108, 503, "the device self-test failed"),
  DEVICE_TIMEOUT: row(109, 504, "the fiscal device did not answer in time"),
  PENDING_LIMIT: row(110, 503, "too many prepared invoices are pending on the device"),
  NONCE_UNKNOWN: row(111, 409, "the commit nonce is unknown or already used"),
  NONCE_EXPIRED: row(112, 409, "the commit nonce has expired"),
  NONCE_MISMATCH: row(113, 409, "the commit nonce is bound to another payload"),
  ALREADY_FISCALIZED: row(114, 409, "this invoice payload is already fiscalised"),
  RECORD_NOT_FOUND: row(115, 404, "no fiscal record matches"),
  ACTIVATION_BAD_SIGNATURE: row(116, 422, "the activation bundle signature is not valid"),
  ACTIVATION_WRONG_DEVICE: row(117, 422, "the activation bundle is for another device"),
  ACTIVATION_INVALID: row(118, 422, "the activation bundle is malformed"),
  DEVICE_QUEUE_FULL: row(119, 503, "too many requests are waiting for the device"),
  DEVICE_IDENTITY_MISMATCH: row(120, 409, "the connected device is not the one this service is bound to"),
  DEVICE_UNTRUSTED: row(
    121,
    503,
    "the connected device is not trusted: its activation does not chain to the pinned cloud root key, names another merchant or outlet, or it is an emulator",
  ),
  REPORT_NUMBER_MISMATCH: row(
    122,
    409,
    "the device's next Z number is not the one asked for: that day may already be closed",
  ),
  // Protocol 2xx: framing and message-level faults on the wire.
  FRAME_CRC: row(200, 502, "frame check failed"),
  FRAME_TOO_LARGE: row(201, 413, "frame exceeds the maximum size"),
  FRAME_VERSION: row(202, 502, "unsupported frame version"),
  FRAME_TYPE: row(203, 502, "unexpected frame type"),
  CBOR_INVALID: row(210, 400, "payload is not valid CBOR"),
  CBOR_NOT_CANONICAL: row(211, 400, "payload is not in canonical (deterministic) CBOR"),
  MESSAGE_INVALID: row(212, 400, "message does not match the catalogue"),
  UNKNOWN_COMMAND: row(213, 400, "unknown command"),
  SIGNATURE_INVALID: row(215, 422, "a signature does not verify"),
  HID_REASSEMBLY: row(220, 502, "USB-HID report reassembly failed"),
  // Validation 3xx: the invoice or a request's fields. Field issues carry a JSON-pointer path.
  INVOICE_INVALID: row(300, 422, "the invoice is not valid"),
  FIELD_REQUIRED: row(301, 422, "a required field is missing"),
  FIELD_TYPE: row(302, 422, "a field has the wrong type or format"),
  FIELD_RANGE: row(303, 422, "a field is out of its allowed range"),
  FIELD_UNKNOWN: row(304, 422, "an unknown field was sent"),
  TAX_GROUP_UNKNOWN: row(305, 422, "unknown tax group"),
  TAX_GROUP_NOT_ALLOWED: row(306, 422, "tax group not allowed for this invoice type"),
  TOTALS_MISMATCH: row(307, 422, "the totals do not add up"),
  PAYMENTS_MISMATCH: row(308, 422, "the payments do not add up to the total"),
  REFERENCE_REQUIRED: row(309, 422, "a credit note must reference its original invoice"),
  REFERENCE_FORBIDDEN: row(310, 422, "only credit notes carry a reference"),
  REFERENCE_TYPE_MISMATCH: row(311, 422, "the referenced original has the wrong invoice type"),
  REFERENCE_NOT_FOUND: row(312, 422, "the referenced original invoice is unknown"),
  CREDIT_EXCEEDS_ORIGINAL: row(313, 422, "the credit exceeds what remains of the original invoice"),
  CURRENCY_UNSUPPORTED: row(314, 422, "unsupported currency"),
  QUANTITY_PRECISION: row(315, 422, "quantity has more than 3 decimals"),
  INVOICE_TOO_LARGE: row(316, 413, "the invoice is too large"),
  VOID_NOT_FULL: row(317, 422, "a void must reverse the whole remaining original"),
  CURRENCY_MISMATCH: row(318, 422, "the credit note's currency differs from the original's"),
  IDEMPOTENCY_CONFLICT: row(319, 409, "this Idempotency-Key was used with a different request"),
  IDEMPOTENCY_KEY_REQUIRED: row(320, 400, "the Idempotency-Key header is required"),
  REQUEST_IN_PROGRESS: row(321, 409, "a request with this Idempotency-Key is still in progress"),
  INVALID_STATE: row(322, 409, "the invoice is not in a state that allows this"),
  USAGE: row(323, 400, "the command line is not valid: an unknown option, a missing argument or a bad value"),
  ABORTED_BY_POS: row(324, 409, "the POS aborted this prepared invoice; nothing was sealed"),
  INTERRUPTED: row(
    325,
    503,
    "the request was interrupted before the device sealed it (a restart, a lost link or its time bound); nothing was sealed",
  ),
  CONFIG_INSECURE: row(
    326,
    422,
    "the configuration is unsafe: a plain-http or unauthenticated cloud, a non-loopback listen, or emulation outside development mode",
  ),
  AMOUNT_NOT_POSITIVE: row(327, 422, "an invoice or a line has a zero or negative amount (SFE EG1.21–1.22)"),
  CLIENT_FIELDS_MISSING: row(328, 422, "the client type requires fields that are missing (SFE Annex I)"),
  ITEM_TYPE_NOT_ALLOWED: row(329, 422, "the item type is not allowed in this tax group (SFE Annex II)"),
  CREDIT_ITEM_NOT_ON_ORIGINAL: row(
    330,
    422,
    "a credit note item is not on the original invoice (SFE EG1.26)",
  ),
  CREDIT_QUANTITY_EXCEEDED: row(
    331,
    422,
    "a credit note item's quantity exceeds what remains of the quantity sold (SFE EG1.26)",
  ),
  CREDIT_PRICE_MISMATCH: row(
    332,
    422,
    "a credit note item's unit price or price mode differs from the original's (SFE EG1.26)",
  ),
  FX_RATE_OUT_OF_RANGE: row(
    333,
    422,
    "the exchange rate is more than the allowed tolerance from the reference rate (SFE EG1.30)",
  ),
  FX_REFERENCE_MISSING: row(334, 422, "no reference exchange rate is configured for this currency"),
  SELLER_MISMATCH: row(335, 422, "the invoice's seller is not the merchant this device is activated for"),
  DAY_NOT_CLOSED: row(
    337,
    503,
    "the fiscal day is not closed long after its closing time: make the Z report first",
  ),
  SFE_NOT_CONFIGURED: row(
    336,
    503,
    "the SFE identity is not configured (ISF, merchant name and address): nothing can be sealed",
  ),
  // Storage 4xx: the device's fiscal memory or the daemon's store.
  STORAGE_FAILURE: row(400, 500, "fiscal storage failed"),
  JOURNAL_CORRUPT: row(401, 500, "the fiscal journal is corrupt"),
  // 41x: what a process holds for its lifetime and another process already holds (it refuses to start).
  STATE_LOCKED: row(410, 409, "the state directory is in use by another process"),
  ADDRESS_IN_USE: row(411, 409, "the network address is already in use"),
  LINK_PATH_IN_USE: row(412, 409, "the device link path is served by another emulator"),
  // Cloud 5xx: the Stalela Cloud link.
  CLOUD_UNREACHABLE: row(500, 502, "the Stalela Cloud is unreachable"),
  CLOUD_REJECTED: row(501, 502, "the Stalela Cloud rejected the request"),
  ACTIVATION_CODE_UNKNOWN: row(502, 422, "the activation code is unknown"),
  ACTIVATION_CODE_USED: row(503, 409, "the activation code has already been used"),
  CLOUD_NOT_ACTIVATED: row(504, 409, "the daemon has no cloud credential: activate the device first"),
  CLOUD_NOT_CONFIGURED: row(505, 503, "no Stalela Cloud URL is configured: nothing is uploaded"),
  CLOUD_REPLY_INVALID: row(506, 502, "the Stalela Cloud's reply does not match the contract"),
  CLOUD_ACK_MISMATCH: row(507, 502, "a cloud ack does not match a record the daemon sent"),
  // Auth 6xx: who may call.
  AUTH_MISSING: row(600, 401, "authentication is required"),
  AUTH_INVALID: row(601, 401, "the credential is not valid"),
  AUTH_REVOKED: row(602, 401, "the credential has been revoked"),
  HOST_REJECTED: row(603, 421, "the Host header is not allowed"),
  CLOUD_CREDENTIAL_INVALID: row(604, 401, "the Stalela Cloud refused the daemon's credential"),
} as const;

/** The stable name of an error, e.g. `NONCE_EXPIRED`. */
export type ErrorName = keyof typeof ERRORS;

/**
 * Refusals that a later attempt with the same request may overcome: a condition of the device, its link
 * or the daemon that clears by itself or with a technician, never a fault of the request. Every other
 * refusal is final: the same request can never succeed (a message the device cannot read, CBOR_* /
 * MESSAGE_INVALID / UNKNOWN_COMMAND, is read the same way every time: frame damage is FRAME_CRC). The fiscal service binds only final refusals
 * to an Idempotency-Key (docs/API.md §8); the error table in docs/PROTOCOL.md §6 shows the class.
 */
export const RETRYABLE_ERRORS: ReadonlySet<ErrorName> = new Set<ErrorName>([
  "DEVICE_UNAVAILABLE",
  "DEVICE_BUSY",
  "DEVICE_NOT_ACTIVATED",
  "DEVICE_LOCKED",
  "JOURNAL_FULL",
  "CLOCK_INVALID",
  "SELF_TEST_FAILED",
  "DEVICE_TIMEOUT",
  "PENDING_LIMIT",
  "DEVICE_QUEUE_FULL",
  "DEVICE_IDENTITY_MISMATCH",
  "DEVICE_UNTRUSTED",
  "SFE_NOT_CONFIGURED",
  "DAY_NOT_CLOSED",
  "FRAME_CRC",
  "FRAME_VERSION",
  "FRAME_TYPE",
  "HID_REASSEMBLY",
  "REQUEST_IN_PROGRESS",
  "INTERRUPTED",
  "STORAGE_FAILURE",
  "STATE_LOCKED",
  "CLOUD_UNREACHABLE",
]);

/** True when a later attempt of the same request may succeed (RETRYABLE_ERRORS). */
export function isRetryable(name: ErrorName): boolean {
  return RETRYABLE_ERRORS.has(name);
}

const BY_CODE: ReadonlyMap<number, ErrorName> = new Map(
  (Object.keys(ERRORS) as ErrorName[]).map((name) => [ERRORS[name].code, name]),
);

/** Looks an error name up by its numeric code; undefined for a code not in the table. */
export function errorNameOf(code: number): ErrorName | undefined {
  return BY_CODE.get(code);
}

/** One problem with one field of a request, located by a JSON pointer (RFC 6901). */
export interface FieldIssue {
  readonly path: string;
  readonly code: number;
  readonly message: string;
}

/** Context an error may carry: field issues for validation, anything else for logs. */
export interface ErrorDetails {
  readonly issues?: readonly FieldIssue[];
  readonly [key: string]: unknown;
}

/**
 * The one error type. The code appears in the message (`E113 NONCE_MISMATCH: …`) so a log line or a
 * CLI message is searchable without its structured fields.
 */
export class FiscalError extends Error {
  override readonly name = "FiscalError";
  readonly code: number;
  readonly errorName: ErrorName;
  readonly details: ErrorDetails | undefined;

  constructor(name: ErrorName, message?: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    const spec = ERRORS[name];
    super(`E${spec.code} ${name}: ${message ?? spec.text}`, options);
    this.code = spec.code;
    this.errorName = name;
    this.details = details;
  }

  /** The HTTP status this error maps to in the daemon's API. */
  get httpStatus(): number {
    return ERRORS[this.errorName].http;
  }

  /** The human message without the `E113 NAME:` prefix. */
  get text(): string {
    return this.message.slice(this.message.indexOf(": ") + 2);
  }
}

/** True for any FiscalError; with `name`, only for that error. */
export function isFiscalError(value: unknown, name?: ErrorName): value is FiscalError {
  return value instanceof FiscalError && (name === undefined || value.errorName === name);
}

/** The group an error code belongs to, by its hundreds. */
export type ErrorGroup = "device" | "protocol" | "validation" | "storage" | "cloud" | "auth" | "unknown";

/** Classifies a code into its group (1xx device … 6xx auth). */
export function errorGroupOf(code: number): ErrorGroup {
  const groups: readonly ErrorGroup[] = [
    "unknown",
    "device",
    "protocol",
    "validation",
    "storage",
    "cloud",
    "auth",
  ];
  return groups[Math.floor(code / 100)] ?? "unknown";
}

/**
 * Rebuilds a FiscalError from a wire error `{ code, message, issues? }`. An unknown code (a newer
 * device) is kept as MESSAGE_INVALID rather than guessed at, with the original code in details.
 */
export function fiscalErrorFromWire(
  code: number,
  message: string,
  issues?: readonly FieldIssue[],
): FiscalError {
  const name = errorNameOf(code);
  if (name === undefined) {
    return new FiscalError("MESSAGE_INVALID", `device reported unknown error code ${code}: ${message}`, {
      deviceCode: code,
    });
  }
  return new FiscalError(name, message, issues ? { issues } : undefined);
}
