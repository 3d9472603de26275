/**
 * Migration 6 (canonical invoice version 2): a record's fiscal year and its number within the year
 * are kept beside it, unique per device; records sealed before keep NULL and stay readable.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, SCHEMA_VERSION } from "../../../daemon/store/database.js";
import { newInvoiceId } from "../../../daemon/store/invoice-store.js";
import { posSale, ServiceHarness } from "../fiscal/harness.js";
import { openStoreAtVersion } from "./old-store.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

interface YearRow {
  fiscal_number: number;
  fiscal_year: number | null;
  year_number: number | null;
}

describe("migration 6: the yearly number of version-2 records", () => {
  it("leaves a record sealed before the migration without a year, and keeps it", () => {
    const dir = mkdtempSync(join(tmpdir(), "stalela-m6-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "daemon.sqlite");
    const old = openStoreAtVersion(path, 5);
    const id = newInvoiceId();
    old
      .prepare(
        `INSERT INTO invoices (id, client_ref, type, state, cashier_id, currency, totals_json, payload_hash, created_at)
         VALUES (?, 'OLD-1', 'SALE', 'FISCALIZED', 'CASHIER-1', 'CDF', '{"total":11600}', ?, 1)`,
      )
      .run(id, Buffer.alloc(32, 1));
    old
      .prepare(
        `INSERT INTO fiscal_records (device_id, fiscal_number, invoice_id, type_number, issued_at, record,
           signature, auth_code, qr, record_hash, stored_at)
         VALUES ('DEF-OLD', 1, ?, 1, 1, x'a0', x'00', '7KQ2-M9XD-3FHA-T0PZ', 'RDCDEF01;…', x'00', 1)`,
      )
      .run(id);
    old.close();
    const db = openDatabase(path);
    cleanups.push(() => db.close());
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT fiscal_number, fiscal_year, year_number FROM fiscal_records").all()).toEqual([
      { fiscal_number: 1, fiscal_year: null, year_number: null },
    ]);
  });

  it("stores each version-2 record's year and number, and refuses the same number twice", async () => {
    const h = await new ServiceHarness().start();
    cleanups.push(() => h.stop());
    const first = await h.service.fiscalise(posSale(100), "Y-1", h.caller);
    const second = await h.service.fiscalise(posSale(200), "Y-2", h.caller);
    const rows = h.db
      .prepare("SELECT fiscal_number, fiscal_year, year_number FROM fiscal_records ORDER BY fiscal_number")
      .all() as YearRow[];
    // Both sealed now, in the same year: numbers 1 and 2 of the record's own fiscal year.
    const year = first.invoice.fiscal!.fiscal_year;
    expect(year).toBeGreaterThanOrEqual(2026);
    expect(rows).toEqual([
      { fiscal_number: 1, fiscal_year: year, year_number: 1 },
      { fiscal_number: 2, fiscal_year: second.invoice.fiscal!.fiscal_year, year_number: 2 },
    ]);
    // Another invoice row, so that only the yearly number can clash.
    const other = newInvoiceId();
    h.db
      .prepare(
        `INSERT INTO invoices (id, client_ref, type, state, cashier_id, currency, totals_json, payload_hash, created_at)
         VALUES (?, 'COPY-1', 'SALE', 'FISCALIZED', 'CASHIER-1', 'CDF', '{"total":200}', ?, 1)`,
      )
      .run(other, Buffer.alloc(32, 9));
    const copy = () =>
      h.db
        .prepare(
          `INSERT INTO fiscal_records (device_id, fiscal_number, invoice_id, type_number, issued_at, record,
             signature, auth_code, qr, record_hash, stored_at, fiscal_year, year_number)
           SELECT device_id, 99, ?, type_number, issued_at, record, signature, auth_code, qr,
             record_hash, stored_at, fiscal_year, year_number FROM fiscal_records WHERE fiscal_number = 2`,
        )
        .run(other);
    expect(copy).toThrow(/UNIQUE constraint failed: fiscal_records\.device_id, fiscal_records\.fiscal_year/);
  });
});
