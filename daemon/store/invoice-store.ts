/**
 * Invoices, their transitions, their sealed records and the upload outbox: the writes (the reads are
 * InvoiceReads, which this extends). Every write is one synchronous immediate transaction with no
 * await inside: a sealed record, its FISCALIZED transition and its outbox entry are on disk together
 * or not at all.
 */
import { randomBytes } from "node:crypto";
import type { FiscalRecord, SealedRecord } from "../../protocol/index.js";
import { FiscalError, recordHash, sha256 } from "../../protocol/index.js";
import { assertTransition, pathBetween } from "../fiscal/lifecycle.js";
import type { AnyInvoiceTotals, InvoiceState } from "../fiscal/types.js";
import { type Db, statement } from "./database.js";
import { GroupCommit, type SyncFile } from "./group-commit.js";
import { InvoiceReads, type InvoiceRow } from "./invoice-reads.js";

export type { InvoiceRow, RecordRow } from "./invoice-reads.js";

/** What a new invoice needs. */
export interface NewInvoice {
  readonly idempotencyKey: string | null;
  readonly requestFingerprint: string | null;
  readonly clientRef: string;
  readonly type: string;
  readonly apiKeyId: string | null;
  readonly cashierId: string;
  readonly currency: string;
  readonly totals: AnyInvoiceTotals;
  readonly payload: Uint8Array | null;
  readonly payloadHash: Uint8Array;
  readonly reference?: { readonly deviceId: string; readonly fiscalNumber: number };
  readonly mode: "one-shot" | "two-step";
}

/** Makes an invoice id: `inv_` and 16 base64url characters of randomness. */
export function newInvoiceId(): string {
  return `inv_${randomBytes(12).toString("base64url")}`;
}

/** A one-shot attempt the device has prepared (FiscalService.prepareNew): what `insertPrepared` stores. */
export interface PreparedAttempt {
  readonly nonce: Uint8Array;
  readonly commitBefore: number;
  /** When the attempt began (its PREPARING transition and created_at) and when PREPARE answered. */
  readonly preparingAt: number;
  readonly preparedAt: number;
}

/** Invoice persistence. Methods are synchronous, but for the grouped seal; no transaction spans an await. */
export class InvoiceStore extends InvoiceReads {
  /** The seals of the POS's COMMITs share fsyncs (group-commit.ts). */
  readonly group: GroupCommit;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
    syncFile?: SyncFile,
  ) {
    super(db);
    this.group = new GroupCommit(db, syncFile);
  }

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
  insertPreparing(invoice: NewInvoice, at = this.now()): InvoiceRow {
    const id = newInvoiceId();
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
   * Stores a one-shot attempt once the device has PREPAREd it, in ONE write (not fsync'd): the invoice
   * in PREPARED with its nonce, and both its PREPARING and PREPARED transitions, at their own instants.
   * This replaces insertPreparing + transition(PREPARED) for a one-shot sale, and is all the crash
   * recovery needs (FiscalService explains why). Returns the row as stored, without reading it back.
   */
  insertPrepared(invoice: NewInvoice, attempt: PreparedAttempt): InvoiceRow {
    const row: InvoiceRow = {
      id: newInvoiceId(),
      idempotency_key: invoice.idempotencyKey,
      request_fingerprint: invoice.requestFingerprint,
      client_ref: invoice.clientRef,
      type: invoice.type,
      state: "PREPARED",
      api_key_id: invoice.apiKeyId,
      cashier_id: invoice.cashierId,
      currency: invoice.currency,
      totals_json: JSON.stringify(invoice.totals),
      payload: invoice.payload,
      payload_hash: invoice.payloadHash,
      ref_device_id: invoice.reference?.deviceId ?? null,
      ref_fiscal_number: invoice.reference?.fiscalNumber ?? null,
      nonce: attempt.nonce,
      commit_before: attempt.commitBefore,
      error_code: null,
      error_message: null,
      source: "pos",
      mode: invoice.mode,
      created_at: attempt.preparingAt,
    };
    this.write(false, () => {
      statement(
        this.db,
        `INSERT INTO invoices (id, idempotency_key, request_fingerprint, client_ref, type, state, api_key_id,
               cashier_id, currency, totals_json, payload, payload_hash, ref_device_id, ref_fiscal_number, nonce,
               commit_before, mode, created_at)
             VALUES (?, ?, ?, ?, ?, 'PREPARED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        row.id,
        row.idempotency_key,
        row.request_fingerprint,
        row.client_ref,
        row.type,
        row.api_key_id,
        row.cashier_id,
        row.currency,
        row.totals_json,
        row.payload,
        row.payload_hash,
        row.ref_device_id,
        row.ref_fiscal_number,
        row.nonce,
        row.commit_before,
        row.mode,
        row.created_at,
      );
      this.addTransition(row.id, "PREPARING", attempt.preparingAt, null);
      this.addTransition(row.id, "PREPARED", attempt.preparedAt, null);
    });
    return row;
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
   * Seals a PREPARED invoice the POS's COMMIT sealed, as `seal` does, but through the group commit: it
   * resolves once the seal is on the disk (its fsync shared with the seals around it), and it returns
   * the sealed row without reading it back; every instant written is `at`.
   */
  sealGrouped(row: InvoiceRow, record: FiscalRecord, sealed: SealedRecord, at: number): Promise<InvoiceRow> {
    return this.group.durable(() => {
      this.moveStateAt(row.id, "PREPARED", "FISCALIZED", null, at);
      this.insertRecord(row.id, record, sealed, at);
      this.bindKey(row.id, at);
      return { ...row, state: "FISCALIZED" as const };
    });
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
    const reference = record.reference;
    this.db
      .transaction(() => {
        const at = this.now();
        statement(
          this.db,
          `INSERT INTO invoices (id, client_ref, type, state, cashier_id, currency, totals_json, payload,
               payload_hash, ref_device_id, ref_fiscal_number, source, created_at)
             VALUES (?, ?, ?, 'PREPARING', ?, ?, ?, ?, ?, ?, ?, 'device-journal', ?)`,
        ).run(
          id,
          record.client_ref,
          record.invoice_type,
          record.cashier_id,
          record.currency,
          JSON.stringify(record.totals),
          journalPayload(record, sealed),
          record.payload_hash,
          reference && "device_id" in reference ? reference.device_id : null,
          reference && "fiscal_number" in reference ? reference.fiscal_number : null,
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

  private moveState(id: string, from: InvoiceState, to: InvoiceState, note: string | null): void {
    this.moveStateAt(id, from, to, note, this.now());
  }

  private moveStateAt(
    id: string,
    from: InvoiceState,
    to: InvoiceState,
    note: string | null,
    at: number,
  ): void {
    if (!this.moveIfIn(id, from, to, note, at))
      throw new FiscalError("INVALID_STATE", `invoice ${id} is no longer ${from}`);
  }

  /** Moves the invoice from `from` to `to` with its transition row if it is in `from`; says whether. */
  private moveIfIn(
    id: string,
    from: InvoiceState,
    to: InvoiceState,
    note: string | null,
    at = this.now(),
  ): boolean {
    assertTransition(from, to);
    const changed = statement(this.db, "UPDATE invoices SET state = ? WHERE id = ? AND state = ?").run(
      to,
      id,
      from,
    ).changes;
    if (changed === 1) this.addTransition(id, to, at, note);
    return changed === 1;
  }

  /** Binds the invoice's Idempotency-Key to it, unless the key is bound already (it keeps its invoice). */
  private bindKey(id: string, at = this.now()): void {
    statement(
      this.db,
      `INSERT OR IGNORE INTO idempotency_keys (api_key_id, idempotency_key, invoice_id, bound_at)
         SELECT COALESCE(api_key_id, ''), idempotency_key, id, ? FROM invoices
          WHERE id = ? AND idempotency_key IS NOT NULL`,
    ).run(at, id);
  }

  private addTransition(id: string, state: InvoiceState, at: number, note: string | null): void {
    statement(
      this.db,
      "INSERT INTO invoice_transitions (invoice_id, state, at, note) VALUES (?, ?, ?, ?)",
    ).run(id, state, at, note);
  }

  private insertRecord(invoiceId: string, record: FiscalRecord, sealed: SealedRecord, at = this.now()): void {
    const columns = [
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
    ];
    // A version-2 record's yearly number is kept beside it (migration 6); a version-1 record has none.
    if (record.v === 2) {
      statement(
        this.db,
        `INSERT INTO fiscal_records (device_id, fiscal_number, invoice_id, type_number, issued_at, record,
             signature, auth_code, qr, record_hash, stored_at, fiscal_year, year_number)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...columns, record.fiscal_year, record.year_number);
    } else {
      statement(
        this.db,
        `INSERT INTO fiscal_records (device_id, fiscal_number, invoice_id, type_number, issued_at, record,
             signature, auth_code, qr, record_hash, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(...columns);
    }
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

/**
 * The canonical invoice a journal entry carries (version-2 devices keep it), kept only when it is the
 * one the signed record binds: its SHA-256 is the record's payload hash. Otherwise none is stored.
 */
function journalPayload(record: FiscalRecord, sealed: SealedRecord): Buffer | null {
  if (sealed.invoice === undefined) return null;
  return Buffer.from(sha256(sealed.invoice)).equals(Buffer.from(record.payload_hash))
    ? Buffer.from(sealed.invoice)
    : null;
}
