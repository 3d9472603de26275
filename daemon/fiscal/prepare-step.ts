/**
 * The PREPARE step of a new attempt (FiscalService's order of writes, in its header): the POS body
 * made canonical, the same payload sealed already adopted, then the device's PREPARE. A one-shot
 * attempt is written once, PREPARED, after the device has prepared it, and keeps in hand what its
 * answer needs; a two-step attempt is stored PREPARING first, then PREPARED, fsync'd and bound.
 */
import {
  type CanonicalInvoiceV2,
  encodeInvoice,
  type FiscalError,
  isRetryable,
  sha256,
  toHex,
} from "../../protocol/index.js";
import type { InvoiceRow, InvoiceStore, NewInvoice } from "../store/invoice-store.js";
import { checkReferenceInStore } from "./credit-check.js";
import { asFiscalError, type DevicePort, IN_DOUBT_CODES } from "./device-port.js";
import type { DeviceIdentity } from "./identity.js";
import type { JournalSettlement } from "./journal-settlement.js";
import { defaultClientRef, fingerprint } from "./request-keys.js";
import { canonicalSaleOf, type SfeIdentity } from "./sfe.js";
import type { Caller } from "./types.js";

/** What a one-shot attempt holds in hand from its PREPARE on, to answer without reading its rows back. */
export interface InHand {
  readonly invoice: CanonicalInvoiceV2;
  readonly preparingAt: number;
  readonly preparedAt: number;
}

/** A new attempt's row (or the sealed invoice it turned out to be), and for a one-shot, what it holds. */
export interface Prepared {
  readonly row: InvoiceRow;
  readonly inHand?: InHand;
}

/** What the PREPARE step reads at each sale (FiscalServiceOptions, with their defaults applied). */
export interface PrepareSettings {
  readonly now: () => number;
  readonly sfe: () => SfeIdentity | undefined;
  readonly sfeMissing: readonly string[];
  readonly admission: () => FiscalError | undefined;
}

/** The counters a refused PREPARE moves (FiscalService's). */
export interface PrepareCounters {
  aborted: number;
  rejected: number;
}

/** Makes new attempts and PREPAREs them on the device. */
export class PrepareStep {
  /** Payload hashes (hex) of the one-shot attempts between PREPARE and their first write. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly store: InvoiceStore,
    private readonly device: DevicePort,
    private readonly identity: DeviceIdentity,
    private readonly journal: JournalSettlement,
    private readonly counters: PrepareCounters,
    private readonly options: PrepareSettings,
  ) {}

  /** A new attempt for this body and key, PREPAREd; or the sealed invoice of the same payload. */
  async attempt(body: unknown, key: string, caller: Caller, twoStep: boolean): Promise<Prepared> {
    const refused = this.options.admission();
    if (refused !== undefined) throw refused;
    const invoice = canonicalSaleOf(body, {
      sfe: this.options.sfe(),
      sfeMissing: this.options.sfeMissing,
      caller,
      defaultClientRef: defaultClientRef(caller.apiKeyId, key),
      sellerNif: this.identity.current?.merchantNif,
    });
    const payload = encodeInvoice(invoice);
    const payloadHash = sha256(payload);
    // The same payload sealed already (a power cut lost this key's rows, reconciliation imported the
    // record): that is this request's invoice, if the caller may see it.
    const adopted = this.store.sealedByPayloadHash(payloadHash);
    if (adopted !== undefined && (adopted.api_key_id === null || adopted.api_key_id === caller.apiKeyId)) {
      return { row: adopted };
    }
    const attempt: NewInvoice = {
      idempotencyKey: key,
      requestFingerprint: fingerprint(body, caller, twoStep),
      clientRef: invoice.client_ref,
      type: invoice.type,
      apiKeyId: caller.apiKeyId,
      cashierId: caller.cashierId,
      currency: invoice.currency,
      totals: invoice.totals,
      payload,
      payloadHash,
      reference: checkReferenceInStore(this.store, invoice, () => this.identity.require().deviceId),
      mode: twoStep ? "two-step" : "one-shot",
    };
    if (twoStep) return { row: await this.prepareTwoStep(attempt, invoice) };
    // One-shot: nothing is written until the device has answered PREPARE (the header says why).
    const preparingAt = this.options.now();
    const hash = toHex(payloadHash);
    this.inFlight.add(hash);
    try {
      let prepared: Awaited<ReturnType<DevicePort["prepare"]>>;
      try {
        prepared = await this.device.prepare(invoice);
      } catch (err) {
        return { row: await this.refusedPrepare(this.store.insertPreparing(attempt, preparingAt), err) };
      }
      const preparedAt = this.options.now();
      const row = this.store.insertPrepared(attempt, {
        nonce: prepared.nonce,
        commitBefore: prepared.expires_at,
        preparingAt,
        preparedAt,
      });
      return { row, inHand: { invoice, preparingAt, preparedAt } };
    } finally {
      this.inFlight.delete(hash);
    }
  }

  /** A two-step attempt: stored PREPARING before the device sees it, then PREPARED, fsync'd and bound. */
  private async prepareTwoStep(attempt: NewInvoice, invoice: CanonicalInvoiceV2): Promise<InvoiceRow> {
    const row = this.store.insertPreparing(attempt);
    let prepared: Awaited<ReturnType<DevicePort["prepare"]>>;
    try {
      prepared = await this.device.prepare(invoice);
    } catch (err) {
      return this.refusedPrepare(row, err);
    }
    return this.store.transition(row.id, "PREPARING", "PREPARED", {
      nonce: prepared.nonce,
      commitBefore: prepared.expires_at,
      // A two-step POS is told the invoice is PREPARED: that must survive a power cut, and binds the key.
      durable: true,
      bind: true,
    });
  }

  /**
   * A PREPARE that failed, for the attempt stored PREPARING: the journal's record when the device had
   * sealed this payload already; otherwise the attempt ends and the error is thrown.
   */
  private async refusedPrepare(row: InvoiceRow, err: unknown): Promise<InvoiceRow> {
    const error = asFiscalError(err);
    if (error.errorName === "ALREADY_FISCALIZED") {
      // The device sealed this payload before the store knew (a power cut, a restored backup, and no
      // reconciliation yet): the journal's record is this invoice.
      const found = await this.journal.fromJournal(row);
      if (found !== undefined) return found;
    }
    // PREPARE changes no counter: whatever happened, nothing was sealed (a nonce it may have left
    // expires, and reconciliation aborts it). A device refusal is REJECTED, a link failure ABORTED;
    // only a final refusal binds the key.
    const final = !isRetryable(error.errorName);
    if (IN_DOUBT_CODES.has(error.code)) this.counters.aborted++;
    else this.counters.rejected++;
    this.store.transition(row.id, "PREPARING", IN_DOUBT_CODES.has(error.code) ? "ABORTED" : "REJECTED", {
      error,
      bind: final,
    });
    throw error;
  }

  /**
   * Whether a one-shot attempt with this payload hash is between its PREPARE and its first write:
   * the nonce the device lists for it is not stale (reconciliation must not abort it).
   */
  preparing(payloadHash: Uint8Array): boolean {
    return this.inFlight.has(toHex(payloadHash));
  }
}
