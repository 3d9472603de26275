/**
 * What emulators from before invoice v2 left on disk, rebuilt for upgrade tests: a fiscal memory of
 * schema 1 or 2 (no invoice bytes, no year numbers), and records v1 appended to it with the SQL such
 * an emulator ran at COMMIT. The device must be stopped (the fiscal memory is opened directly).
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { FISCAL_MEMORY_FILE } from "../../emulator/store/fiscal-memory.js";
import {
  type CanonicalInvoice,
  type FiscalRecordV1,
  genesisHash,
  invoiceHash,
  recordHash,
  type SealedRecord,
  sealRecord,
} from "../../protocol/index.js";

function open(stateDir: string): Database.Database {
  return new Database(join(stateDir, FISCAL_MEMORY_FILE));
}

/**
 * Turns a store written by this emulator back into schema `version` (1 or 2). Only for a store whose
 * journal holds no record v2 and no report: migration 4's and 3's tables and columns are dropped.
 */
export function downgradeStore(stateDir: string, version: 1 | 2): void {
  const db = open(stateDir);
  try {
    const v2 = db.prepare("SELECT COUNT(*) AS n FROM journal WHERE invoice IS NOT NULL").get() as {
      n: number;
    };
    if (v2.n > 0) throw new Error("the journal holds records v2: it cannot be an old store");
    const reports = db.prepare("SELECT COUNT(*) AS n FROM report").get() as { n: number };
    if (reports.n > 0) throw new Error("the journal holds reports: it cannot be an old store");
    db.exec(`
      DROP TABLE report;
      ALTER TABLE device DROP COLUMN incomplete;
      DROP INDEX journal_year_number;
      ALTER TABLE journal DROP COLUMN invoice;
      ALTER TABLE journal DROP COLUMN fiscal_year;
      ALTER TABLE journal DROP COLUMN year_number;
      DROP TABLE year_counter;
    `);
    if (version === 1) {
      db.exec("ALTER TABLE device DROP COLUMN activation_bundle");
      db.exec("ALTER TABLE device DROP COLUMN activation_bundle_signature");
    }
    db.pragma(`user_version = ${version}`);
  } finally {
    db.close();
  }
}

interface DeviceRow {
  device_id: string;
  seed: Buffer;
  merchant_nif: string;
  outlet_id: string;
  fiscal_authority_id: string;
  activation_bytes: Buffer;
  last_fiscal_number: number;
  last_hash: Buffer | null;
}

/**
 * Seals `invoice` (version 1) as record v1 at `issuedAt` and appends it the way a schema-1/2 emulator
 * did: the journal row without invoice bytes, the counters and the chain tip, in one transaction.
 */
export function appendRecordV1(stateDir: string, invoice: CanonicalInvoice, issuedAt: number): SealedRecord {
  const db = open(stateDir);
  try {
    return db
      .transaction(() => {
        const d = db.prepare("SELECT * FROM device").get() as DeviceRow;
        const typeRow = db
          .prepare("SELECT last_number FROM type_counter WHERE invoice_type = ?")
          .get(invoice.type) as { last_number: number } | undefined;
        const record: FiscalRecordV1 = {
          kind: "INVOICE",
          v: 1,
          device_id: d.device_id,
          fiscal_number: d.last_fiscal_number + 1,
          type_number: (typeRow?.last_number ?? 0) + 1,
          invoice_type: invoice.type,
          issued_at: issuedAt,
          payload_hash: invoiceHash(invoice),
          prev_hash:
            d.last_hash === null
              ? genesisHash(new Uint8Array(d.activation_bytes))
              : new Uint8Array(d.last_hash),
          merchant_nif: d.merchant_nif,
          outlet_id: d.outlet_id,
          fiscal_authority_id: d.fiscal_authority_id,
          cashier_id: invoice.cashier_id,
          client_ref: invoice.client_ref,
          currency: invoice.currency,
          totals: invoice.totals,
          tax_table: invoice.tax_table,
          ...(invoice.reference === undefined
            ? {}
            : {
                reference: {
                  device_id: invoice.reference.device_id ?? d.device_id,
                  fiscal_number: invoice.reference.fiscal_number,
                  kind: invoice.reference.kind,
                },
              }),
        };
        const sealed = sealRecord(record, new Uint8Array(d.seed));
        db.prepare(
          `INSERT INTO journal (fiscal_number, type_number, invoice_type, issued_at, record, signature,
             auth_code, qr, payload_hash, client_ref, total, currency, ref_device_id, ref_fiscal_number,
             ref_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          record.fiscal_number,
          record.type_number,
          record.invoice_type,
          issuedAt,
          Buffer.from(sealed.record),
          Buffer.from(sealed.signature),
          sealed.auth_code,
          sealed.qr,
          Buffer.from(record.payload_hash),
          record.client_ref,
          record.totals.total,
          record.currency,
          record.reference?.device_id ?? null,
          record.reference?.fiscal_number ?? null,
          record.reference?.kind ?? null,
        );
        db.prepare("UPDATE device SET last_fiscal_number = ?, last_hash = ?, last_issued_at = ?").run(
          record.fiscal_number,
          Buffer.from(recordHash(sealed.record)),
          issuedAt,
        );
        db.prepare(
          `INSERT INTO type_counter (invoice_type, last_number) VALUES (?, ?)
             ON CONFLICT (invoice_type) DO UPDATE SET last_number = excluded.last_number`,
        ).run(record.invoice_type, record.type_number);
        return sealed;
      })
      .immediate();
  } finally {
    db.close();
  }
}
