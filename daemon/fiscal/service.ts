/**
 * The fiscal service: POS invoices in, sealed records out, through PREPARE → COMMIT on the device.
 * Order of writes (what makes a crash at any instant safe):
 *   1. the invoice is stored PREPARING before the device sees it;
 *   2. the nonce is stored (PREPARED) before COMMIT is sent;
 *   3. the sealed record, its FISCALIZED transition and its outbox entry are stored in one fsync'd
 *      transaction before the POS gets its 2xx.
 * Steps 1 and 2 of a one-shot fiscalisation are committed without fsync (they survive a process
 * crash; only a power cut can lose them): one fsync per invoice instead of three. If a power cut does
 * lose them after the device sealed, reconciliation imports the record from the journal, and the POS's
 * retry finds it by payload hash (the payload carries the POS's client_ref, by default its
 * Idempotency-Key) and gets it back as a replay. Nothing is sealed twice and nothing is lost.
 * Whatever is left PREPARING or PREPARED is settled by `Reconciler` through the device journal, never
 * by a second COMMIT.
 */
import { createHash } from "node:crypto";
import {
  type CanonicalInvoice,
  canonicaliseInvoice,
  checkCreditAgainstOriginal,
  encodeInvoice,
  errorNameOf,
  FiscalError,
  invoiceHash,
  isFiscalError,
  openSealedRecord,
  type SealedRecord,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore } from "../store/invoice-store.js";
import type { OutboxReader } from "../store/outbox.js";
import type { DevicePort } from "./device-port.js";
import { IN_DOUBT_CODES } from "./device-port.js";
import type { DeviceIdentity } from "./identity.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { OPEN_STATES, SEALED_STATES } from "./lifecycle.js";
import { listInvoices } from "./list.js";
import { Semaphore } from "./semaphore.js";
import type {
  Caller,
  CreateResult,
  InvoiceFilter,
  InvoiceOperations,
  InvoicePage,
  InvoiceView,
} from "./types.js";
import { invoiceView } from "./views.js";

/**
 * Most PREPARE→COMMIT pairs open on the device at once. Below the DEF's pending cap (10 by default)
 * so two-step invoices keep room; high enough that one pair's PREPARE overlaps another's COMMIT.
 */
export const OPEN_PAIRS_MAX = 4;

/** Counters the status report and metrics read. */
export interface FiscalCounters {
  fiscalised: number;
  rejected: number;
  aborted: number;
  inDoubt: number;
}

/**
 * Test hooks at the instants crash-safety tests need to kill the process at. Production never sets
 * them; `stalela daemon` sets `afterDeviceCommit` only when STALELA_CRASH_POINT=after-commit.
 */
export interface FiscalServiceHooks {
  /** Called when the device has sealed a record and before the store has it. */
  afterDeviceCommit?(): void;
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

/** Implements the invoice operations on top of the store and the device. */
export class FiscalService implements InvoiceOperations {
  readonly counters: FiscalCounters = { fiscalised: 0, rejected: 0, aborted: 0, inDoubt: 0 };
  private readonly locks = new KeyedMutex();
  private readonly pairs = new Semaphore(OPEN_PAIRS_MAX);

  constructor(
    private readonly store: InvoiceStore,
    private readonly outbox: OutboxReader,
    private readonly device: DevicePort,
    private readonly identity: DeviceIdentity,
    private readonly hooks: FiscalServiceHooks = {},
  ) {}

  async fiscalise(body: unknown, idempotencyKey: string, caller: Caller): Promise<CreateResult> {
    return this.locks.run(`key:${idempotencyKey}`, async () => {
      const replay = await this.replayOf(body, idempotencyKey, caller);
      if (replay) return replay;
      return this.pairs.run(async () => {
        const row = await this.prepareNew(body, idempotencyKey, caller, false);
        if (SEALED_STATES.has(row.state)) return { invoice: this.view(row), replayed: true };
        return { invoice: await this.commitRow(row), replayed: false };
      });
    });
  }

  async prepare(body: unknown, idempotencyKey: string, caller: Caller): Promise<CreateResult> {
    return this.locks.run(`key:${idempotencyKey}`, async () => {
      const replay = await this.replayOf(body, idempotencyKey, caller, true);
      if (replay) return replay;
      const row = await this.pairs.run(() => this.prepareNew(body, idempotencyKey, caller, true));
      return { invoice: this.view(row), replayed: SEALED_STATES.has(row.state) };
    });
  }

  async commit(idOrKey: string, _caller: Caller): Promise<InvoiceView> {
    const row = this.mustGet(idOrKey);
    return this.locks.run(`key:${row.idempotency_key ?? row.id}`, async () => {
      const current = this.store.byId(row.id)!;
      if (SEALED_STATES.has(current.state)) return this.view(current);
      if (current.state !== "PREPARED") {
        throw new FiscalError("INVALID_STATE", `invoice ${current.id} is ${current.state}, not PREPARED`);
      }
      return this.commitRow(current);
    });
  }

  async abort(idOrKey: string, _caller: Caller): Promise<InvoiceView> {
    const row = this.mustGet(idOrKey);
    return this.locks.run(`key:${row.idempotency_key ?? row.id}`, async () => {
      const current = this.store.byId(row.id)!;
      if (current.state === "ABORTED") return this.view(current);
      if (current.state !== "PREPARED" && current.state !== "PREPARING") {
        throw new FiscalError(
          "INVALID_STATE",
          `invoice ${current.id} is ${current.state} and cannot be aborted`,
        );
      }
      return this.view(await this.settle(current, "aborted by the POS"));
    });
  }

  async markDelivered(idOrKey: string, _caller: Caller): Promise<InvoiceView> {
    const row = this.mustGet(idOrKey);
    if (row.state === "DELIVERED" || row.state === "SYNCED") return this.view(row);
    if (row.state !== "FISCALIZED") {
      throw new FiscalError(
        "INVALID_STATE",
        `invoice ${row.id} is ${row.state}; only a sealed invoice is delivered`,
      );
    }
    let next = this.store.transition(row.id, "FISCALIZED", "DELIVERED");
    if (this.outbox.statusOf(row.id)?.status === "ACKED")
      next = this.store.transition(row.id, "DELIVERED", "SYNCED");
    return this.view(next);
  }

  get(idOrKey: string): InvoiceView | undefined {
    const row = this.store.byIdOrKey(idOrKey);
    return row && this.view(row);
  }

  list(filter: InvoiceFilter): InvoicePage {
    return listInvoices(this.store, filter, (row) => this.view(row));
  }

  /**
   * Settles an open invoice against the device: an invoice PREPARED may have been committed by a
   * COMMIT whose reply was lost. Abort its nonce first (so it can never commit later), then ask the
   * journal by payload hash: found → seal it; not found → ABORTED. Never sends COMMIT.
   */
  async settle(row: InvoiceRow, reason: string): Promise<InvoiceRow> {
    if (row.nonce !== null) {
      try {
        await this.device.abort(row.nonce);
      } catch (err) {
        if (!isFiscalError(err, "NONCE_UNKNOWN") && !isFiscalError(err, "NONCE_EXPIRED")) throw err;
      }
    } else {
      const pending = await this.device.listPending();
      for (const p of pending.pending) {
        if (Buffer.compare(p.payload_hash, row.payload_hash) === 0) await this.device.abort(p.nonce);
      }
    }
    let sealed: SealedRecord;
    try {
      sealed = await this.device.getRecord({ payload_hash: row.payload_hash });
    } catch (err) {
      if (!isFiscalError(err, "RECORD_NOT_FOUND")) throw err;
      this.counters.aborted++;
      return this.store.transition(row.id, row.state, "ABORTED", { note: `not sealed: ${reason}` });
    }
    return this.storeSealed(row, sealed, `sealed, found in the device journal (${reason})`);
  }

  /**
   * Settles an open invoice under its key's lock, re-reading it first: reconciliation snapshots the open
   * invoices, and a POS retry of the same key (or the request still in flight, after a reconnect) may
   * settle one before reconciliation reaches it. Settling the stale row again would store its record twice.
   */
  async settleOpen(row: InvoiceRow, reason: string): Promise<InvoiceRow> {
    return this.locks.run(`key:${row.idempotency_key ?? row.id}`, async () => {
      const current = this.store.byId(row.id)!;
      if (current.state !== "PREPARING" && current.state !== "PREPARED") return current;
      return this.settle(current, reason);
    });
  }

  private async replayOf(
    body: unknown,
    key: string,
    caller: Caller,
    twoStep = false,
  ): Promise<CreateResult | undefined> {
    const existing = this.store.byIdempotencyKey(key);
    if (existing === undefined) return undefined;
    if (existing.request_fingerprint !== fingerprint(body, caller, twoStep)) {
      throw new FiscalError(
        "IDEMPOTENCY_CONFLICT",
        `Idempotency-Key ${key} was used for a different request`,
      );
    }
    let row = existing;
    if (row.state === "PREPARING" || (row.state === "PREPARED" && !twoStep)) {
      // The first attempt is in doubt (its caller lost the link or we crashed): settle it now.
      row = await this.settle(row, "settled on a retry");
    }
    if (row.state === "ABORTED") return undefined;
    if (row.state === "REJECTED") {
      const name = (row.error_code !== null && errorNameOf(row.error_code)) || "INVOICE_INVALID";
      throw new FiscalError(name, row.error_message ?? undefined, { replayed: true });
    }
    return { invoice: this.view(row), replayed: true };
  }

  private async prepareNew(
    body: unknown,
    key: string,
    caller: Caller,
    twoStep: boolean,
  ): Promise<InvoiceRow> {
    const invoice = canonicaliseInvoice(body, { cashierId: caller.cashierId, defaultClientRef: key });
    const payloadHash = invoiceHash(invoice);
    const adopted = this.store.sealedByPayloadHash(payloadHash);
    if (adopted !== undefined) return adopted;
    const reference = this.checkReference(invoice);
    const row = this.store.insertPreparing({
      idempotencyKey: key,
      requestFingerprint: fingerprint(body, caller, twoStep),
      clientRef: invoice.client_ref,
      type: invoice.type,
      apiKeyId: caller.apiKeyId,
      cashierId: caller.cashierId,
      currency: invoice.currency,
      totals: invoice.totals,
      payload: encodeInvoice(invoice),
      payloadHash,
      reference,
      mode: twoStep ? "two-step" : "one-shot",
    });
    let prepared: Awaited<ReturnType<DevicePort["prepare"]>>;
    try {
      prepared = await this.device.prepare(invoice);
    } catch (err) {
      const error = isFiscalError(err) ? err : new FiscalError("DEVICE_UNAVAILABLE", String(err));
      if (IN_DOUBT_CODES.has(error.code)) {
        // PREPARE changes no counter: a lost reply leaves at most a pending nonce, which expires.
        this.counters.aborted++;
        this.store.transition(row.id, "PREPARING", "ABORTED", { error });
      } else {
        this.counters.rejected++;
        this.store.transition(row.id, "PREPARING", "REJECTED", { error });
      }
      throw error;
    }
    return this.store.transition(row.id, "PREPARING", "PREPARED", {
      nonce: prepared.nonce,
      commitBefore: prepared.expires_at,
      // A two-step POS is told the invoice is PREPARED, so that must survive a power cut.
      durable: twoStep,
    });
  }

  private async commitRow(row: InvoiceRow): Promise<InvoiceView> {
    let sealed: SealedRecord;
    try {
      sealed = await this.device.commit(row.nonce!, row.payload_hash);
    } catch (err) {
      const error = isFiscalError(err) ? err : new FiscalError("DEVICE_UNAVAILABLE", String(err));
      if (IN_DOUBT_CODES.has(error.code) && error.details?.outcome !== "not-committed") {
        // The session could not reach the device to learn the outcome: the invoice stays PREPARED
        // and is settled by reconciliation or by the POS's retry. Never guessed.
        this.counters.inDoubt++;
        throw error;
      }
      this.counters.aborted++;
      this.store.transition(row.id, "PREPARED", "ABORTED", { error });
      throw error;
    }
    this.hooks.afterDeviceCommit?.();
    return this.view(this.storeSealed(row, sealed, null));
  }

  private storeSealed(row: InvoiceRow, sealed: SealedRecord, note: string | null): InvoiceRow {
    const record = openSealedRecord(sealed, this.identity.require().publicKey);
    if (Buffer.compare(record.payload_hash, row.payload_hash) !== 0) {
      throw new FiscalError("JOURNAL_CORRUPT", `the device sealed another payload for invoice ${row.id}`);
    }
    this.counters.fiscalised++;
    return this.store.seal(row.id, record, sealed, note);
  }

  private checkReference(invoice: CanonicalInvoice): { deviceId: string; fiscalNumber: number } | undefined {
    if (invoice.reference === undefined) return undefined;
    const deviceId = invoice.reference.device_id ?? this.identity.require().deviceId;
    const fiscalNumber = invoice.reference.fiscal_number;
    const original = this.store.recordByNumber(deviceId, fiscalNumber);
    const originalRow = original && this.store.byId(original.invoice_id);
    checkCreditAgainstOriginal(
      invoice,
      originalRow && {
        invoiceType: originalRow.type as CanonicalInvoice["type"],
        total: (JSON.parse(originalRow.totals_json) as { total: number }).total,
        currency: originalRow.currency,
        credited: this.store.creditedAgainst(deviceId, fiscalNumber),
      },
    );
    return { deviceId, fiscalNumber };
  }

  private mustGet(idOrKey: string): InvoiceRow {
    const row = this.store.byIdOrKey(idOrKey);
    if (row === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no invoice ${idOrKey}`);
    return row;
  }

  private view(row: InvoiceRow): InvoiceView {
    return invoiceView(this.store, (id) => this.outbox.statusOf(id), row);
  }
}

function fingerprint(body: unknown, caller: Caller, twoStep: boolean): string {
  return createHash("sha256")
    .update(`${twoStep ? "prepare" : "fiscalise"}\n${caller.apiKeyId}\n${stableJson(body)}`)
    .digest("hex");
}

/** True for states whose device outcome is not final. */
export function isOpen(row: InvoiceRow): boolean {
  return OPEN_STATES.has(row.state);
}
