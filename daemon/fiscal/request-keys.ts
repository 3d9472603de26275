/**
 * What names a POS request: its Idempotency-Key, scoped per API key (docs/API.md §2). Two tills with
 * their own API keys may use the same ticket numbers as keys: their invoices never meet, on the store's
 * side (the binding is per API key) or on the device's (the default client_ref carries the key id).
 */
import { createHash } from "node:crypto";
import type { InvoiceRow } from "../store/invoice-store.js";
import type { Caller } from "./types.js";

/** Longest client_ref the device accepts (docs/PROTOCOL.md §7). */
const CLIENT_REF_MAX = 64;

/**
 * The client_ref of an invoice whose body has none: `<api key id>:<Idempotency-Key>`. When that is
 * over 64 characters, the key part is `=` and the start of the key's SHA-256 in base64url, so the
 * reference stays unique, within the device's limit and in its character set.
 */
export function defaultClientRef(apiKeyId: string, key: string): string {
  const plain = `${apiKeyId}:${key}`;
  if (plain.length <= CLIENT_REF_MAX) return plain;
  const digest = createHash("sha256").update(key).digest("base64url");
  return `${apiKeyId}:=${digest}`.slice(0, CLIENT_REF_MAX);
}

/** The lock a request of `caller` with Idempotency-Key `key` runs under. */
export function lockOfKey(caller: Caller, key: string): string {
  return `key:${caller.apiKeyId}\n${key}`;
}

/** The lock every operation on this invoice runs under: its key's, or its id's when it has no key. */
export function lockOfRow(row: InvoiceRow): string {
  return row.idempotency_key === null
    ? `id:${row.id}`
    : `key:${row.api_key_id ?? ""}\n${row.idempotency_key}`;
}

/** Stable JSON (sorted keys) for request fingerprints: the same body in any key order is the same request. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The fingerprint that tells "the same request again" from "another request with the same key". */
export function fingerprint(body: unknown, caller: Caller, twoStep: boolean): string {
  return createHash("sha256")
    .update(`${twoStep ? "prepare" : "fiscalise"}\n${caller.apiKeyId}\n${stableJson(body)}`)
    .digest("hex");
}
