/**
 * Turns schema validation errors into the protocol's FieldIssue list: one issue per field, with a
 * JSON-pointer path and a code from the 3xx table, so a POS developer sees exactly what to fix.
 */
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { ERRORS, type ErrorName, type FieldIssue } from "./errors.js";

const KEYWORD_CODES: Readonly<Record<string, ErrorName>> = {
  required: "FIELD_REQUIRED",
  additionalProperties: "FIELD_UNKNOWN",
  minimum: "FIELD_RANGE",
  maximum: "FIELD_RANGE",
  exclusiveMinimum: "FIELD_RANGE",
  exclusiveMaximum: "FIELD_RANGE",
  minLength: "FIELD_RANGE",
  maxLength: "FIELD_RANGE",
  minItems: "FIELD_RANGE",
  maxItems: "FIELD_RANGE",
};

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

/** A compiled schema with a checker that reports FieldIssues. */
export interface IssueChecker {
  /** Returns no issues when `value` matches. */
  issues(value: unknown): FieldIssue[];
  check(value: unknown): boolean;
}

/** Compiles `schema` once; `issues()` reports at most one issue per field path. */
export function compileChecker(schema: TSchema): IssueChecker {
  const compiled = Compile(schema);
  return {
    check: (value) => compiled.Check(value),
    issues(value) {
      if (compiled.Check(value)) return [];
      const byPath = new Map<string, FieldIssue>();
      for (const error of compiled.Errors(value) as Iterable<SchemaError>) {
        for (const issue of toIssues(error)) {
          const previous = byPath.get(issue.path);
          // Prefer the most specific complaint; "anyOf" and "schema is false" only restate another.
          if (previous === undefined || previous.code === ERRORS.FIELD_TYPE.code)
            byPath.set(issue.path, issue);
        }
      }
      // The checker refused the value: never answer "no issue" (the error list can stop early, on
      // errors that only restate others), or a caller would accept what the schema refused.
      if (byPath.size === 0) {
        return [{ path: "/", code: ERRORS.FIELD_TYPE.code, message: "does not match the expected form" }];
      }
      return [...byPath.values()];
    },
  };
}

/** One JSON-pointer segment (RFC 6901): `~` is written `~0` and `/` is written `~1`. */
function segment(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

function toIssues(error: SchemaError): FieldIssue[] {
  if (error.keyword === "boolean") return [];
  if (error.keyword === "required") {
    const names = (error.params.requiredProperties as string[] | undefined) ?? [];
    return names.map((name) => ({
      path: `${error.instancePath}/${segment(name)}`,
      code: ERRORS.FIELD_REQUIRED.code,
      message: "is required",
    }));
  }
  if (error.keyword === "additionalProperties") {
    const names = (error.params.additionalProperties as string[] | undefined) ?? [];
    return names.map((name) => ({
      path: `${error.instancePath}/${segment(name)}`,
      code: ERRORS.FIELD_UNKNOWN.code,
      message: "is not a known field",
    }));
  }
  const name = KEYWORD_CODES[error.keyword] ?? "FIELD_TYPE";
  const message = error.keyword === "anyOf" ? "does not match any allowed form" : error.message;
  return [{ path: error.instancePath || "/", code: ERRORS[name].code, message }];
}
