/**
 * What the reference cloud remembers, in SQLite so a restart keeps it: activation codes, devices and
 * their keys, daemon credentials (stored hashed), received invoices deduplicated by
 * (device_id, fiscal_number), and received fiscal reports deduplicated by (device_id, kind, number).
 */
import { createHash, randomBytes } from "node:crypto";
import type Database from "better-sqlite3";
import { openPrivateDatabase, restrictDatabaseFiles } from "../../daemon/store/private-files.js";

/** The identity an activation code binds a device to. */
export interface CodeIdentity {
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
}

/** An activation code as stored. */
export interface CodeRow extends CodeIdentity {
  readonly code: string;
  readonly device_id: string | null;
  readonly public_key: Buffer | null;
  readonly bundle: Buffer | null;
  readonly bundle_signature: Buffer | null;
}

/** A device the cloud knows (claimed a code). */
export interface DeviceRow extends CodeIdentity {
  readonly device_id: string;
  readonly public_key: Buffer;
  readonly activation: Buffer | null;
}

/** The identifiers stored with every received invoice (docs/CLOUD_API.md §Batch upload). */
export interface UploadIdentifiers {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_id: string;
  readonly fiscal_authority_id: string;
  readonly outlet_id: string;
  readonly merchant_nif: string;
  readonly cashier_id: string;
  readonly api_key_id: string | null;
  readonly auth_code: string;
}

/**
 * What a record v2 says that the DGI links an invoice by (SFE §1.2): its DGI type code, fiscal year
 * and number within it, ISF and the POS's own number. Null for a record v1, which has none.
 */
export interface SfeFields {
  /** The record's version, 1 or 2. */
  readonly record_v: number;
  readonly dgi_type: string | null;
  readonly fiscal_year: number | null;
  readonly year_number: number | null;
  readonly isf: string | null;
  readonly rn: string | null;
}

/** One received invoice, as the emulator's admin endpoint lists it. */
export interface ReceivedInvoice extends UploadIdentifiers, SfeFields {
  readonly has_invoice: number;
  readonly dgi_status: string;
}

/** The row stored for an accepted upload item. */
export interface StoredUpload extends UploadIdentifiers, SfeFields {
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly qr: string;
  readonly invoice: Uint8Array | null;
}

/** One received fiscal report, as the emulator's admin endpoint lists it (what its record says). */
export interface ReceivedReport {
  readonly device_id: string;
  readonly kind: string;
  readonly number: number;
  readonly issued_at: number;
  readonly after_fiscal_number: number;
  readonly first_fiscal_number: number | null;
  readonly last_fiscal_number: number | null;
  /** `YYYY-MM` or `YYYY` for a closure, null otherwise. */
  readonly period: string | null;
  /** base64url(SHA-256) of the report bytes, as its ack carried. */
  readonly record_hash: string;
  readonly received_at: number;
}

/** The row stored for an accepted report. */
export interface StoredReportUpload extends Omit<ReceivedReport, "received_at"> {
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
}

/** The DGI status the emulator reports for an accepted item: the real MCF is unknown (seed). */
export const EMULATED_DGI_STATUS = "QUEUED_FOR_DGI";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS codes (
    code TEXT PRIMARY KEY, merchant_nif TEXT NOT NULL, outlet_id TEXT NOT NULL, fiscal_authority_id TEXT NOT NULL,
    created_at INTEGER NOT NULL, device_id TEXT, public_key BLOB, bundle BLOB, bundle_signature BLOB, claimed_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, public_key BLOB NOT NULL, merchant_nif TEXT NOT NULL, outlet_id TEXT NOT NULL,
    fiscal_authority_id TEXT NOT NULL, activation BLOB, activation_signature BLOB, registered_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS credentials (
    token_hash BLOB PRIMARY KEY, device_id TEXT NOT NULL, issued_at INTEGER NOT NULL,
    first_used_at INTEGER, expires_at INTEGER
  );
  CREATE TABLE IF NOT EXISTS invoices (
    device_id TEXT NOT NULL, fiscal_number INTEGER NOT NULL, invoice_id TEXT NOT NULL,
    fiscal_authority_id TEXT NOT NULL, outlet_id TEXT NOT NULL, merchant_nif TEXT NOT NULL, cashier_id TEXT NOT NULL,
    api_key_id TEXT, record BLOB NOT NULL, signature BLOB NOT NULL, auth_code TEXT NOT NULL, qr TEXT NOT NULL,
    invoice BLOB, dgi_status TEXT NOT NULL, received_at INTEGER NOT NULL,
    record_v INTEGER NOT NULL DEFAULT 1, dgi_type TEXT, fiscal_year INTEGER, year_number INTEGER, isf TEXT, rn TEXT,
    PRIMARY KEY (device_id, fiscal_number)
  );
  CREATE TABLE IF NOT EXISTS reports (
    device_id TEXT NOT NULL, kind TEXT NOT NULL, number INTEGER NOT NULL, issued_at INTEGER NOT NULL,
    after_fiscal_number INTEGER NOT NULL, first_fiscal_number INTEGER, last_fiscal_number INTEGER, period TEXT,
    record BLOB NOT NULL, signature BLOB NOT NULL, record_hash TEXT NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, kind, number)
  );
`;

/** Columns added to `invoices` after its first version: added to a database made before them. */
const ADDED_INVOICE_COLUMNS: readonly [name: string, definition: string][] = [
  ["record_v", "INTEGER NOT NULL DEFAULT 1"],
  ["dgi_type", "TEXT"],
  ["fiscal_year", "INTEGER"],
  ["year_number", "INTEGER"],
  ["isf", "TEXT"],
  ["rn", "TEXT"],
];

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

/** The cloud emulator's persistent state. */
export class CloudStore {
  private db: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly path: string) {}

  /**
   * Opens (creating) the database. It holds device public keys and credential hashes: its directory is
   * made 0700 and its files 0600 at every open, whatever the umask.
   */
  open(): void {
    const db = openPrivateDatabase(this.path);
    db.pragma("journal_mode = WAL");
    restrictDatabaseFiles(this.path);
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    const present = new Set(
      (db.prepare("PRAGMA table_info(invoices)").all() as { name: string }[]).map((c) => c.name),
    );
    for (const [name, definition] of ADDED_INVOICE_COLUMNS) {
      if (!present.has(name)) db.exec(`ALTER TABLE invoices ADD COLUMN ${name} ${definition}`);
    }
    this.db = db;
  }

  close(): void {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  /** A prepared statement, prepared once: uploads run these per item at thousands per second. */
  private cached(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.handle.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private get handle(): Database.Database {
    if (this.db === undefined) throw new Error("cloud store is not open");
    return this.db;
  }

  /** Issues an activation code (a given one, or a random `ACT-XXXX-XXXX`). */
  issueCode(identity: CodeIdentity, code?: string): string {
    const value = code ?? `ACT-${randomBytes(4).toString("hex").toUpperCase()}`;
    this.handle
      .prepare(
        `INSERT OR IGNORE INTO codes (code, merchant_nif, outlet_id, fiscal_authority_id, created_at)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .run(value, identity.merchant_nif, identity.outlet_id, identity.fiscal_authority_id, Date.now());
    return value;
  }

  code(code: string): CodeRow | undefined {
    return this.handle.prepare("SELECT * FROM codes WHERE code = ?").get(code) as CodeRow | undefined;
  }

  /** Marks a code claimed by a device with its bundle, and records the device and its key. */
  claim(row: CodeRow, deviceId: string, publicKey: Uint8Array, bundle: Uint8Array, sig: Uint8Array): void {
    const db = this.handle;
    db.transaction(() => {
      db.prepare(
        "UPDATE codes SET device_id = ?, public_key = ?, bundle = ?, bundle_signature = ?, claimed_at = ? WHERE code = ?",
      ).run(deviceId, publicKey, bundle, sig, Date.now(), row.code);
      db.prepare(
        `INSERT INTO devices (device_id, public_key, merchant_nif, outlet_id, fiscal_authority_id)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET public_key = excluded.public_key,
         merchant_nif = excluded.merchant_nif, outlet_id = excluded.outlet_id,
         fiscal_authority_id = excluded.fiscal_authority_id`,
      ).run(deviceId, publicKey, row.merchant_nif, row.outlet_id, row.fiscal_authority_id);
    }).immediate();
  }

  device(deviceId: string): DeviceRow | undefined {
    return this.handle.prepare("SELECT * FROM devices WHERE device_id = ?").get(deviceId) as
      | DeviceRow
      | undefined;
  }

  registerActivation(deviceId: string, bytes: Uint8Array, signature: Uint8Array): void {
    this.handle
      .prepare(
        "UPDATE devices SET activation = ?, activation_signature = ?, registered_at = ? WHERE device_id = ?",
      )
      .run(bytes, signature, Date.now(), deviceId);
  }

  /** Issues a new random credential for a device. */
  issueCredential(deviceId: string): string {
    const token = `stc_${randomBytes(24).toString("base64url")}`;
    this.handle
      .prepare("INSERT INTO credentials (token_hash, device_id, issued_at) VALUES (?, ?, ?)")
      .run(hashToken(token), deviceId, Date.now());
    return token;
  }

  /**
   * Resolves a bearer token to its device, or undefined when unknown or expired. The first use of a
   * credential retires every older one of the same device (rotation, docs/CLOUD_API.md §Auth).
   */
  authenticate(token: string, now = Date.now()): string | undefined {
    const db = this.handle;
    const row = db.prepare("SELECT * FROM credentials WHERE token_hash = ?").get(hashToken(token)) as
      | { device_id: string; issued_at: number; first_used_at: number | null; expires_at: number | null }
      | undefined;
    if (row === undefined || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    if (row.first_used_at === null) {
      db.transaction(() => {
        db.prepare("UPDATE credentials SET first_used_at = ? WHERE token_hash = ?").run(
          now,
          hashToken(token),
        );
        db.prepare(
          `UPDATE credentials SET expires_at = ? WHERE device_id = ? AND issued_at <= ? AND token_hash <> ?
             AND (expires_at IS NULL OR expires_at > ?)`,
        ).run(now, row.device_id, row.issued_at, hashToken(token), now);
      }).immediate();
    }
    return row.device_id;
  }

  /** Rotation: a new credential; the old one expires at `oldValidUntil` unless the new one is used first. */
  rotate(oldToken: string, deviceId: string, oldValidUntil: number): string {
    const token = this.issueCredential(deviceId);
    this.handle
      .prepare("UPDATE credentials SET expires_at = ? WHERE token_hash = ?")
      .run(oldValidUntil, hashToken(oldToken));
    return token;
  }

  /** Stores an upload item; false when (device_id, fiscal_number) was already stored (a duplicate). */
  insertUpload(item: StoredUpload): boolean {
    return (
      this.cached(
        `INSERT OR IGNORE INTO invoices (device_id, fiscal_number, invoice_id, fiscal_authority_id, outlet_id,
             merchant_nif, cashier_id, api_key_id, record, signature, auth_code, qr, invoice, dgi_status, received_at,
             record_v, dgi_type, fiscal_year, year_number, isf, rn)
           VALUES (@device_id, @fiscal_number, @invoice_id, @fiscal_authority_id, @outlet_id, @merchant_nif,
             @cashier_id, @api_key_id, @record, @signature, @auth_code, @qr, @invoice, @dgi_status, @received_at,
             @record_v, @dgi_type, @fiscal_year, @year_number, @isf, @rn)`,
      ).run({ ...item, dgi_status: EMULATED_DGI_STATUS, received_at: Date.now() }).changes === 1
    );
  }

  /** Runs `fn` in one immediate transaction (a whole batch is stored at once). */
  inTransaction<T>(fn: () => T): T {
    return this.handle.transaction(fn).immediate();
  }

  /** The record bytes already stored under (device_id, fiscal_number). */
  storedRecord(deviceId: string, fiscalNumber: number): Buffer | undefined {
    const row = this.cached("SELECT record FROM invoices WHERE device_id = ? AND fiscal_number = ?").get(
      deviceId,
      fiscalNumber,
    ) as { record: Buffer } | undefined;
    return row?.record;
  }

  /** Received invoices in fiscal-number order (for tests and the admin endpoint). */
  invoices(deviceId?: string, limit = 1_000_000): ReceivedInvoice[] {
    return this.handle
      .prepare(
        `SELECT device_id, fiscal_number, invoice_id, fiscal_authority_id, outlet_id, merchant_nif, cashier_id,
           api_key_id, auth_code, invoice IS NOT NULL AS has_invoice, dgi_status,
           record_v, dgi_type, fiscal_year, year_number, isf, rn FROM invoices
         WHERE (@device IS NULL OR device_id = @device) ORDER BY device_id, fiscal_number LIMIT @limit`,
      )
      .all({ device: deviceId ?? null, limit }) as ReceivedInvoice[];
  }

  /** How many invoices are stored. */
  invoiceCount(): number {
    return (this.handle.prepare("SELECT COUNT(*) AS n FROM invoices").get() as { n: number }).n;
  }

  /** Stores a report; false when (device_id, kind, number) was already stored (a duplicate). */
  insertReport(report: StoredReportUpload): boolean {
    return (
      this.cached(
        `INSERT OR IGNORE INTO reports (device_id, kind, number, issued_at, after_fiscal_number,
             first_fiscal_number, last_fiscal_number, period, record, signature, record_hash, received_at)
           VALUES (@device_id, @kind, @number, @issued_at, @after_fiscal_number, @first_fiscal_number,
             @last_fiscal_number, @period, @record, @signature, @record_hash, @received_at)`,
      ).run({ ...report, received_at: Date.now() }).changes === 1
    );
  }

  /** The report bytes already stored under (device_id, kind, number). */
  storedReport(deviceId: string, kind: string, number: number): Buffer | undefined {
    const row = this.cached("SELECT record FROM reports WHERE device_id = ? AND kind = ? AND number = ?").get(
      deviceId,
      kind,
      number,
    ) as { record: Buffer } | undefined;
    return row?.record;
  }

  /** Received reports by device, kind and number (for tests and the admin endpoint). */
  reports(deviceId?: string, kind?: string, limit = 1_000_000): ReceivedReport[] {
    return this.handle
      .prepare(
        `SELECT device_id, kind, number, issued_at, after_fiscal_number, first_fiscal_number, last_fiscal_number,
           period, record_hash, received_at FROM reports
         WHERE (@device IS NULL OR device_id = @device) AND (@kind IS NULL OR kind = @kind)
         ORDER BY device_id, kind, number LIMIT @limit`,
      )
      .all({ device: deviceId ?? null, kind: kind ?? null, limit }) as ReceivedReport[];
  }

  /** How many reports are stored. */
  reportCount(): number {
    return (this.handle.prepare("SELECT COUNT(*) AS n FROM reports").get() as { n: number }).n;
  }
}
