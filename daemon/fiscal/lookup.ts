/**
 * Which invoice an id or an Idempotency-Key names, for whom (docs/API.md §2): a POS sees its own API
 * key's invoices and the journal imports no key owns; the technician's CLI (no caller) sees them all.
 */
import type { InvoiceRow, InvoiceStore } from "../store/invoice-store.js";
import { defaultClientRef } from "./request-keys.js";
import type { Caller } from "./types.js";

/**
 * An invoice by id, else by the caller's Idempotency-Key: the invoice bound to it, else its open
 * attempt, else a record imported from the journal with the key's default client_ref (or, sealed
 * before keys were scoped, the bare key).
 */
export function findInvoice(
  store: InvoiceStore,
  idOrKey: string,
  caller: Caller | undefined,
): InvoiceRow | undefined {
  const byId = store.byId(idOrKey);
  if (byId !== undefined) {
    return caller === undefined || byId.api_key_id === null || byId.api_key_id === caller.apiKeyId
      ? byId
      : undefined;
  }
  if (caller === undefined) return store.byIdOrAnyKey(idOrKey);
  return (
    store.boundTo(caller.apiKeyId, idOrKey) ??
    store.openAttempt(caller.apiKeyId, idOrKey) ??
    store.importedByClientRef(defaultClientRef(caller.apiKeyId, idOrKey)) ??
    // A record sealed before keys were scoped carries the bare key as its client_ref.
    store.importedByClientRef(idOrKey)
  );
}
