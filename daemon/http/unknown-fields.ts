/**
 * Every unknown field of a request part, by its schema. The schema checker stops after a few errors
 * (typebox reports at most 8, and an unknown field costs one each), so a body of thousands of unknown
 * fields would otherwise be refused with no issue at all, and would hide its other faults. The fields
 * are listed here, and the checker judges what remains without them. The walk follows `properties`
 * and `items` only: the request schemas put every object there, and a union is left to the checker.
 */
import type { TSchema } from "typebox";
import { ERRORS, type FieldIssue } from "../../protocol/index.js";

/** The parts of a JSON Schema the walk reads. */
interface WalkedSchema {
  readonly properties?: Readonly<Record<string, WalkedSchema>>;
  readonly additionalProperties?: unknown;
  readonly items?: unknown;
}

/** Message of an unknown field's issue (the same as the protocol's schema issues). */
const UNKNOWN_MESSAGE = "is not a known field";

function pointerSegment(key: string): string {
  return key.includes("~") || key.includes("/") ? key.replaceAll("~", "~0").replaceAll("/", "~1") : key;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Recursion follows the schema, never the value, so its depth is the schema's (a few levels). */
function walk(schema: WalkedSchema, data: unknown, path: string, issues: FieldIssue[]): unknown {
  const { properties, items } = schema;
  if (properties !== undefined && isRecord(data)) {
    const known: [string, unknown][] = [];
    for (const [key, child] of Object.entries(data)) {
      const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
      const at = () => `${path}/${pointerSegment(key)}`;
      if (property !== undefined) known.push([key, walk(property, child, at(), issues)]);
      else if (schema.additionalProperties === false) {
        issues.push({ path: at(), code: ERRORS.FIELD_UNKNOWN.code, message: UNKNOWN_MESSAGE });
      } else known.push([key, child]);
    }
    // fromEntries defines own properties: a `__proto__` query parameter stays a plain key.
    return Object.fromEntries(known);
  }
  if (isRecord(items) && Array.isArray(data)) {
    return data.map((item, i) => walk(items as WalkedSchema, item, `${path}/${i}`, issues));
  }
  return data;
}

/**
 * Splits `value` into its unknown fields — FIELD_UNKNOWN issues at the JSON pointer of every key an
 * object schema with `additionalProperties: false` does not name, in document order — and a copy of
 * it without them, for the checker.
 */
export function splitUnknownFields(
  schema: TSchema,
  value: unknown,
): { issues: FieldIssue[]; known: unknown } {
  const issues: FieldIssue[] = [];
  const known = walk(schema as WalkedSchema, value, "", issues);
  return { issues, known: issues.length > 0 ? known : value };
}

/** The first issue at each path, in order: an earlier, more specific complaint hides a later one. */
export function firstPerPath(issues: readonly FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => !seen.has(issue.path) && seen.add(issue.path));
}
