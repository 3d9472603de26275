/**
 * Migration 4 on a store written by the previous release (schema version 3): each Idempotency-Key is
 * bound to its sealed invoice, else to its latest two-step or final one; a key whose one-shot attempts
 * all ended for a retryable reason (ABORTED, or REJECTED by a condition that clears) stays free.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fingerprint } from "../../../daemon/fiscal/request-keys.js";
import type { Caller } from "../../../daemon/fiscal/types.js";
import { type Db, SCHEMA_VERSION } from "../../../daemon/store/database.js";
import { newInvoiceId } from "../../../daemon/store/invoice-store.js";
import { codeOf, posSale, refusalOf, ServiceHarness } from "../fiscal/harness.js";
import { openStoreAtVersion } from "./old-store.js";

/** The API key the previous release's rows belong to. */
const OLD: Caller = { apiKeyId: "oldKey000001", cashierId: "CASHIER-1" };

let h: ServiceHarness;
let ids: Record<string, string>;
let rowid = 0;

interface OldRow {
  readonly name: string;
  readonly key: string;
  readonly state: string;
  readonly mode: "one-shot" | "two-step";
  readonly errorCode?: number;
}

/** Inserts an invoice row the way the version-3 daemon did (one row per attempt, keys unscoped). */
function insertOld(db: Db, row: OldRow): void {
  const id = newInvoiceId();
  ids[row.name] = id;
  rowid++;
  db.prepare(
    `INSERT INTO invoices (id, idempotency_key, request_fingerprint, client_ref, type, state, api_key_id, cashier_id,
       currency, totals_json, payload_hash, mode, error_code, error_message, created_at)
     VALUES (?, ?, ?, ?, 'SALE', ?, ?, 'CASHIER-1', 'CDF', '{"total":11600}', ?, ?, ?, ?, ?)`,
  ).run(
    id,
    row.key,
    fingerprint(posSale(), OLD, row.mode === "two-step"),
    row.key,
    row.state,
    OLD.apiKeyId,
    Buffer.alloc(32, rowid),
    row.mode,
    row.errorCode ?? null,
    row.errorCode === undefined ? null : "stored by version 3",
    Date.UTC(2026, 0, 1) + rowid * 1_000,
  );
}

const OLD_ROWS: readonly OldRow[] = [
  // K: a one-shot attempt lost its link, the retry sealed.
  { name: "k-aborted", key: "K", state: "ABORTED", mode: "one-shot", errorCode: 100 },
  { name: "k-sealed", key: "K", state: "FISCALIZED", mode: "one-shot" },
  // Z: sealed, then a later two-step attempt with the same key was aborted: the sealed one wins.
  { name: "z-sealed", key: "Z", state: "FISCALIZED", mode: "one-shot" },
  { name: "z-aborted", key: "Z", state: "ABORTED", mode: "two-step", errorCode: 324 },
  { name: "p-prepared", key: "P", state: "PREPARED", mode: "two-step" },
  // M: aborted by the POS, then prepared again under the old rules: the latest one.
  { name: "m-aborted", key: "M", state: "ABORTED", mode: "two-step", errorCode: 324 },
  { name: "m-prepared", key: "M", state: "PREPARED", mode: "two-step" },
  { name: "q-aborted", key: "Q", state: "ABORTED", mode: "two-step", errorCode: 324 },
  { name: "r-rejected", key: "R", state: "REJECTED", mode: "one-shot", errorCode: 306 },
  { name: "a-aborted", key: "A", state: "ABORTED", mode: "one-shot", errorCode: 109 },
  { name: "x-preparing", key: "X", state: "PREPARING", mode: "one-shot" },
  { name: "y-prepared", key: "Y", state: "PREPARED", mode: "one-shot" },
  // Refused by conditions that clear (pending slots full, busy, clock): not final, so not bound.
  { name: "l-rejected", key: "L", state: "REJECTED", mode: "one-shot", errorCode: 110 },
  { name: "b-rejected", key: "B", state: "REJECTED", mode: "one-shot", errorCode: 101 },
  { name: "c-rejected", key: "C", state: "REJECTED", mode: "two-step", errorCode: 106 },
];

beforeEach(async () => {
  ids = {};
  h = new ServiceHarness();
  const old = openStoreAtVersion(join(h.dir, "daemon.sqlite"), 3);
  for (const row of OLD_ROWS) insertOld(old, row);
  old.close();
  await h.start();
});
afterEach(() => h.stop());

describe("migration 4 of a version-3 store", () => {
  it("binds each key to its sealed invoice, else its latest two-step or final one", () => {
    expect(h.db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    const bound = h.db
      .prepare(
        "SELECT api_key_id, idempotency_key, invoice_id FROM idempotency_keys ORDER BY idempotency_key",
      )
      .all();
    expect(bound).toEqual([
      { api_key_id: OLD.apiKeyId, idempotency_key: "K", invoice_id: ids["k-sealed"] },
      { api_key_id: OLD.apiKeyId, idempotency_key: "M", invoice_id: ids["m-prepared"] },
      { api_key_id: OLD.apiKeyId, idempotency_key: "P", invoice_id: ids["p-prepared"] },
      { api_key_id: OLD.apiKeyId, idempotency_key: "Q", invoice_id: ids["q-aborted"] },
      { api_key_id: OLD.apiKeyId, idempotency_key: "R", invoice_id: ids["r-rejected"] },
      { api_key_id: OLD.apiKeyId, idempotency_key: "Z", invoice_id: ids["z-sealed"] },
    ]);
  });

  it("the service then finds each key's invoice by the key, in the old API key's scope", () => {
    expect(h.service.get("K", OLD)).toMatchObject({ id: ids["k-sealed"], state: "FISCALIZED" });
    expect(h.service.get("Q", OLD)).toMatchObject({ id: ids["q-aborted"], state: "ABORTED" });
    expect(h.service.get("A", OLD)).toBeUndefined();
    expect(h.service.get("L", OLD)).toBeUndefined();
    expect(h.service.get("K", h.caller)).toBeUndefined();
  });

  it("replays a bound final refusal, and fiscalises a key an old retryable failure left free", async () => {
    const replay = await refusalOf(h.service.fiscalise(posSale(), "R", OLD));
    expect(replay).toMatchObject({ code: 306, details: { replayed: true } });
    for (const key of ["A", "L", "B"]) {
      const { invoice, replayed } = await h.service.fiscalise(posSale(), key, OLD);
      expect(replayed).toBe(false);
      expect(invoice.state).toBe("FISCALIZED");
      expect(h.service.get(key, OLD)?.id).toBe(invoice.id);
    }
    expect((await h.service.prepare(posSale(), "C", OLD)).invoice.state).toBe("PREPARED");
    // A bound key still names its invoice: another body is a conflict.
    expect(await codeOf(h.service.fiscalise(posSale(1), "K", OLD))).toBe(319);
  });

  it("drops the unscoped unique index, so two API keys may hold the same key", async () => {
    const indexes = h.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all();
    expect(indexes).not.toContainEqual({ name: "invoices_live_idempotency_key" });
    const { invoice } = await h.service.fiscalise(posSale(), "K", h.caller);
    expect(invoice.state).toBe("FISCALIZED");
    expect(h.service.get("K", OLD)?.id).toBe(ids["k-sealed"]);
  });
});
