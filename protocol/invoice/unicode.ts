/**
 * Well-formed text. A JSON string may escape a lone surrogate (`"\ud800"`), which is no character at
 * all: encoded to UTF-8 or CBOR it becomes U+FFFD, so the device would seal, sign and print something
 * other than what the POS sent. Every string and every key of an invoice must therefore be
 * well-formed UTF-16 (ECMAScript's `String.prototype.isWellFormed`) before anything is computed from it.
 */
import { ERRORS, type FieldIssue } from "../errors.js";

/** The message of an ill-formed string's issue. */
export const ILL_FORMED_TEXT_MESSAGE = "is not well-formed UTF-16 (it holds a lone surrogate)";

/** ES2024's String.prototype.isWellFormed (Node ≥ 20); the project compiles against the ES2023 lib. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** `key` as one RFC 6901 JSON-pointer segment. */
function pointerSegment(key: string): string {
  return key.includes("~") || key.includes("/") ? key.replaceAll("~", "~0").replaceAll("/", "~1") : key;
}

/**
 * FIELD_TYPE issues at the JSON pointer of every string value, and every object key, of `value` that is
 * not well-formed; a key's issue points at the key itself. Iterative, so a deeply nested body (a hostile
 * one is refused by its schema anyway) cannot overflow the stack; stops after `limit` issues. Only
 * objects and arrays are queued, and a pointer is only built for them and for an issue.
 */
export function illFormedTextIssues(value: unknown, limit = Number.POSITIVE_INFINITY): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const issue = (path: string) => {
    issues.push({ path: path || "/", code: ERRORS.FIELD_TYPE.code, message: ILL_FORMED_TEXT_MESSAGE });
  };
  if (typeof value === "string") {
    if (!isWellFormed(value)) issue("");
    return issues;
  }
  const pending: [object, string][] = value !== null && typeof value === "object" ? [[value, ""]] : [];
  const visit = (child: unknown, path: () => string) => {
    if (typeof child === "string") {
      if (!isWellFormed(child)) issue(path());
    } else if (child !== null && typeof child === "object") pending.push([child, path()]);
  };
  while (pending.length > 0 && issues.length < limit) {
    const [node, path] = pending.pop()!;
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        visit(child, () => `${path}/${i}`);
      });
    } else {
      for (const [key, child] of Object.entries(node)) {
        const at = () => `${path}/${pointerSegment(key)}`;
        if (!isWellFormed(key)) issue(at());
        else visit(child, at);
      }
    }
  }
  return issues.slice(0, limit);
}

/** True when every string and key in `value` is well-formed; the fast path of every invoice. */
export function isWellFormedText(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node === "string") {
      if (!isWellFormed(node)) return false;
    } else if (Array.isArray(node)) {
      for (const child of node) pending.push(child);
    } else if (node !== null && typeof node === "object") {
      for (const key of Object.keys(node)) {
        if (!isWellFormed(key)) return false;
        pending.push((node as Record<string, unknown>)[key]);
      }
    }
  }
  return true;
}
