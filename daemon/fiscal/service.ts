/**
 * The fiscal service: POS invoices in, sealed records out, through PREPARE → COMMIT on the device.
 * Order of writes (what makes a crash at any instant safe):
 *   1. a one-shot attempt is stored PREPARED, with its nonce and both its PREPARING and PREPARED
 *      transitions, in one write before COMMIT is sent (a two-step one is stored PREPARING before the
 *      device sees it, then PREPARED, fsync'd, before its POS is told);
 *   2. the sealed record, its FISCALIZED transition, its outbox entry and its key binding are stored in
 *      one transaction, on the disk before the POS gets its 2xx; concurrent seals share one fsync,
 *      off the event loop (store/group-commit.ts).
 * Why a one-shot attempt needs no row before its PREPARE: until COMMIT is sent the device has sealed
 * nothing, so a crash there leaves at most a nonce, which expires and which reconciliation aborts (no
 * open invoice owns it; `preparing` covers the instant between PREPARE's answer and the write). The
 * row written before COMMIT is what recovery needs: after a crash, reconciliation attaches the
 * journal's record to that invoice (its key), never imports it beside it. Step 1 of a one-shot sale is
 * committed without fsync (it survives a process crash; only a power cut can lose it); if a power cut
 * does lose it after the device sealed, reconciliation imports the record from the journal, and the
 * POS's retry finds it by payload hash.
 *
 * The in-doubt rule: once a COMMIT may have been transmitted, the invoice is never stored or answered
 * as not sealed until the device itself has said so: its nonce is aborted first (it can never commit
 * later), then the journal is asked by payload hash (`settle`). Until that answer, the invoice stays
 * PREPARED and the POS's retry of the same key resolves it.
 *
 * Keys (docs/API.md §2): an Idempotency-Key, scoped per API key, is bound to one invoice forever once
 * that invoice reaches a state the POS may act on (PREPARED in two-step mode, sealed, or a final
 * refusal). An attempt that ended for a retryable reason binds nothing: the same key fiscalises once
 * the condition clears.
 */
import {
  errorNameOf,
  FiscalError,
  type FiscalRecord,
  isFiscalError,
  recordHash,
  type SealedRecord,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore } from "../store/invoice-store.js";
import type { OutboxReader } from "../store/outbox.js";
import { withBound } from "./bound.js";
import type { DevicePort } from "./device-port.js";
import { asFiscalError, COMMIT_NOT_ACTED_CODES, IN_DOUBT_CODES } from "./device-port.js";
import type { DeviceIdentity } from "./identity.js";
import { interrupted, JournalSettlement } from "./journal-settlement.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { OPEN_STATES, SEALED_STATES } from "./lifecycle.js";
import { listInvoices } from "./list.js";
import { findInvoice } from "./lookup.js";
import { type InHand, PrepareStep } from "./prepare-step.js";
import { fingerprint, lockOfKey, lockOfRow } from "./request-keys.js";
import { Semaphore } from "./semaphore.js";
import type { SfeIdentity } from "./sfe.js";
import type {
  ActionResult,
  Caller,
  CreateResult,
  InvoiceFilter,
  InvoiceOperations,
  InvoicePage,
  InvoiceView,
} from "./types.js";
import { FRESH_OUTBOX, invoiceView, NO_RECEIPTS, viewOf } from "./views.js";

export { stableJson } from "./request-keys.js";

/**
 * Most PREPARE→COMMIT pairs open on the device at once. Below the DEF's pending cap (10 by default)
 * so two-step invoices keep room; high enough that one pair's PREPARE overlaps another's COMMIT.
 */
export const OPEN_PAIRS_MAX = 4;

/** Longest a POS request waits for the device by default, in ms (docs/API.md §8, STALELA_REQUEST_BOUND_MS). */
export const DEFAULT_REQUEST_BOUND_MS = 15_000;

/** Counters the status report and metrics read. */
export interface FiscalCounters {
  fiscalised: number;
  rejected: number;
  aborted: number;
  inDoubt: number;
  expired: number;
}

/**
 * Test hooks at the instants crash-safety tests need to kill the process at. Production never sets
 * them; `stalela daemon` sets them only from STALELA_CRASH_POINT.
 */
export interface FiscalServiceHooks {
  /** Called when the nonce is stored PREPARED and the COMMIT is about to be sent. */
  beforeDeviceCommit?(): void;
  /** Called when the device has sealed a record and before the store has it. */
  afterDeviceCommit?(): void;
}

/** Settings and seams of the service. */
export interface FiscalServiceOptions {
  readonly hooks?: FiscalServiceHooks;
  /** Longest a POS request waits for the device, in ms; default DEFAULT_REQUEST_BOUND_MS. */
  readonly requestBoundMs?: number;
  readonly now?: () => number;
  /**
   * The ISF, seller and reference rates invoices carry, read at each sale (so a new reference rate
   * applies at once); while it gives undefined nothing is sealed (SFE_NOT_CONFIGURED).
   */
  readonly sfe?: () => SfeIdentity | undefined;
  /** The settings that leave `sfe` undefined, named in the refusal. */
  readonly sfeMissing?: readonly string[];
  /**
   * A refusal of every new sale while it gives one: the shop's opt-in rule that the fiscal day must
   * be closed first (DAY_NOT_CLOSED, daemon/reports/day-watch.ts). Retryable: nothing is bound.
   */
  readonly admission?: () => FiscalError | undefined;
}

/** Implements the invoice operations on top of the store and the device. */
export class FiscalService implements InvoiceOperations {
  readonly counters: FiscalCounters = { fiscalised: 0, rejected: 0, aborted: 0, inDoubt: 0, expired: 0 };
  private readonly locks = new KeyedMutex();
  private readonly pairs = new Semaphore(OPEN_PAIRS_MAX);
  private readonly hooks: FiscalServiceHooks;
  private readonly boundMs: number;
  private readonly now: () => number;
  private readonly journal: JournalSettlement;
  private readonly preparation: PrepareStep;

  constructor(
    private readonly store: InvoiceStore,
    private readonly outbox: OutboxReader,
    private readonly device: DevicePort,
    identity: DeviceIdentity,
    options: FiscalServiceOptions = {},
  ) {
    this.hooks = options.hooks ?? {};
    this.boundMs = options.requestBoundMs ?? DEFAULT_REQUEST_BOUND_MS;
    this.now = options.now ?? Date.now;
    this.journal = new JournalSettlement(store, device, identity, this.counters, this.locks, this.now);
    this.preparation = new PrepareStep(store, device, identity, this.journal, this.counters, {
      now: this.now,
      sfe: options.sfe ?? (() => undefined),
      sfeMissing: options.sfeMissing ?? ["sfe.isf", "sfe.seller.name", "sfe.seller.address"],
      admission: options.admission ?? (() => undefined),
    });
  }

  fiscalise(body: unknown, key: string, caller: Caller): Promise<CreateResult> {
    return this.posRequest(lockOfKey(caller, key), async (deadline) => {
      const earlier = await this.earlierOutcome(body, key, caller, false);
      if (earlier) return earlier;
      return this.pairs.run(async () => {
        this.checkDeadline(deadline);
        const { row, inHand } = await this.preparation.attempt(body, key, caller, false);
        if (SEALED_STATES.has(row.state)) return { invoice: this.view(row), replayed: true };
        if (this.now() >= deadline) {
          // The POS was told 504 already: never seal what it stopped waiting for. Nothing was sent.
          await this.journal.settle(
            row,
            "past the request bound, before COMMIT",
            interrupted("the request bound"),
          );
          throw timeoutError();
        }
        const sealed = await this.commitRow(row, inHand);
        return { invoice: sealed.view ?? this.view(sealed.row), replayed: false };
      });
    });
  }

  prepare(body: unknown, key: string, caller: Caller): Promise<CreateResult> {
    return this.posRequest(lockOfKey(caller, key), async (deadline) => {
      const earlier = await this.earlierOutcome(body, key, caller, true);
      if (earlier) return earlier;
      const { row } = await this.pairs.run(() => {
        this.checkDeadline(deadline);
        return this.preparation.attempt(body, key, caller, true);
      });
      return { invoice: this.view(row), replayed: SEALED_STATES.has(row.state) };
    });
  }

  async commit(idOrKey: string, caller: Caller): Promise<ActionResult> {
    const row = this.mustGet(idOrKey, caller);
    return this.posRequest(lockOfRow(row), async () => {
      const current = this.store.byId(row.id)!;
      if (current.mode !== "two-step")
        throw invalidState(current, "it was not prepared: commit is two-step only");
      if (SEALED_STATES.has(current.state)) return { invoice: this.view(current), replayed: true };
      if (current.state !== "PREPARED") throw invalidState(current, "only a PREPARED invoice is committed");
      const sealed = await this.commitRow(current);
      return { invoice: sealed.view ?? this.view(sealed.row), replayed: sealed.byEarlierRequest };
    });
  }

  async abort(idOrKey: string, caller: Caller): Promise<ActionResult> {
    const row = this.mustGet(idOrKey, caller);
    return this.posRequest(lockOfRow(row), async () => {
      const current = this.store.byId(row.id)!;
      if (current.mode !== "two-step") throw invalidState(current, "abort is two-step only");
      if (current.state === "ABORTED") return { invoice: this.view(current), replayed: true };
      if (!OPEN_STATES.has(current.state)) throw invalidState(current, "it cannot be aborted");
      const settled = await this.journal.settle(
        current,
        "aborted by the POS",
        new FiscalError("ABORTED_BY_POS"),
      );
      if (settled.state !== "ABORTED") {
        throw invalidState(settled, "the device had sealed it before the abort: print it");
      }
      return { invoice: this.view(settled), replayed: false };
    });
  }

  async markDelivered(idOrKey: string, caller: Caller): Promise<ActionResult> {
    const row = this.mustGet(idOrKey, caller);
    return this.posRequest(lockOfRow(row), async () => {
      const current = this.store.byId(row.id)!;
      if (current.state === "DELIVERED" || current.state === "SYNCED") {
        return { invoice: this.view(current), replayed: true };
      }
      if (current.state !== "FISCALIZED") throw invalidState(current, "only a sealed invoice is delivered");
      return { invoice: this.view(this.store.deliver(current.id)), replayed: false };
    });
  }

  get(idOrKey: string, caller?: Caller): InvoiceView | undefined {
    const row = findInvoice(this.store, idOrKey, caller);
    return row && this.view(row);
  }

  list(filter: InvoiceFilter, caller?: Caller): InvoicePage {
    return listInvoices(this.store, filter, (row) => this.view(row), caller?.apiKeyId);
  }

  /** Ends the two-step invoices abandoned past their commit_before (JournalSettlement.expireAbandoned). */
  expireAbandoned(): Promise<number> {
    return this.journal.expireAbandoned();
  }

  /** Settles an open invoice under its key's lock (JournalSettlement.settleOpen). */
  settleOpen(row: InvoiceRow, reason: string, error?: FiscalError): Promise<InvoiceRow> {
    return this.journal.settleOpen(row, reason, error);
  }

  /** Attaches a journal record to the known invoice of its payload (JournalSettlement.attachJournalRecord). */
  attachJournalRecord(record: FiscalRecord, sealed: SealedRecord): Promise<boolean> {
    return this.journal.attachJournalRecord(record, sealed);
  }

  /** Runs a POS request under its lock, answering REQUEST_IN_PROGRESS when the key is busy, within the bound. */
  private posRequest<T>(lock: string, work: (deadline: number) => Promise<T>): Promise<T> {
    if (this.locks.busy(lock)) {
      return Promise.reject(
        new FiscalError("REQUEST_IN_PROGRESS", "an earlier request for this invoice is still running"),
      );
    }
    const deadline = this.now() + this.boundMs;
    return withBound(
      this.locks.run(lock, () => work(deadline)),
      this.boundMs,
      timeoutError,
    );
  }

  private checkDeadline(deadline: number): void {
    if (this.now() >= deadline) throw timeoutError();
  }

  /**
   * What an earlier request with this key already decided: its bound invoice replayed (or its final
   * refusal thrown again), after settling an attempt left open by a crash or a lost link. Undefined when
   * the key is free: the caller makes a new attempt.
   */
  private async earlierOutcome(
    body: unknown,
    key: string,
    caller: Caller,
    twoStep: boolean,
  ): Promise<CreateResult | undefined> {
    const print = fingerprint(body, caller, twoStep);
    const open = this.store.openAttempt(caller.apiKeyId, key);
    if (open !== undefined && open.mode === (twoStep ? "two-step" : "one-shot") && !isBoundPrepared(open)) {
      checkFingerprint(open, print, key);
      await this.journal.settle(open, "settled on a retry");
    }
    const bound = this.store.boundTo(caller.apiKeyId, key);
    if (bound === undefined) return undefined;
    checkFingerprint(bound, print, key);
    if (bound.state === "REJECTED") {
      const name = (bound.error_code !== null && errorNameOf(bound.error_code)) || "INVOICE_INVALID";
      throw new FiscalError(name, bound.error_message ?? undefined, { replayed: true });
    }
    return { invoice: this.view(bound), replayed: true };
  }

  /**
   * Whether a one-shot attempt with this payload hash is between its PREPARE and its first write:
   * the nonce the device lists for it is not stale (reconciliation must not abort it).
   */
  preparing(payloadHash: Uint8Array): boolean {
    return this.preparation.preparing(payloadHash);
  }

  /**
   * Sends COMMIT and stores the outcome, saying whether the seal came from an earlier request. A
   * refusal the device answered before acting (busy, locked, clock invalid …) leaves a two-step invoice
   * PREPARED for the POS to commit again; the session's own "not committed" (it aborted the nonce and
   * asked the journal) ends it; anything else is in doubt and settled through the journal before any
   * answer.
   */
  private async commitRow(row: InvoiceRow, inHand?: InHand): Promise<Committed> {
    let sealed: SealedRecord;
    this.hooks.beforeDeviceCommit?.();
    try {
      sealed = await this.device.commit(row.nonce!, row.payload_hash);
    } catch (err) {
      const error = asFiscalError(err);
      if (error.details?.outcome === "not-committed") {
        this.journal.endUnsealed(
          row,
          error,
          "not sealed: the COMMIT reply was lost and the journal has no record",
        );
        throw error;
      }
      if (row.mode === "two-step" && COMMIT_NOT_ACTED_CODES.has(error.code)) throw error;
      let settled: InvoiceRow;
      try {
        settled = await this.journal.settle(row, `after a failed COMMIT (${error.errorName})`, error);
      } catch (settleError) {
        // The device could not be asked: the invoice stays PREPARED, in doubt, until a retry of the
        // same key or reconciliation asks again. Never guessed.
        this.counters.inDoubt++;
        throw IN_DOUBT_CODES.has(error.code) ? error : asFiscalError(settleError);
      }
      // The device answered that this COMMIT did not seal it (its nonce was used): an earlier request's
      // COMMIT did, whose answer was lost. A link failure instead means this very COMMIT may have.
      if (SEALED_STATES.has(settled.state))
        return { row: settled, byEarlierRequest: !IN_DOUBT_CODES.has(error.code) };
      throw error;
    }
    this.hooks.afterDeviceCommit?.();
    let record: FiscalRecord;
    try {
      record = this.journal.verifiedRecord(row, sealed);
    } catch (err) {
      // A reply that does not verify (a bad signature, another payload) is no answer: ask the journal.
      if (!isFiscalError(err, "SIGNATURE_INVALID") && !isFiscalError(err, "JOURNAL_CORRUPT")) throw err;
      const settled = await this.journal.settle(
        row,
        `after a COMMIT reply that did not verify (${err.errorName})`,
        err,
      );
      if (SEALED_STATES.has(settled.state)) return { row: settled, byEarlierRequest: false };
      throw err;
    }
    this.counters.fiscalised++;
    const at = this.now();
    const stored = await this.store.sealGrouped(row, record, sealed, at);
    if (inHand === undefined) return { row: stored, byEarlierRequest: false };
    // The answer is built from what this request holds: nothing it just wrote is read back.
    const view = viewOf({
      row: stored,
      transitions: [
        { state: "PREPARING", at: inHand.preparingAt, note: null },
        { state: "PREPARED", at: inHand.preparedAt, note: null },
        { state: "FISCALIZED", at, note: null },
      ],
      record: { fields: record, stored: { ...sealed, record_hash: recordHash(sealed.record) } },
      outbox: FRESH_OUTBOX,
      receipts: NO_RECEIPTS,
      invoice: inHand.invoice,
    });
    return { row: stored, byEarlierRequest: false, view };
  }

  private mustGet(idOrKey: string, caller: Caller): InvoiceRow {
    const row = findInvoice(this.store, idOrKey, caller);
    if (row === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no invoice ${idOrKey}`);
    return row;
  }

  private view(row: InvoiceRow): InvoiceView {
    return invoiceView(this.store, (id) => this.outbox.statusOf(id), row);
  }
}

/** A COMMIT's outcome: the sealed row, whether an earlier request sealed it, and its view when in hand. */
interface Committed {
  readonly row: InvoiceRow;
  readonly byEarlierRequest: boolean;
  readonly view?: InvoiceView;
}

/** A two-step invoice told PREPARED to its POS: it holds its key, a retry replays it. */
function isBoundPrepared(row: InvoiceRow): boolean {
  return row.mode === "two-step" && row.state === "PREPARED";
}

function checkFingerprint(row: InvoiceRow, print: string, key: string): void {
  if (row.request_fingerprint !== print) {
    throw new FiscalError("IDEMPOTENCY_CONFLICT", `Idempotency-Key ${key} was used for a different request`);
  }
}

function invalidState(row: InvoiceRow, why: string): FiscalError {
  return new FiscalError("INVALID_STATE", `invoice ${row.id} is ${row.state}: ${why}`, { state: row.state });
}

function timeoutError(): FiscalError {
  return new FiscalError(
    "DEVICE_TIMEOUT",
    "the device did not answer within the request bound; the outcome is kept under the Idempotency-Key: retry the same key",
  );
}
