/**
 * Request validation with typebox instead of fastify's ajv, so that a failure comes out as the
 * protocol's FieldIssue list (JSON-pointer paths, codes 301–305/314) — for the invoice body, the very
 * list the fiscal service itself would report for the same input.
 */
import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import { Value } from "typebox/value";
import {
  canonicaliseInvoice,
  ERRORS,
  type ErrorName,
  errorNameOf,
  type FieldIssue,
  FiscalError,
  isFiscalError,
  PosInvoiceSchema,
} from "../../protocol/index.js";
import { compileChecker } from "../../protocol/schema-issues.js";
import { CreateHeadersSchema, IDEMPOTENCY_KEY_PATTERN } from "./schemas.js";

/** Result of a fastify validator: pass (true), or a FiscalError the error handler answers with. */
type ValidationResult = true | { value: unknown } | { error: FiscalError };

/**
 * The invoice's shape failure, with the protocol's issue codes. `canonicaliseInvoice` checks the shape
 * first and throws INVOICE_INVALID before any business rule when it is wrong, and it is the protocol's
 * only public door to its issue refinements (tax group → 305, currency → 314); calling it on a value
 * the schema rejected is therefore exactly "the service's schema issues", with no copy of the rules.
 * The placeholder context only matters past the shape check, which this value never reaches.
 */
function invoiceShapeError(value: unknown, fallback: readonly FieldIssue[]): FiscalError {
  try {
    canonicaliseInvoice(value, { cashierId: "SHAPE-CHECK", defaultClientRef: "SHAPE-CHECK" });
  } catch (err) {
    if (isFiscalError(err, "INVOICE_INVALID")) return err;
  }
  return new FiscalError("INVOICE_INVALID", "the invoice does not match the schema", { issues: fallback });
}

function invoiceBodyValidator(): (value: unknown) => ValidationResult {
  const checker = compileChecker(PosInvoiceSchema);
  return (value) => {
    if (checker.check(value)) return true;
    return { error: invoiceShapeError(value, checker.issues(value)) };
  };
}

/** Prefixes issue paths with the request part, e.g. `/limit` → `/query/limit`. */
function located(issues: readonly FieldIssue[], part: string): FieldIssue[] {
  return issues.map((issue) => ({ ...issue, path: `/${part}${issue.path === "/" ? "" : issue.path}` }));
}

function partError(issues: FieldIssue[], part: string): FiscalError {
  const first = issues[0];
  const name: ErrorName = (first && errorNameOf(first.code)) || "FIELD_TYPE";
  const where = first ? `${first.path} ${first.message}` : `the ${part} is not valid`;
  return new FiscalError(name, where, { issues });
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

function partValidator(schema: TSchema, part: string): (value: unknown) => ValidationResult {
  const checker = compileChecker(schema);
  const convert = part === "query";
  return (value) => {
    // Query strings are text: "limit=10" becomes 10 before the check (in place, as fastify expects).
    const candidate =
      convert && value !== null && typeof value === "object" ? Value.Convert(schema, value) : value;
    if (checker.check(candidate)) return convert ? { value: candidate } : true;
    if (schema === CreateHeadersSchema) return { error: idempotencyKeyError() };
    return { error: partError(located(checker.issues(candidate), part), part) };
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
  if (httpPart === "body" && schema === PosInvoiceSchema) return invoiceBodyValidator();
  return partValidator(schema, PART_NAMES[httpPart ?? "body"] ?? "body");
};
