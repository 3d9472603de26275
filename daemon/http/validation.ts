/**
 * Request validation with typebox instead of fastify's ajv, so that a failure comes out as the
 * protocol's FieldIssue list (JSON-pointer paths, codes 301–305/314) — for the invoice body, the very
 * list the fiscal service itself would report for the same input.
 */
import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import {
  canonicaliseInvoiceV2,
  ERRORS,
  type ErrorName,
  errorNameOf,
  type FieldIssue,
  FiscalError,
  isFiscalError,
  PosInvoiceV2Schema,
} from "../../protocol/index.js";
import { illFormedTextIssues, isWellFormedText } from "../../protocol/invoice/unicode.js";
import { compileChecker, type IssueChecker } from "../../protocol/schema-issues.js";
import { CreateHeadersSchema, IDEMPOTENCY_KEY_PATTERN } from "./schemas.js";
import { firstPerPath, splitUnknownFields } from "./unknown-fields.js";

/** Result of a fastify validator: pass (true), or a FiscalError the error handler answers with. */
type ValidationResult = true | { value: unknown } | { error: FiscalError };

/** The protocol's message for a list of issues: the first one, and how many more there are. */
function issuesMessage(issues: readonly FieldIssue[], fallback: string): string {
  const first = issues[0];
  if (first === undefined) return fallback;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return `${first.path} ${first.message}${more}`;
}

/** A context that only the shape check sees: a value reaching the business rules has passed it. */
const SHAPE_CHECK_CONTEXT = {
  cashierId: "SHAPE-CHECK",
  operatorName: "SHAPE-CHECK",
  defaultClientRef: "SHAPE-CHECK",
  isf: "SHAPE-CHECK",
  seller: { nif: "SHAPE-CHECK", name: "SHAPE-CHECK", address: "SHAPE-CHECK" },
} as const;

/** The issues `canonicaliseInvoiceV2` finds in `value`, or undefined when it finds none. */
function canonicalIssues(value: unknown): readonly FieldIssue[] | undefined {
  try {
    canonicaliseInvoiceV2(value, SHAPE_CHECK_CONTEXT);
  } catch (err) {
    if (isFiscalError(err, "INVOICE_INVALID")) return err.details?.issues;
  }
  return undefined;
}

/**
 * The invoice's shape failure, with the protocol's issue codes: ill-formed text (FIELD_TYPE, an
 * ill-formed key included), then the schema's issues of the invoice without its unknown fields, then
 * every unknown field (FIELD_UNKNOWN). `canonicaliseInvoiceV2` checks the shape first and throws
 * INVOICE_INVALID before any business rule when it is wrong, and it is the protocol's only public door
 * to its issue refinements (tax group → 305, currency → 314); calling it on a value the schema rejects
 * is therefore exactly "the service's shape issues", with no copy of the rules. The placeholder
 * context only matters past the shape check, which such a value never reaches.
 */
function invoiceShapeError(value: unknown, checker: IssueChecker): FiscalError {
  const unknown = splitUnknownFields(PosInvoiceV2Schema, value);
  const shape = checker.check(unknown.known)
    ? []
    : (canonicalIssues(unknown.known) ?? checker.issues(unknown.known));
  const issues = firstPerPath([...illFormedTextIssues(value), ...shape, ...unknown.issues]);
  return new FiscalError("INVOICE_INVALID", issuesMessage(issues, "the invoice does not match the schema"), {
    issues,
  });
}

function invoiceBodyValidator(): (value: unknown) => ValidationResult {
  const checker = compileChecker(PosInvoiceV2Schema);
  return (value) => {
    if (checker.check(value) && isWellFormedText(value)) return true;
    return { error: invoiceShapeError(value, checker) };
  };
}

/** Prefixes issue paths with the request part, e.g. `/limit` → `/query/limit`. */
function located(issues: readonly FieldIssue[], part: string): FieldIssue[] {
  return issues.map((issue) => ({ ...issue, path: `/${part}${issue.path === "/" ? "" : issue.path}` }));
}

function partError(issues: FieldIssue[], part: string): FiscalError {
  const first = issues[0];
  const name: ErrorName = (first && errorNameOf(first.code)) || "FIELD_TYPE";
  return new FiscalError(name, issuesMessage(issues, `the ${part} is not valid`), { issues });
}

/** The IDEMPOTENCY_KEY_REQUIRED error (400) for a missing or malformed key. */
export function idempotencyKeyError(): FiscalError {
  return new FiscalError(
    "IDEMPOTENCY_KEY_REQUIRED",
    "send an Idempotency-Key header of 1 to 64 characters from A-Z a-z 0-9 . _ : / # @ + = -",
    {
      issues: [
        {
          path: "/headers/idempotency-key",
          code: ERRORS.IDEMPOTENCY_KEY_REQUIRED.code,
          message: `must match ${IDEMPOTENCY_KEY_PATTERN}`,
        },
      ],
    },
  );
}

/** True when the create call's Idempotency-Key header is present and well formed. */
export const hasValidIdempotencyKey: (headers: unknown) => boolean = (() => {
  const checker = compileChecker(CreateHeadersSchema);
  return (headers) => checker.check(headers);
})();

/** A decimal integer as text, the only form an integer query parameter takes ("1.5", "1e1" are not). */
const INTEGER_TEXT = /^-?[0-9]+$/;

/**
 * Query strings are text: the value of an integer parameter becomes a number when, and only when, it
 * is written as a decimal integer, and a boolean parameter's `true` or `false` becomes a boolean;
 * anything else stays text and fails the check as FIELD_TYPE.
 */
function convertQuery(schema: TSchema, query: unknown): unknown {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (query === null || typeof query !== "object" || properties === undefined) return query;
  const typeOf = (name: string) => (Object.hasOwn(properties, name) ? properties[name]!.type : undefined);
  const convert = (name: string, value: unknown): unknown => {
    if (typeof value !== "string") return value;
    if (typeOf(name) === "integer" && INTEGER_TEXT.test(value)) return Number(value);
    if (typeOf(name) === "boolean" && (value === "true" || value === "false")) return value === "true";
    return value;
  };
  // fromEntries defines own properties: a `__proto__` parameter stays a key (refused as unknown).
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, convert(name, value)]));
}

function partValidator(schema: TSchema, part: string): (value: unknown) => ValidationResult {
  const checker = compileChecker(schema);
  const isQuery = part === "query";
  return (value) => {
    const candidate = isQuery ? convertQuery(schema, value) : value;
    if (checker.check(candidate)) return isQuery ? { value: candidate } : true;
    if (schema === CreateHeadersSchema) return { error: idempotencyKeyError() };
    const unknown = splitUnknownFields(schema, candidate);
    const issues = firstPerPath([...checker.issues(unknown.known), ...unknown.issues]);
    return { error: partError(located(issues, part), part) };
  };
}

const PART_NAMES: Readonly<Record<string, string>> = {
  params: "params",
  querystring: "query",
  headers: "headers",
  body: "body",
};

/** fastify's validator compiler for every route: typebox checks, FieldIssue errors. */
export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  if (httpPart === "body" && schema === PosInvoiceV2Schema) return invoiceBodyValidator();
  return partValidator(schema, PART_NAMES[httpPart ?? "body"] ?? "body");
};
