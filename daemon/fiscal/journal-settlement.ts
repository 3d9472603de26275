/**
 * Settling an invoice through the device journal, never by a second COMMIT: its nonce is aborted
 * first (so it can never seal later), then the journal is asked for its payload. The device's answer
 * is the only thing that ends an invoice whose COMMIT may have been sent (docs/API.md §2, the in-doubt
 * rule). `settle` expects its caller to hold the invoice's key lock; the other entry points take it.
 */
import {
  FiscalError,
  type FiscalRecord,
  isFiscalError,
  openSealedRecord,
  type SealedRecord,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore } from "../store/invoice-store.js";
import type { DevicePort } from "./device-port.js";
import type { DeviceIdentity } from "./identity.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import { OPEN_STATES, SEALED_STATES } from "./lifecycle.js";
import { lockOfRow } from "./request-keys.js";

/** The counters settling moves (FiscalService's). */
export interface SettleCounters {
  fiscalised: number;
  aborted: number;
  expired: number;
}

/** Asks the device journal and stores its answer. */
export class JournalSettlement {
  constructor(
    private readonly store: InvoiceStore,
    private readonly device: DevicePort,
    private readonly identity: DeviceIdentity,
    private readonly counters: SettleCounters,
    private readonly locks: KeyedMutex,
    private readonly now: () => number,
  ) {}

  /**
   * Ends two-step invoices left PREPARED past their `commit_before` (the POS abandoned them): each is
   * settled against the device (its nonce aborted, freeing the device's pending slot; the journal asked)
   * and ends ABORTED with NONCE_EXPIRED (counted in `counters.expired`), or FISCALIZED if a lost COMMIT
   * had sealed it. Returns how many ended. ExpirySweep (expiry-sweep.ts) calls this every EXPIRY_SWEEP_MS.
   */
  async expireAbandoned(): Promise<number> {
    let ended = 0;
    for (const row of this.store.expiredPrepared(this.now())) {
      const settled = await this.settleOpen(
        row,
        "its nonce expired before a commit",
        new FiscalError("NONCE_EXPIRED", `nothing was committed before commit_before`),
      );
      if (OPEN_STATES.has(settled.state)) continue;
      // Counted as each ends: a sweep the device cuts short (it throws) still counts what it ended.
      ended++;
      if (settled.state === "ABORTED") this.counters.expired++;
    }
    return ended;
  }

  /**
   * Settles an open invoice under its key's lock, re-reading it first (a POS request may have moved it
   * since reconciliation's snapshot). A two-step invoice still within `commit_before` whose nonce the
   * device holds right now is left PREPARED: its POS may still commit it.
   */
  async settleOpen(row: InvoiceRow, reason: string, error?: FiscalError): Promise<InvoiceRow> {
    return this.locks.run(lockOfRow(row), async () => {
      const current = this.store.byId(row.id)!;
      if (!OPEN_STATES.has(current.state)) return current;
      if (current.mode === "two-step" && current.state === "PREPARED" && error === undefined) {
        const live = current.commit_before !== null && current.commit_before > this.now();
        if (live && (await this.nonceIsPending(current))) return current;
      }
      return this.settle(current, reason, error);
    });
  }

  /**
   * Attaches a journal record to the invoice of the same payload that the store holds unsealed, under
   * its lock: an open one is sealed, and one stored ABORTED (by a daemon before the in-doubt rule) is
   * corrected. Says whether it did; false means the record belongs to no known invoice (import it).
   */
  async attachJournalRecord(record: FiscalRecord, sealed: SealedRecord): Promise<boolean> {
    const known = this.store.unsealedByPayloadHash(record.payload_hash);
    if (known === undefined) return false;
    return this.locks.run(lockOfRow(known), async () => {
      const current = this.store.byId(known.id)!;
      if (OPEN_STATES.has(current.state)) {
        this.storeSealed(current, sealed, "sealed, found in the device journal (reconciliation)");
        return true;
      }
      // The request that held the lock stored this very record meanwhile: nothing left to import.
      if (SEALED_STATES.has(current.state)) return true;
      if (current.state !== "ABORTED") return false;
      this.counters.fiscalised++;
      this.store.correctAborted(current.id, record, sealed);
      return true;
    });
  }

  /**
   * Settles an open invoice against the device. Abort its nonce first (so it can never commit later),
   * then ask the journal by payload hash: found → seal it; RECORD_NOT_FOUND → ABORTED with `error`.
   * Never sends COMMIT. Any other failure leaves it open (in doubt) and throws.
   */
  async settle(
    row: InvoiceRow,
    reason: string,
    error: FiscalError = interrupted(reason),
  ): Promise<InvoiceRow> {
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
      return this.endUnsealed(row, error, `not sealed: ${reason}`);
    }
    return this.storeSealed(row, sealed, `sealed, found in the device journal (${reason})`);
  }

  /** Ends an open invoice the device did not seal: ABORTED with `error`, binding the key only if final. */
  endUnsealed(row: InvoiceRow, error: FiscalError, note: string): InvoiceRow {
    this.counters.aborted++;
    // A two-step invoice's key is bound since PREPARED; a one-shot attempt binds nothing.
    return this.store.transition(row.id, row.state, "ABORTED", { error, note });
  }

  storeSealed(row: InvoiceRow, sealed: SealedRecord, note: string | null): InvoiceRow {
    const record = this.verifiedRecord(row, sealed);
    this.counters.fiscalised++;
    return this.store.seal(row.id, record, sealed, note);
  }

  /**
   * The record of a sealed reply, verified as this invoice's: its signature and QR with the device's
   * key (SIGNATURE_INVALID otherwise) and its payload hash (JOURNAL_CORRUPT otherwise).
   */
  verifiedRecord(row: InvoiceRow, sealed: SealedRecord): FiscalRecord {
    const record = openSealedRecord(sealed, this.identity.require().publicKey);
    if (Buffer.compare(record.payload_hash, row.payload_hash) !== 0) {
      throw new FiscalError("JOURNAL_CORRUPT", `the device sealed another payload for invoice ${row.id}`);
    }
    return record;
  }

  /** The journal's record of this invoice's payload, stored on it; undefined when absent or owned. */
  async fromJournal(row: InvoiceRow): Promise<InvoiceRow | undefined> {
    let sealed: SealedRecord;
    try {
      sealed = await this.device.getRecord({ payload_hash: row.payload_hash });
    } catch {
      return undefined;
    }
    const record = openSealedRecord(sealed, this.identity.require().publicKey);
    // Already stored for another invoice (another API key's): not this one's to take.
    if (this.store.recordByNumber(record.device_id, record.fiscal_number) !== undefined) return undefined;
    return this.storeSealed(
      row,
      sealed,
      "sealed, found in the device journal (the device had sealed this payload)",
    );
  }

  async nonceIsPending(row: InvoiceRow): Promise<boolean> {
    const { pending } = await this.device.listPending();
    return pending.some((p) => row.nonce !== null && Buffer.compare(p.nonce, row.nonce) === 0);
  }
}

/** The error of an attempt that ended before its COMMIT was sent: INTERRUPTED (325). */
export function interrupted(reason: string): FiscalError {
  return new FiscalError("INTERRUPTED", `nothing was sealed: ${reason}`);
}
