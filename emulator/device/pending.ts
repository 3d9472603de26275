/**
 * PendingPrepares: the nonces PREPARE handed out and not yet committed, aborted or expired, and the
 * nonces that expired recently (PROTOCOL.md §10.2). Both live in RAM only, like a real DEF's volatile
 * session table: a restart aborts every pending PREPARE and forgets every expired nonce, which is safe
 * because a PREPARE changes no counter and the host can PREPARE again.
 *
 * Every query takes device time and first moves what expired by then into the expired memory, so no
 * caller can see an expired nonce as pending or count it against the pending cap, whether or not
 * anything polled in between.
 *
 * Every PREPARE that ends without its COMMIT (aborted, expired, dropped, or lost with the power) is
 * reported to `onIncomplete`: the Z report counts the day's incomplete sales (SFE §1.3.3).
 */
import { randomBytes } from "node:crypto";
import { bytesEqual, type CanonicalInvoiceV2, toHex } from "../../protocol/index.js";
import { EXPIRED_NONCE_MEMORY, EXPIRED_NONCE_MEMORY_MS } from "../config.js";

/** Length of a PREPARE nonce, in bytes. */
export const NONCE_BYTES = 16;

/** What PREPARE validated: the invoice, its canonical bytes and their SHA-256. */
export interface PreparedInvoice {
  readonly payloadHash: Uint8Array;
  readonly invoice: CanonicalInvoiceV2;
  /** The canonical CBOR bytes (SHA-256 = payloadHash) that COMMIT stores in the journal. */
  readonly invoiceBytes: Uint8Array;
}

/** One PREPARE waiting for its COMMIT. */
export interface PendingPrepare extends PreparedInvoice {
  readonly nonce: Uint8Array;
  readonly expiresAt: number;
}

/** What the device knows about a nonce at a given time. */
export type NonceLookup =
  | { readonly state: "pending"; readonly pending: PendingPrepare }
  | { readonly state: "expired"; readonly expiredAt: number }
  | { readonly state: "unknown" };

/** The device's table of pending PREPAREs, keyed by nonce, and its memory of expired nonces. */
export class PendingPrepares {
  private readonly byNonce = new Map<string, PendingPrepare>();
  /** Expired nonce (hex) → its expiry time, in order of expiry (oldest first). */
  private readonly expired = new Map<string, number>();

  /** `onIncomplete(n)` hears of every n PREPAREs that ended without COMMIT. */
  constructor(private readonly onIncomplete: (count: number) => void = () => {}) {}

  /** How many PREPAREs are pending at device time `now` (expired ones never count). */
  count(now: number): number {
    this.sweep(now);
    return this.byNonce.size;
  }

  /** The PREPARE pending at `now` bound to `payloadHash`, if any. */
  findByPayload(payloadHash: Uint8Array, now: number): PendingPrepare | undefined {
    this.sweep(now);
    for (const p of this.byNonce.values()) if (bytesEqual(p.payloadHash, payloadHash)) return p;
    return undefined;
  }

  /** Whether `nonce` is pending, expired (and still remembered) or unknown at `now`. */
  lookup(nonce: Uint8Array, now: number): NonceLookup {
    this.sweep(now);
    const key = toHex(nonce);
    const pending = this.byNonce.get(key);
    if (pending !== undefined) return { state: "pending", pending };
    const expiredAt = this.expired.get(key);
    return expiredAt === undefined ? { state: "unknown" } : { state: "expired", expiredAt };
  }

  /** Creates a PREPARE with a fresh random nonce. */
  add(prepared: PreparedInvoice, expiresAt: number): PendingPrepare {
    const pending = { ...prepared, nonce: new Uint8Array(randomBytes(NONCE_BYTES)), expiresAt };
    this.byNonce.set(toHex(pending.nonce), pending);
    return pending;
  }

  /** Removes a PREPARE its COMMIT sealed; true when there was one. */
  committed(nonce: Uint8Array): boolean {
    return this.byNonce.delete(toHex(nonce));
  }

  /** Removes a PREPARE that ends without COMMIT (aborted, or unable to commit), and counts it. */
  abandon(nonce: Uint8Array): boolean {
    const removed = this.byNonce.delete(toHex(nonce));
    if (removed) this.onIncomplete(1);
    return removed;
  }

  /** Every PREPARE pending at `now`, oldest first. */
  list(now: number): PendingPrepare[] {
    this.sweep(now);
    return [...this.byNonce.values()];
  }

  /** Forgets all of them, pending and expired (power loss); the pending ones are incomplete sales. */
  clear(): void {
    const lost = this.byNonce.size;
    this.byNonce.clear();
    if (lost > 0) this.onIncomplete(lost);
    this.expired.clear();
  }

  /**
   * Moves every PREPARE whose nonce expired at or before `now` into the expired memory, under the time
   * it expired (not the time anyone noticed), then forgets expired nonces past the memory's bounds:
   * older than EXPIRED_NONCE_MEMORY_MS after their expiry, or beyond the newest EXPIRED_NONCE_MEMORY.
   */
  private sweep(now: number): void {
    const lapsed = [...this.byNonce].filter(([, p]) => p.expiresAt <= now);
    lapsed.sort(([, a], [, b]) => a.expiresAt - b.expiresAt);
    for (const [key, p] of lapsed) {
      this.byNonce.delete(key);
      this.expired.set(key, p.expiresAt);
    }
    if (lapsed.length > 0) this.onIncomplete(lapsed.length);
    for (const [key, expiredAt] of this.expired) {
      if (this.expired.size <= EXPIRED_NONCE_MEMORY && expiredAt + EXPIRED_NONCE_MEMORY_MS > now) break;
      this.expired.delete(key);
    }
  }
}
