/**
 * FiscalMemory: the DEF's non-volatile memory, in SQLite (WAL, synchronous=FULL). It holds the
 * identity burnt in at manufacture, the activation, the clock offset and the append-only journal
 * with its counters (global, per type, per fiscal year). Appending a record is ONE immediate
 * transaction that inserts the journal row, with the canonical invoice bytes it seals, and moves the
 * counters, so a kill at any instant leaves either both or neither.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { openPrivateDatabase, restrictDatabaseFiles } from "../../daemon/store/private-files.js";
import {
  FiscalError,
  generateKeyPair,
  INVOICE_TYPES_V2,
  type InvoiceTypeV2,
  type SignedBlob,
} from "../../protocol/index.js";
import { JournalQueries } from "./journal-queries.js";
import { type JournalAppend, JournalWriter } from "./journal-writer.js";
import { type ReportAppend, ReportStore } from "./report-store.js";

export type { JournalAppend, JournalReference } from "./journal-writer.js";
export type { ReportAppend, StoredReport } from "./report-store.js";

import { migrate } from "./migrations.js";

/** File name of the fiscal memory inside the state directory. */
export const FISCAL_MEMORY_FILE = "fiscal-memory.sqlite";

/** What the device was given at manufacture. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly cloudRootKey: Uint8Array;
  readonly manufacturedAt: number;
}

/** What ACTIVATE stored. */
export interface StoredActivation {
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
  readonly activation: SignedBlob;
  /** The cloud-signed bundle ACTIVATE was given; null for a device activated before migration 2. */
  readonly bundle: SignedBlob | null;
}

/** The journal's head: counters and the chain tip. */
export interface JournalHead {
  readonly lastFiscalNumber: number;
  readonly lastHash: Uint8Array | null;
  readonly lastIssuedAt: number | null;
  readonly typeCounters: Readonly<Record<InvoiceTypeV2, number>>;
  /** Fiscal year → the last year number sealed in it (years with no record v2 are absent). */
  readonly yearCounters: ReadonlyMap<number, number>;
}

interface DeviceRow {
  device_id: string;
  seed: Buffer;
  public_key: Buffer;
  cloud_root_key: Buffer;
  manufactured_at: number;
  clock_offset_ms: number;
  lock_reason: string | null;
  merchant_nif: string | null;
  outlet_id: string | null;
  fiscal_authority_id: string | null;
  activation_bytes: Buffer | null;
  activation_signature: Buffer | null;
  activation_bundle: Buffer | null;
  activation_bundle_signature: Buffer | null;
  last_fiscal_number: number;
  last_hash: Buffer | null;
  last_issued_at: number | null;
  incomplete: number;
}

/** Options for opening (and, the first time, manufacturing) the fiscal memory. */
export interface OpenOptions {
  /** Root key to trust at manufacture, or to replace the stored one with. */
  readonly cloudRootKey: Uint8Array | undefined;
  /** The development root key used when a new device is given none. */
  readonly defaultCloudRootKey: Uint8Array;
  readonly now: number;
}

const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
const bytes = (b: Buffer): Uint8Array => new Uint8Array(b);

/** The SQLite-backed fiscal memory of one emulated DEF. */
export class FiscalMemory {
  private db: Database.Database | null = null;
  private row: DeviceRow | null = null;
  private typeCounters: Record<InvoiceTypeV2, number> = emptyTypeCounters();
  private yearCounters = new Map<number, number>();
  private queriesOf: JournalQueries | null = null;
  private identityCache: DeviceIdentity | null = null;
  private writer: JournalWriter | null = null;
  private reportsOf: ReportStore | null = null;

  /** `stateDir` is created on open if missing. */
  constructor(readonly stateDir: string) {}

  /**
   * Opens the database, migrates it, and manufactures the device on first use. It holds the device's
   * private key: the state directory is made 0700 and the files 0600 at every open, whatever the umask.
   */
  open(options: OpenOptions): void {
    const path = join(this.stateDir, FISCAL_MEMORY_FILE);
    const db = openPrivateDatabase(path, { timeout: 0 });
    this.db = db;
    try {
      // One device, one owner: a second emulator on the same state directory would fork the journal.
      // The exclusive lock is taken by the first read and released by the OS even after a SIGKILL.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      restrictDatabaseFiles(path);
      db.pragma("synchronous = FULL");
      migrate(db);
      if (db.prepare("SELECT 1 FROM device").get() === undefined) manufacture(db, options);
      else if (options.cloudRootKey !== undefined) {
        db.prepare("UPDATE device SET cloud_root_key = ?").run(buf(options.cloudRootKey));
      }
      this.queriesOf = new JournalQueries(db);
      this.reportsOf = new ReportStore(db);
      this.reload();
    } catch (err) {
      this.close();
      if ((err as { code?: string }).code === "SQLITE_BUSY") {
        throw new Error(`the state directory ${this.stateDir} is in use by another emulator`);
      }
      throw err;
    }
  }

  /** Closes the database; safe to call twice. */
  close(): void {
    this.db?.close();
    this.db = null;
    this.queriesOf = null;
    this.reportsOf = null;
    this.writer = null;
    this.row = null;
    this.identityCache = null;
  }

  /** Read-only lookups into the journal. */
  get queries(): JournalQueries {
    if (this.queriesOf === null) throw new FiscalError("STORAGE_FAILURE", "fiscal memory is closed");
    return this.queriesOf;
  }

  /** The journaled reports (Z, monthly and yearly closures). */
  get reports(): ReportStore {
    if (this.reportsOf === null) throw new FiscalError("STORAGE_FAILURE", "fiscal memory is closed");
    return this.reportsOf;
  }

  /** PREPAREs of the open day that ended without COMMIT. */
  get incomplete(): number {
    return this.current().incomplete;
  }

  /** Counts `count` more PREPAREs that ended without COMMIT (aborted, expired or dropped). */
  addIncomplete(count: number): void {
    if (count <= 0) return;
    this.handle().prepare("UPDATE device SET incomplete = incomplete + ?").run(count);
    this.current().incomplete += count;
  }

  /**
   * Appends journaled reports (closures, then the Z) and moves the chain tip to the last one, and
   * resets the day's incomplete count, atomically.
   */
  appendReports(entries: readonly ReportAppend[]): void {
    if (entries.length === 0) return;
    this.reports.append(entries);
    const newest = entries[entries.length - 1]!;
    const r = this.current();
    r.last_hash = buf(newest.recordHash);
    r.last_issued_at = newest.issuedAt;
    r.incomplete = 0;
  }

  /** The identity from manufacture. */
  get identity(): DeviceIdentity {
    if (this.identityCache === null) throw new FiscalError("STORAGE_FAILURE", "fiscal memory is closed");
    return this.identityCache;
  }

  /** The activation, or null for a device never activated. */
  get activation(): StoredActivation | null {
    const r = this.current();
    if (r.activation_bytes === null || r.activation_signature === null) return null;
    return {
      merchant_nif: r.merchant_nif!,
      outlet_id: r.outlet_id!,
      fiscal_authority_id: r.fiscal_authority_id!,
      activation: { bytes: bytes(r.activation_bytes), signature: bytes(r.activation_signature) },
      bundle:
        r.activation_bundle === null || r.activation_bundle_signature === null
          ? null
          : { bytes: bytes(r.activation_bundle), signature: bytes(r.activation_bundle_signature) },
    };
  }

  /** Whether ACTIVATE has succeeded on this device. */
  get activated(): boolean {
    return this.current().activation_bytes !== null;
  }

  /** Why the device is locked (other than a full journal, which is derived), or null. */
  get lockReason(): string | null {
    return this.current().lock_reason;
  }

  /** The persistent clock offset, in ms. */
  get clockOffsetMs(): number {
    return this.current().clock_offset_ms;
  }

  /** Counters and chain tip. */
  get head(): JournalHead {
    const r = this.current();
    return {
      lastFiscalNumber: r.last_fiscal_number,
      lastHash: r.last_hash === null ? null : bytes(r.last_hash),
      lastIssuedAt: r.last_issued_at,
      typeCounters: { ...this.typeCounters },
      yearCounters: new Map(this.yearCounters),
    };
  }

  /** The last year number sealed in `fiscalYear`, 0 before its first record; cheaper than `head`. */
  lastYearNumber(fiscalYear: number): number {
    this.current();
    return this.yearCounters.get(fiscalYear) ?? 0;
  }

  /** The newest fiscal number (0 for an empty journal); cheaper than `head`. */
  get lastFiscalNumber(): number {
    return this.current().last_fiscal_number;
  }

  /** Device time of the newest record, or null for an empty journal; cheaper than `head`. */
  get lastIssuedAt(): number | null {
    return this.current().last_issued_at;
  }

  /** Persists a new clock offset. */
  setClockOffset(offsetMs: number): void {
    this.handle().prepare("UPDATE device SET clock_offset_ms = ?").run(offsetMs);
    this.current().clock_offset_ms = offsetMs;
  }

  /** Persists (or clears, with null) a lock. */
  setLockReason(reason: string | null): void {
    this.handle().prepare("UPDATE device SET lock_reason = ?").run(reason);
    this.current().lock_reason = reason;
  }

  /** Persists the activation; refuses a second one even if the caller forgot to check. */
  saveActivation(activation: StoredActivation): void {
    const result = this.handle()
      .prepare(
        `UPDATE device SET merchant_nif = ?, outlet_id = ?, fiscal_authority_id = ?,
           activation_bytes = ?, activation_signature = ?, activation_bundle = ?,
           activation_bundle_signature = ? WHERE activation_bytes IS NULL`,
      )
      .run(
        activation.merchant_nif,
        activation.outlet_id,
        activation.fiscal_authority_id,
        buf(activation.activation.bytes),
        buf(activation.activation.signature),
        activation.bundle === null ? null : buf(activation.bundle.bytes),
        activation.bundle === null ? null : buf(activation.bundle.signature),
      );
    if (result.changes !== 1) throw new FiscalError("DEVICE_ALREADY_ACTIVATED");
    this.reload();
  }

  /**
   * Appends one sealed record and moves the global, per-type and per-year counters, atomically. The
   * global and year counters are re-read inside the transaction, so a record can only ever follow the
   * one it was chained to and numbered after.
   */
  append(entry: JournalAppend): void {
    this.writer ??= new JournalWriter(this.handle());
    try {
      this.writer.append(entry);
    } catch (err) {
      if ((err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        throw new FiscalError("ALREADY_FISCALIZED", "the payload or client_ref is already in the journal");
      }
      throw err;
    }
    const r = this.current();
    r.last_fiscal_number = entry.fiscalNumber;
    r.last_hash = buf(entry.recordHash);
    r.last_issued_at = entry.issuedAt;
    this.typeCounters[entry.invoiceType] = entry.typeNumber;
    this.yearCounters.set(entry.fiscalYear, entry.yearNumber);
  }

  /** SQLite's own consistency check: "ok", or what it found. */
  quickCheck(): string {
    const rows = this.handle().pragma("quick_check") as { quick_check: string }[];
    return rows.map((r) => r.quick_check).join("; ");
  }

  private reload(): void {
    const db = this.handle();
    const r = db.prepare("SELECT * FROM device").get() as DeviceRow;
    this.row = r;
    this.identityCache = {
      deviceId: r.device_id,
      seed: bytes(r.seed),
      publicKey: bytes(r.public_key),
      cloudRootKey: bytes(r.cloud_root_key),
      manufacturedAt: r.manufactured_at,
    };
    this.typeCounters = emptyTypeCounters();
    const counters = db.prepare("SELECT invoice_type, last_number FROM type_counter").all() as {
      invoice_type: InvoiceTypeV2;
      last_number: number;
    }[];
    for (const c of counters) this.typeCounters[c.invoice_type] = c.last_number;
    const years = db.prepare("SELECT fiscal_year, last_number FROM year_counter").all() as {
      fiscal_year: number;
      last_number: number;
    }[];
    this.yearCounters = new Map(years.map((y) => [y.fiscal_year, y.last_number]));
  }

  private handle(): Database.Database {
    if (this.db === null) throw new FiscalError("STORAGE_FAILURE", "fiscal memory is closed");
    return this.db;
  }

  private current(): DeviceRow {
    if (this.row === null) throw new FiscalError("STORAGE_FAILURE", "fiscal memory is closed");
    return this.row;
  }
}

/** Every invoice type of version 2 (a superset of version 1's) at zero. */
export function emptyTypeCounters(): Record<InvoiceTypeV2, number> {
  return Object.fromEntries(INVOICE_TYPES_V2.map((t) => [t, 0])) as Record<InvoiceTypeV2, number>;
}

/** First start: a serial number, a key pair and the trusted cloud root key. */
function manufacture(db: Database.Database, options: OpenOptions): void {
  const deviceId = `DEF-${randomBytes(4).toString("hex").toUpperCase()}`;
  const keys = generateKeyPair();
  db.prepare(
    `INSERT INTO device (id, device_id, seed, public_key, cloud_root_key, manufactured_at)
       VALUES (1, ?, ?, ?, ?, ?)`,
  ).run(
    deviceId,
    buf(keys.seed),
    buf(keys.publicKey),
    buf(options.cloudRootKey ?? options.defaultCloudRootKey),
    options.now,
  );
}
