/**
 * The typebox schemas of the POS HTTP API. Routes validate and serialise with them, and
 * @fastify/swagger turns the very same objects into /openapi.json, so the document cannot drift from
 * what the server does. The invoice body is the protocol's own `PosInvoiceV2Schema`, never a copy. The
 * fiscal reports' schemas are in ./report-schemas.ts.
 */

import Type, { type Static } from "typebox";
import { LANGS } from "../../protocol/i18n/index.js";
import {
  CanonicalInvoiceSchema,
  CanonicalInvoiceV2Schema,
  INVOICE_TYPES_V2,
  PosInvoiceV2Schema,
  REF_PATTERN,
  TotalsSchema,
  TotalsV2Schema,
} from "../../protocol/index.js";
import type { InvoicePage, InvoiceView, StatusReport } from "../fiscal/types.js";
import { INVOICE_STATES, SYNC_STATUSES } from "../fiscal/types.js";
import { RECEIPT_WIDTHS } from "../receipt/lines.js";
import { QR_SVG_SIZE } from "../receipt/qr.js";
import { RECEIPT_FORMATS } from "../receipt/receipts.js";

/** Default page size of `GET /v1/invoices`. */
export const DEFAULT_LIST_LIMIT = 50;
/** Largest page size of `GET /v1/invoices`. */
export const MAX_LIST_LIMIT = 200;
/** Longest cursor accepted back from a client, in characters (ours are far shorter). */
export const MAX_CURSOR_CHARS = 512;

/**
 * An Idempotency-Key: the protocol's reference pattern, because the key becomes the invoice's
 * `client_ref` when the POS sends none (docs/PROTOCOL.md §7.1).
 */
export const IDEMPOTENCY_KEY_PATTERN = REF_PATTERN;

/**
 * What `{id}` in a path may be: an invoice id or an Idempotency-Key. Same alphabet as the key, a little
 * longer so the service is free in how it forms ids.
 */
export const ID_OR_KEY_PATTERN = "^[A-Za-z0-9._:/#@+=-]{1,128}$";

/**
 * `schema` or null, as a JSON Schema type list (`"type": ["object", "null"]`) rather than an anyOf: the
 * response serialiser (fast-json-stringify) writes a type list by looking at the value, where an
 * anyOf needs a validator run per response and turns a value that fails it into a 500.
 */
export function Nullable<T extends Type.TSchema & { type: string }>(
  schema: T,
): Type.TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, "null"] });
}
const Timestamp = Type.String({ description: "ISO 8601 UTC" });

/** The invoice a POS sends: exactly the protocol's schema (canonical invoice version 2). */
export const InvoiceBodySchema = PosInvoiceV2Schema;

/**
 * One of two versions of a value, told apart by `when` (a JSON Schema the newer version matches), as
 * `if/then/else` rather than an anyOf: the serialiser runs only the small `if` check and then writes
 * the branch's fields, so a field outside the schema is dropped, never turned into a 500 (an anyOf
 * needs the whole value to validate against a branch).
 */
function ByVersion<V2 extends Type.TSchema, V1 extends Type.TSchema>(
  when: Record<string, unknown>,
  v2: V2,
  v1: V1,
): Type.TUnsafe<Static<V2> | Static<V1>> {
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a thenable.
  return Type.Unsafe<Static<V2> | Static<V1>>({ if: when, then: v2, else: v1 });
}

/** Totals of a version-2 invoice, or of a version-1 invoice sealed before. */
const AnyTotalsSchema = ByVersion({ required: ["specific_tax_total"] }, TotalsV2Schema, TotalsSchema);

/** Headers of the create calls (`POST /v1/invoices`, `POST /v1/invoices/prepare`). */
export const CreateHeadersSchema = Type.Object({
  "idempotency-key": Type.String({
    pattern: IDEMPOTENCY_KEY_PATTERN,
    description:
      "Chosen by the POS, unique per invoice; a retry with the same key and body returns the original result.",
  }),
});

/** `{id}`: an invoice id or the Idempotency-Key it was created with (percent-encode `/` and `#`). */
export const IdParamsSchema = Type.Object(
  { id: Type.String({ pattern: ID_OR_KEY_PATTERN, description: "invoice id or Idempotency-Key" }) },
  { additionalProperties: false },
);

/** Filters and paging of `GET /v1/invoices`. */
export const ListQuerySchema = Type.Object(
  {
    state: Type.Optional(Type.Enum([...INVOICE_STATES])),
    type: Type.Optional(Type.Enum([...INVOICE_TYPES_V2])),
    cashier_id: Type.Optional(Type.String({ pattern: REF_PATTERN })),
    from: Type.Optional(
      Type.String({ format: "date-time", description: "created at or after (ISO 8601, inclusive)" }),
    ),
    to: Type.Optional(
      Type.String({ format: "date-time", description: "created before (ISO 8601, exclusive)" }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_CURSOR_CHARS,
        description: "next_cursor of the previous page",
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST_LIMIT, default: DEFAULT_LIST_LIMIT })),
  },
  { additionalProperties: false },
);

const FieldIssueSchema = Type.Object(
  {
    path: Type.String({ description: "JSON pointer (RFC 6901) to the field" }),
    code: Type.Integer(),
    message: Type.String({ description: "the issue code's text, in the Accept-Language language" }),
    detail: Type.String({ description: "what is wrong with this field, in English" }),
  },
  { additionalProperties: false },
);

/** Response headers, as @fastify/swagger documents them (name → schema with a description). */
export type ResponseHeaders = Readonly<Record<string, { type: string; description: string }>>;

/** Retry-After on a retryable error (docs/API.md §Retrying). */
export const RETRY_AFTER_HEADER: ResponseHeaders = {
  "retry-after": { type: "integer", description: "seconds to wait before retrying the same request" },
};

/** Idempotent-Replayed on a create that repeats an earlier one. */
export const REPLAYED_HEADERS: ResponseHeaders = {
  "idempotent-replayed": {
    type: "string",
    description: "`true` when this is the stored result of an earlier request with the same Idempotency-Key",
  },
};

/**
 * `schema` with documented response headers. Only the OpenAPI document reads `headers`; the
 * serialiser ignores the keyword.
 */
export function withHeaders<T extends object>(
  schema: T,
  headers: ResponseHeaders,
): T & { headers: ResponseHeaders } {
  return { ...schema, headers };
}

/** The one error shape of the API (docs/API.md §Errors); `description` names the case in OpenAPI. */
export function errorResponseSchema(description: string) {
  return Type.Object(
    {
      error: Type.Object(
        {
          code: Type.Integer({ description: "stable code from the shared table (protocol/errors.ts)" }),
          name: Type.String({ description: "stable name, e.g. DEVICE_BUSY" }),
          message: Type.String({
            description: "the code's text, in the language Accept-Language asks for (fr by default, or en)",
          }),
          detail: Type.Optional(
            Type.String({ description: "what this occurrence adds (field, value, cause), in English" }),
          ),
          issues: Type.Optional(Type.Array(FieldIssueSchema)),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false, description },
  );
}

/** The error shape, described generically. */
export const ErrorResponseSchema = errorResponseSchema("error");
export type ErrorResponse = Static<typeof ErrorResponseSchema>;

const FiscalResponseSchema = Type.Object(
  {
    fiscal_number: Type.Integer(),
    type_number: Type.Integer(),
    device_id: Type.String(),
    auth_code: Type.String(),
    timestamp: Type.String({ description: "device time of sealing, ISO 8601 UTC with milliseconds" }),
    qr: Type.String({ description: "QR payload, RDCDEF01;… (docs/PROTOCOL.md §8.4)" }),
    v: Type.Union([Type.Literal(1), Type.Literal(2)], { description: "the record's version" }),
    invoice_type: Type.Enum([...INVOICE_TYPES_V2]),
    dgi_type: Nullable(Type.String({ description: "DGI type code FV FT FA EV ET EA; null on v1" })),
    fiscal_year: Nullable(Type.Integer({ description: "fiscal year (SFE §1.2 k); null on v1" })),
    year_number: Nullable(Type.Integer({ description: "number within the fiscal year; null on v1" })),
    isf: Nullable(Type.String({ description: "the SFE identifier (ISF); null on v1" })),
    rn: Nullable(Type.String({ description: "the POS's own invoice number; null on v1" })),
    totals: AnyTotalsSchema,
    merchant_nif: Type.String(),
    outlet_id: Type.String(),
    fiscal_authority_id: Type.String(),
    cashier_id: Type.String(),
    client_ref: Type.String(),
    signature: Type.String({ description: "base64url Ed25519 signature over `record`" }),
    record: Type.String({ description: "base64url of the signed record (canonical CBOR)" }),
    record_hash: Type.String({ description: "hex SHA-256 of the record" }),
  },
  { additionalProperties: false },
);

const TransitionSchema = Type.Object(
  { state: Type.Enum([...INVOICE_STATES]), at: Timestamp, note: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

const InvoiceErrorSchema = Type.Object(
  { code: Type.Integer(), name: Type.String(), message: Type.String() },
  { additionalProperties: false },
);

/** An invoice as the API shows it (daemon/fiscal/types.ts `InvoiceView`). */
export const InvoiceViewSchema = Type.Object(
  {
    id: Type.String(),
    idempotency_key: Nullable(Type.String()),
    client_ref: Type.String(),
    type: Type.Enum([...INVOICE_TYPES_V2]),
    state: Type.Enum([...INVOICE_STATES]),
    api_key_id: Nullable(Type.String()),
    cashier_id: Type.String(),
    currency: Type.String(),
    totals: AnyTotalsSchema,
    payload_hash: Type.String({ description: "hex SHA-256 of the canonical invoice" }),
    created_at: Timestamp,
    transitions: Type.Array(TransitionSchema),
    commit_before: Nullable(Type.String({ description: "two-step mode: the nonce expires at" })),
    fiscal: Nullable(FiscalResponseSchema),
    error: Nullable(InvoiceErrorSchema),
    sync: Type.Object(
      {
        status: Type.Enum([...SYNC_STATUSES]),
        dgi_status: Nullable(Type.String()),
        attempts: Type.Integer(),
        last_error: Nullable(Type.String()),
      },
      { additionalProperties: false },
    ),
    receipts: Type.Object(
      {
        printed: Type.Integer({ minimum: 0, description: "copies printed, the original included" }),
        duplicates: Type.Integer({ minimum: 0, description: "copies after the first, each a DUPLICATA" }),
        last_printed_at: Nullable(Timestamp),
      },
      { additionalProperties: false, description: "printed receipts (docs/RECEIPTS.md §3)" },
    ),
    invoice: ByVersion(
      { type: "object", properties: { v: { const: 2 } }, required: ["v"] },
      CanonicalInvoiceV2Schema,
      ByVersion({ type: "null" }, Type.Null(), CanonicalInvoiceSchema),
    ),
  },
  { additionalProperties: false, description: "the invoice" },
);

/** One page of `GET /v1/invoices`. */
export const InvoicePageSchema = Type.Object(
  { items: Type.Array(InvoiceViewSchema), next_cursor: Nullable(Type.String()) },
  { additionalProperties: false, description: "one page, newest first" },
);

const SeveritySchema = Type.Enum(["info", "warning", "error"]);

/** `GET /v1/status` (daemon/fiscal/types.ts `StatusReport`). */
export const StatusReportSchema = Type.Object(
  {
    status: Type.Enum(["ok", "info", "warning", "error"]),
    version: Type.String(),
    started_at: Timestamp,
    device: Type.Object(
      {
        connected: Type.Boolean(),
        device_id: Nullable(Type.String()),
        state: Nullable(Type.String()),
        last_fiscal_number: Nullable(Type.Integer()),
        journal_used: Nullable(Type.Integer()),
        journal_capacity: Nullable(Type.Integer()),
      },
      { additionalProperties: false },
    ),
    conditions: Type.Array(
      Type.Object(
        {
          code: Type.String({ description: "stable, e.g. DEVICE_MISSING (docs/API.md §9)" }),
          severity: SeveritySchema,
          message: Type.String({
            description: "what is wrong, in the Accept-Language language (fr by default)",
          }),
          hint: Type.String({ description: "what to do about it, in the same language" }),
          since: Timestamp,
        },
        { additionalProperties: false },
      ),
    ),
    counters: Type.Record(Type.String(), Type.Number()),
    link: Type.Record(Type.String(), Type.Number()),
    last_reconcile: Nullable(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, description: "service status" },
);

/** `GET /v1/health`. */
export const HealthSchema = Type.Object(
  { status: Type.Literal("ok"), version: Type.String() },
  { additionalProperties: false, description: "the process is alive" },
);

/** The QR code of a sealed invoice. */
export const QrSvgSchema = Type.String({ description: "SVG image of the receipt's QR code" });

// Compile-time proof that the schemas describe exactly the service's types: a field added to
// daemon/fiscal/types.ts without its schema (or the reverse) fails the typecheck here.
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Extends<A, B> = [A] extends [B] ? true : false;
export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;
const schemaMatchesTypes: [
  Same<Mutable<Static<typeof InvoiceViewSchema>>, Mutable<InvoiceView>>,
  Same<Mutable<Static<typeof InvoicePageSchema>>, Mutable<InvoicePage>>,
  Same<Mutable<Static<typeof StatusReportSchema>>, Mutable<StatusReport>>,
] = [true, true, true];
void schemaMatchesTypes;

/** The wire type of an invoice view (the schema's static type: mutable arrays). */
export type InvoiceViewBody = Static<typeof InvoiceViewSchema>;
/** The wire type of a page. */
export type InvoicePageBody = Static<typeof InvoicePageSchema>;
/** The wire type of the status report. */
export type StatusReportBody = Static<typeof StatusReportSchema>;

// The service's types are readonly; the schema's static types are not. The proof above shows they
// are otherwise identical, so these are the only casts the routes need.
/** An InvoiceView as its response body type. */
export const invoiceBody = (view: InvoiceView): InvoiceViewBody => view as InvoiceViewBody;
/** An InvoicePage as its response body type. */
export const pageBody = (page: InvoicePage): InvoicePageBody => page as InvoicePageBody;
/** A StatusReport as its response body type. */
export const statusBody = (report: StatusReport): StatusReportBody => report as StatusReportBody;

/** `GET /v1/invoices/{id}/qr.svg`'s query. */
export const QrQuerySchema = Type.Object(
  {
    size: Type.Optional(
      Type.Integer({
        minimum: QR_SVG_SIZE.min,
        maximum: QR_SVG_SIZE.max,
        default: QR_SVG_SIZE.default,
        description: "width and height of the image, in CSS pixels",
      }),
    ),
  },
  { additionalProperties: false },
);

/** `GET /v1/invoices/{id}/receipt`'s query (docs/RECEIPTS.md). */
export const ReceiptQuerySchema = Type.Object(
  {
    format: Type.Optional(Type.Enum([...RECEIPT_FORMATS], { default: "text" })),
    width: Type.Optional(
      Type.Integer({
        enum: [...RECEIPT_WIDTHS],
        default: 48,
        description: "characters per line (text, escpos): 32 for 58 mm, 42 or 48 for 80 mm",
      }),
    ),
    lang: Type.Optional(Type.Enum([...LANGS], { description: "default: Accept-Language, else fr" })),
    preview: Type.Optional(
      Type.Boolean({
        default: false,
        description: "true: a screen preview marked as not a receipt, not counted; never print it",
      }),
    ),
  },
  { additionalProperties: false },
);
