/**
 * The fiscal memory's schema, as numbered migrations. The version lives in the database
 * (`PRAGMA user_version`), so a state directory written by an older emulator is upgraded in place
 * and one written by a newer emulator is refused rather than misread.
 */
import type Database from "better-sqlite3";

/** One schema step: applied once, in order, inside a transaction. */
interface Migration {
  readonly version: number;
  readonly sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- One row: the device's identity from manufacture, its activation and its counters. Counters
      -- sit next to the journal they count so one transaction updates both.
      CREATE TABLE device (
        id                   INTEGER PRIMARY KEY CHECK (id = 1),
        device_id            TEXT    NOT NULL,
        seed                 BLOB    NOT NULL,
        public_key           BLOB    NOT NULL,
        cloud_root_key       BLOB    NOT NULL,
        manufactured_at      INTEGER NOT NULL,
        clock_offset_ms      INTEGER NOT NULL DEFAULT 0,
        lock_reason          TEXT,
        merchant_nif         TEXT,
        outlet_id            TEXT,
        fiscal_authority_id  TEXT,
        activation_bytes     BLOB,
        activation_signature BLOB,
        last_fiscal_number   INTEGER NOT NULL DEFAULT 0,
        last_hash            BLOB,
        last_issued_at       INTEGER
      ) STRICT;

      CREATE TABLE type_counter (
        invoice_type TEXT    PRIMARY KEY,
        last_number  INTEGER NOT NULL
      ) STRICT;

      -- The append-only journal. record holds the exact signed bytes; the other columns are
      -- indexes into them for lookups and credit-note checks.
      CREATE TABLE journal (
        fiscal_number     INTEGER PRIMARY KEY,
        type_number       INTEGER NOT NULL,
        invoice_type      TEXT    NOT NULL,
        issued_at         INTEGER NOT NULL,
        record            BLOB    NOT NULL,
        signature         BLOB    NOT NULL,
        auth_code         TEXT    NOT NULL,
        qr                TEXT    NOT NULL,
        payload_hash      BLOB    NOT NULL,
        client_ref        TEXT    NOT NULL,
        total             INTEGER NOT NULL,
        currency          TEXT    NOT NULL,
        ref_device_id     TEXT,
        ref_fiscal_number INTEGER,
        ref_kind          TEXT
      ) STRICT;
      CREATE UNIQUE INDEX journal_payload_hash ON journal (payload_hash);
      CREATE UNIQUE INDEX journal_client_ref ON journal (client_ref);
      CREATE UNIQUE INDEX journal_type_number ON journal (invoice_type, type_number);
      CREATE INDEX journal_reference ON journal (ref_device_id, ref_fiscal_number);

      -- Nothing is ever deleted or rewritten in the journal.
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only'); END;
      CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only'); END;
    `,
  },
  {
    version: 2,
    sql: `
      -- The cloud-signed bundle ACTIVATE was given, so INFO can show a host the whole chain from the
      -- cloud root to the activation record. A device activated before this migration has NULLs here:
      -- it reports activation_bundle null, which a production daemon refuses (docs/EMULATOR.md).
      ALTER TABLE device ADD COLUMN activation_bundle BLOB;
      ALTER TABLE device ADD COLUMN activation_bundle_signature BLOB;
    `,
  },
  {
    version: 3,
    sql: `
      -- Canonical invoice version 2 (issue 15). Each record keeps the canonical invoice bytes it
      -- seals (SHA-256 = the record's payload_hash), so the device can check a credit note's lines
      -- against its original (SFE EG1.26) and a host can export what an auditor re-hashes. Rows
      -- sealed before this migration (record v1) have NULL in all three new columns: v1 records
      -- carry no year number and the device never kept their lines.
      ALTER TABLE journal ADD COLUMN invoice BLOB;
      -- The fiscal year (calendar year of issued_at at UTC+01:00) and the record's number within
      -- it (1, 2, 3 ... per device, no gaps), as signed in the record.
      ALTER TABLE journal ADD COLUMN fiscal_year INTEGER;
      ALTER TABLE journal ADD COLUMN year_number INTEGER;
      CREATE UNIQUE INDEX journal_year_number ON journal (fiscal_year, year_number);

      -- The per-year counters, moved in the same transaction as the journal row (like type_counter).
      CREATE TABLE year_counter (
        fiscal_year INTEGER PRIMARY KEY,
        last_number INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    sql: `
      -- Z reports and monthly and yearly closures (issue 17): journaled, in the same hash chain as the
      -- invoices (each one's prev_hash is the chain tip when it was made, and device.last_hash moves
      -- to it), numbered per kind 1, 2, 3 ... without gaps. after_fiscal_number is its place in the
      -- chain: the last invoice before it.
      CREATE TABLE report (
        kind                TEXT NOT NULL,
        number              INTEGER NOT NULL,
        issued_at           INTEGER NOT NULL,
        after_fiscal_number INTEGER NOT NULL,
        period              TEXT,
        record              BLOB NOT NULL,
        signature           BLOB NOT NULL,
        record_hash         BLOB NOT NULL,
        PRIMARY KEY (kind, number)
      ) STRICT;
      CREATE TRIGGER report_no_update BEFORE UPDATE ON report
        BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only'); END;
      CREATE TRIGGER report_no_delete BEFORE DELETE ON report
        BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only'); END;
      -- PREPAREs of the open day that ended without COMMIT (aborted, expired, dropped); a Z resets it.
      ALTER TABLE device ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;
    `,
  },
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings `db` up to SCHEMA_VERSION; throws when the database is newer than this code. */
export function migrate(db: Database.Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`fiscal memory schema ${current} is newer than this emulator (${SCHEMA_VERSION})`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
