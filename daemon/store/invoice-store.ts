/**
 * Invoices, their transitions, their sealed records and the upload outbox. Every write is one
 * synchronous immediate transaction with no await inside: a sealed record, its FISCALIZED transition
 * and its outbox entry are on disk together or not at all.
 */
import { randomBytes } from "node:crypto";
import type { FiscalRecord, InvoiceTotals, SealedRecord } from "../../protocol/index.js";
import { FiscalError, recordHash } from "../../protocol/index.js";
import { assertTransition, pathBetween } from "../fiscal/lifecycle.js";
import type { InvoiceState } from "../fiscal/types.js";
import { type Db, statement } from "./database.js";

/** An invoice row as stored. */
export interface InvoiceRow {
  readonly id: string;
  readonly idempotency_key: string | null;
  readonly request_fingerprint: string | null;
  readonly client_ref: string;
  readonly type: string;
  readonly state: InvoiceState;
  readonly api_key_id: string | null;
  readonly cashier_id: string;
  readonly currency: string;
  readonly totals_json: string;
  readonly payload: Uint8Array | null;
  readonly payload_hash: Uint8Array;
  readonly ref_device_id: string | null;
  readonly ref_fiscal_number: number | null;
  readonly nonce: Uint8Array | null;
  readonly commit_before: number | null;
  readonly error_code: number | null;
  readonly error_message: string | null;
  readonly source: string;
  /** `one-shot` (POST /v1/invoices) or `two-step` (prepare, then commit). */
  readonly mode: string;
  readonly created_at: number;
}

/** What a new invoice needs. */
export interface NewInvoice {
  readonly idempotencyKey: string | null;
  readonly requestFingerprint: string | null;
  readonly clientRef: string;
  readonly type: string;
  readonly apiKeyId: string | null;
  readonly cashierId: string;
  readonly currency: string;
  readonly totals: InvoiceTotals;
  readonly payload: Uint8Array | null;
  readonly payloadHash: Uint8Array;
  readonly reference?: { readonly deviceId: string; readonly fiscalNumber: number };
  readonly mode: "one-shot" | "two-step";
}

/** A sealed record as stored next to its invoice. */
export interface RecordRow {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_id: string;
  readonly type_number: number;
  readonly issued_at: number;
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly auth_code: string;
  readonly qr: string;
  readonly record_hash: Uint8Array;
}

/** Makes an invoice id: `inv_` and 16 base64url characters of randomness. */
export function newInvoiceId(): string {
  return `inv_${randomBytes(12).toString("base64url")}`;
}

/** Invoice persistence. Methods are synchronous; callers never hold a transaction across an await. */
export class InvoiceStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Runs `write` as one immediate transaction; with `durable` false it is committed without waiting for
   * fsync (synchronous=NORMAL): it survives a process crash, and a power cut can lose it but never
   * tear it. The next durable commit's fsync flushes it too, since the WAL is written in order.
   */
  private write(durable: boolean, write: () => void): void {
    if (durable) {
      this.db.transaction(write).immediate();
      return;
    }
    this.db.pragma("synchronous = NORMAL");
    try {
      this.db.transaction(write).immediate();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  /**
   * Inserts a new attempt in PREPARING (not fsync'd: see FiscalService for why that is safe). It binds
   * no key: `transition(…, { bind: true })` and `seal` do, once the attempt reaches a state the POS may
   * act on.
   */
  insertPreparing(invoice: NewInvoice): InvoiceRow {
    const id = newInvoiceId();
    const at = this.now();
    this.write(false, () => {
      statement(
        this.db,
        `INSERT INTO invoices (id, idempotency_key, request_fingerprint, client_ref, type, state, api_key_id,
               cashier_id, currency, totals_json, payload, payload_hash, ref_device_id, ref_fiscal_number, mode,
               created_at)
             VALUES (?, ?, ?, ?, ?, 'PREPARING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        invoice.idempotencyKey,
        invoice.requestFingerprint,
        invoice.clientRef,
        invoice.type,
        invoice.apiKeyId,
        invoice.cashierId,
        invoice.currency,
        JSON.stringify(invoice.totals),
        invoice.payload,
        invoice.payloadHash,
        invoice.reference?.deviceId ?? null,
        invoice.reference?.fiscalNumber ?? null,
        invoice.mode,
        at,
      );
      this.addTransition(id, "PREPARING", at, null);
    });
    return this.byId(id)!;
  }

  /**
   * Moves an invoice from `from` to `to`, recording the transition, and sets the given fields. Durable
   * (fsync'd) unless `durable: false`.
   */
  transition(
    id: string,
    from: InvoiceState,
    to: InvoiceState,
    fields: {
      nonce?: Uint8Array;
      commitBefore?: number;
      error?: FiscalError;
      note?: string;
      durable?: boolean;
      /** Bind the invoice's Idempotency-Key to it in the same transaction. */
      bind?: boolean;
    } = {},
  ): InvoiceRow {
    assertTransition(from, to);
    this.write(fields.durable ?? true, () => {
      this.moveState(id, from, to, fields.note ?? null);
      if (fields.bind) this.bindKey(id);
      if (fields.nonce !== undefined) {
        statement(this.db, "UPDATE invoices SET nonce = ?, commit_before = ? WHERE id = ?").run(
          fields.nonce,
          fields.commitBefore ?? null,
          id,
        );
      }
      if (fields.error !== undefined) {
        statement(this.db, "UPDATE invoices SET error_code = ?, error_message = ? WHERE id = ?").run(
          fields.error.code,
          fields.error.text,
          id,
        );
      }
    });
    return this.byId(id)!;
  }

  /**
   * DELIVERED → SYNCED for an invoice the cloud acknowledged, inside the caller's transaction (the sync
   * agent applies a batch of acks in one). An invoice not yet DELIVERED is left alone: the POS's
   * delivery confirmation makes the move then (FiscalService.markDelivered). Returns whether it moved.
   */
  markSynced(id: string, note: string): boolean {
    return this.moveIfIn(id, "DELIVERED", "SYNCED", note);
  }

  /**
   * Seals an invoice: PREPARED → FISCALIZED, the record, and its outbox entry, in one transaction.
   * `note` explains a seal found by reconciliation rather than by the COMMIT reply.
   */
  seal(id: string, record: FiscalRecord, sealed: SealedRecord, note: string | null = null): InvoiceRow {
    this.db
      .transaction(() => {
        const row = this.byId(id);
        if (row === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no invoice ${id}`);
        for (const [from, to] of steps(row.state, "FISCALIZED")) this.moveState(id, from, to, note);
        this.insertRecord(id, record, sealed);
        this.bindKey(id);
      })
      .immediate();
    return this.byId(id)!;
  }

  /**
   * The one correction the journal may force: an invoice stored ABORTED whose payload the device
   * journal holds sealed (a store written before the in-doubt rule, docs/API.md §5). The record is
   * attached to that invoice, never imported beside it; the transition says why.
   */
  correctAborted(id: string, record: FiscalRecord, sealed: SealedRecord): InvoiceRow {
    this.db
      .transaction(() => {
        const changed = statement(
          this.db,
          "UPDATE invoices SET state = 'FISCALIZED' WHERE id = ? AND state = 'ABORTED'",
        ).run(id).changes;
        if (changed !== 1) throw new FiscalError("INVALID_STATE", `invoice ${id} is no longer ABORTED`);
        this.addTransition(
          id,
          "FISCALIZED",
          this.now(),
          "correction: the device journal holds this invoice sealed; it had been stored ABORTED",
        );
        this.insertRecord(id, record, sealed);
        this.bindKey(id);
      })
      .immediate();
    return this.byId(id)!;
  }

  /**
   * FISCALIZED → DELIVERED, and on to SYNCED when the cloud has already acknowledged it, in one
   * transaction: a crash can never leave an acknowledged, delivered invoice short of SYNCED.
   */
  deliver(id: string): InvoiceRow {
    this.db
      .transaction(() => {
        this.moveState(id, "FISCALIZED", "DELIVERED", null);
        const outbox = statement(this.db, "SELECT status FROM outbox WHERE invoice_id = ?").get(id) as
          | { status: string }
          | undefined;
        if (outbox?.status === "ACKED") this.moveState(id, "DELIVERED", "SYNCED", null);
      })
      .immediate();
    return this.byId(id)!;
  }

  /**
   * Stores a journal record the daemon never saw sealed (it crashed after COMMIT, or the store was
   * restored from a backup): a new invoice without payload, walked through the lifecycle to FISCALIZED.
   */
  importRecord(record: FiscalRecord, sealed: SealedRecord): InvoiceRow {
    const id = newInvoiceId();
    this.db
      .transaction(() => {
        const at = this.now();
        statement(
          this.db,
          `INSERT INTO invoices (id, client_ref, type, state, cashier_id, currency, totals_json, payload_hash,
               ref_device_id, ref_fiscal_number, source, created_at)
             VALUES (?, ?, ?, 'PREPARING', ?, ?, ?, ?, ?, ?, 'device-journal', ?)`,
        ).run(
          id,
          record.client_ref,
          record.invoice_type,
          record.cashier_id,
          record.currency,
          JSON.stringify(record.totals),
          record.payload_hash,
          record.reference?.device_id ?? null,
          record.reference?.fiscal_number ?? null,
          at,
        );
        this.addTransition(id, "PREPARING", at, "imported from the device journal");
        for (const [from, to] of steps("PREPARING", "FISCALIZED"))
          this.moveState(id, from, to, "imported from the device journal");
        this.insertRecord(id, record, sealed);
      })
      .immediate();
    return this.byId(id)!;
  }

  /** The invoice with this id. */
  byId(id: string): InvoiceRow | undefined {
    return statement(this.db, "SELECT * FROM invoices WHERE id = ?").get(id) as InvoiceRow | undefined;
  }

  /** The invoice an API key's Idempotency-Key is bound to. */
  boundTo(apiKeyId: string, key: string): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT invoices.* FROM idempotency_keys k JOIN invoices ON invoices.id = k.invoice_id
         WHERE k.api_key_id = ? AND k.idempotency_key = ?`,
    ).get(apiKeyId, key) as InvoiceRow | undefined;
  }

  /** The latest attempt an API key made with this Idempotency-Key that is still open (PREPARING, PREPARED). */
  openAttempt(apiKeyId: string, key: string): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT * FROM invoices WHERE api_key_id = ? AND idempotency_key = ? AND state IN ('PREPARING', 'PREPARED')
         ORDER BY rowid DESC LIMIT 1`,
    ).get(apiKeyId, key) as InvoiceRow | undefined;
  }

  /**
   * For the technician, across API keys: the invoice with this id, else the one most recently bound to
   * this Idempotency-Key, else the sealed one with this client_ref.
   */
  byIdOrAnyKey(key: string): InvoiceRow | undefined {
    return (
      this.byId(key) ??
      (statement(
        this.db,
        `SELECT invoices.* FROM idempotency_keys k JOIN invoices ON invoices.id = k.invoice_id
           WHERE k.idempotency_key = ? ORDER BY k.bound_at DESC LIMIT 1`,
      ).get(key) as InvoiceRow | undefined) ??
      this.sealedByClientRef(key)
    );
  }

  /** Two-step invoices still PREPARED whose nonce expired before `now`. */
  expiredPrepared(now: number): InvoiceRow[] {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE state = 'PREPARED' AND mode = 'two-step' AND commit_before <= ? ORDER BY rowid",
    ).all(now) as InvoiceRow[];
  }

  /** The latest open invoice (PREPARING, PREPARED) with this payload hash, if any. */
  openByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE payload_hash = ? AND state IN ('PREPARING', 'PREPARED') ORDER BY rowid DESC LIMIT 1",
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The open invoice holding this device nonce, if any. */
  openByNonce(nonce: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE nonce = ? AND state IN ('PREPARING', 'PREPARED') LIMIT 1",
    ).get(nonce) as InvoiceRow | undefined;
  }

  /**
   * The latest POS invoice (not an import) with this payload hash that the store holds unsealed and
   * the device may have sealed: open or ABORTED. A REJECTED one never is (the device refused its
   * PREPARE), so it never hides an older ABORTED attempt of the same payload.
   */
  unsealedByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      `SELECT * FROM invoices WHERE payload_hash = ? AND source = 'pos'
         AND state IN ('PREPARING', 'PREPARED', 'ABORTED') ORDER BY rowid DESC LIMIT 1`,
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The sealed invoice with this payload hash (at most one: the device refuses to seal a payload twice). */
  sealedByPayloadHash(hash: Uint8Array): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE payload_hash = ? AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED') LIMIT 1",
    ).get(hash) as InvoiceRow | undefined;
  }

  /** The sealed invoice with this client_ref. */
  sealedByClientRef(clientRef: string): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE client_ref = ? AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED') LIMIT 1",
    ).get(clientRef) as InvoiceRow | undefined;
  }

  /** The invoice imported from the device journal (no key owns it) with this client_ref. */
  importedByClientRef(clientRef: string): InvoiceRow | undefined {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE client_ref = ? AND source = 'device-journal' LIMIT 1",
    ).get(clientRef) as InvoiceRow | undefined;
  }

  /** The sealed record of an invoice. */
  recordOf(invoiceId: string): RecordRow | undefined {
    return statement(this.db, "SELECT * FROM fiscal_records WHERE invoice_id = ?").get(invoiceId) as
      | RecordRow
      | undefined;
  }

  /** The sealed record with this fiscal number on this device. */
  recordByNumber(deviceId: string, fiscalNumber: number): RecordRow | undefined {
    return statement(this.db, "SELECT * FROM fiscal_records WHERE device_id = ? AND fiscal_number = ?").get(
      deviceId,
      fiscalNumber,
    ) as RecordRow | undefined;
  }

  /** The highest fiscal number stored for a device and how many records are stored (0, 0 when none). */
  journalExtent(deviceId: string): { max: number; count: number } {
    const row = statement(
      this.db,
      "SELECT COALESCE(MAX(fiscal_number), 0) AS max, COUNT(*) AS count FROM fiscal_records WHERE device_id = ?",
    ).get(deviceId) as { max: number; count: number };
    return row;
  }

  /** The lowest fiscal number in 1..max missing from the store, or undefined when contiguous. */
  firstGap(deviceId: string): number | undefined {
    const { max, count } = this.journalExtent(deviceId);
    if (count === max) return undefined;
    const row = statement(
      this.db,
      `SELECT 1 AS n WHERE NOT EXISTS (SELECT 1 FROM fiscal_records WHERE device_id = @d AND fiscal_number = 1)
         UNION ALL
         SELECT fiscal_number + 1 FROM fiscal_records r WHERE device_id = @d AND NOT EXISTS
           (SELECT 1 FROM fiscal_records WHERE device_id = @d AND fiscal_number = r.fiscal_number + 1)
         ORDER BY n LIMIT 1`,
    ).get({ d: deviceId }) as { n: number } | undefined;
    return row?.n;
  }

  /** Total already credited against an original by sealed credit notes. */
  creditedAgainst(deviceId: string, fiscalNumber: number): number {
    const rows = statement(
      this.db,
      `SELECT totals_json FROM invoices WHERE ref_device_id = ? AND ref_fiscal_number = ?
           AND state IN ('FISCALIZED', 'DELIVERED', 'SYNCED')`,
    ).all(deviceId, fiscalNumber) as { totals_json: string }[];
    return rows.reduce((sum, r) => sum + (JSON.parse(r.totals_json) as InvoiceTotals).total, 0);
  }

  /** Invoices whose outcome at the device is not final (PREPARING, PREPARED). */
  openInvoices(): InvoiceRow[] {
    return statement(
      this.db,
      "SELECT * FROM invoices WHERE state IN ('PREPARING', 'PREPARED') ORDER BY rowid",
    ).all() as InvoiceRow[];
  }

  /** Runs a read-only query over invoices (for the list's dynamic filters). */
  query<T>(sql: string, params: readonly (string | number)[]): T[] {
    return statement(this.db, sql).all(...params) as T[];
  }

  /** Transitions of an invoice, oldest first. */
  transitionsOf(invoiceId: string): { state: InvoiceState; at: number; note: string | null }[] {
    return statement(
      this.db,
      "SELECT state, at, note FROM invoice_transitions WHERE invoice_id = ? ORDER BY id",
    ).all(invoiceId) as { state: InvoiceState; at: number; note: string | null }[];
  }

  private moveState(id: string, from: InvoiceState, to: InvoiceState, note: string | null): void {
    if (!this.moveIfIn(id, from, to, note))
      throw new FiscalError("INVALID_STATE", `invoice ${id} is no longer ${from}`);
  }

  /** Moves the invoice from `from` to `to` with its transition row if it is in `from`; says whether. */
  private moveIfIn(id: string, from: InvoiceState, to: InvoiceState, note: string | null): boolean {
    assertTransition(from, to);
    const changed = statement(this.db, "UPDATE invoices SET state = ? WHERE id = ? AND state = ?").run(
      to,
      id,
      from,
    ).changes;
    if (changed === 1) this.addTransition(id, to, this.now(), note);
    return changed === 1;
  }

  /** Binds the invoice's Idempotency-Key to it, unless the key is bound already (it keeps its invoice). */
  private bindKey(id: string): void {
    statement(
      this.db,
      `INSERT OR IGNORE INTO idempotency_keys (api_key_id, idempotency_key, invoice_id, bound_at)
         SELECT COALESCE(api_key_id, ''), idempotency_key, id, ? FROM invoices
          WHERE id = ? AND idempotency_key IS NOT NULL`,
    ).run(this.now(), id);
  }

  private addTransition(id: string, state: InvoiceState, at: number, note: string | null): void {
    statement(
      this.db,
      "INSERT INTO invoice_transitions (invoice_id, state, at, note) VALUES (?, ?, ?, ?)",
    ).run(id, state, at, note);
  }

  private insertRecord(invoiceId: string, record: FiscalRecord, sealed: SealedRecord): void {
    const at = this.now();
    statement(
      this.db,
      `INSERT INTO fiscal_records (device_id, fiscal_number, invoice_id, type_number, issued_at, record, signature,
           auth_code, qr, record_hash, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      record.device_id,
      record.fiscal_number,
      invoiceId,
      record.type_number,
      record.issued_at,
      sealed.record,
      sealed.signature,
      sealed.auth_code,
      sealed.qr,
      recordHash(sealed.record),
      at,
    );
    statement(
      this.db,
      `INSERT INTO outbox (invoice_id, seq, next_attempt_at, enqueued_at)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?, ?)`,
    ).run(invoiceId, at, at);
  }
}

function steps(from: InvoiceState, to: InvoiceState): [InvoiceState, InvoiceState][] {
  const path = pathBetween(from, to);
  if (path === undefined) throw new FiscalError("INVALID_STATE", `an invoice in ${from} cannot become ${to}`);
  return path.slice(1).map((state, i) => [path[i]!, state]);
}
