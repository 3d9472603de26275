/**
 * PendingPrepares: the nonces PREPARE handed out and not yet committed, aborted or expired. They
 * live in RAM only, like a real DEF's volatile session table: a restart aborts them all, which is
 * safe because a PREPARE changes no counter and the host can PREPARE again.
 */
import { randomBytes } from "node:crypto";
import { bytesEqual, type CanonicalInvoice, toHex } from "../../protocol/index.js";

/** Length of a PREPARE nonce, in bytes. */
export const NONCE_BYTES = 16;

/** One PREPARE waiting for its COMMIT. */
export interface PendingPrepare {
  readonly nonce: Uint8Array;
  readonly payloadHash: Uint8Array;
  readonly invoice: CanonicalInvoice;
  readonly expiresAt: number;
}

/** The device's table of pending PREPAREs, keyed by nonce. */
export class PendingPrepares {
  private readonly byNonce = new Map<string, PendingPrepare>();

  /** How many are pending (expired ones included until purged). */
  get size(): number {
    return this.byNonce.size;
  }

  /** Drops every PREPARE whose nonce expired at or before `now`. */
  purgeExpired(now: number): void {
    for (const [key, p] of this.byNonce) if (p.expiresAt <= now) this.byNonce.delete(key);
  }

  /** The pending PREPARE bound to `payloadHash`, if any. */
  findByPayload(payloadHash: Uint8Array): PendingPrepare | undefined {
    for (const p of this.byNonce.values()) if (bytesEqual(p.payloadHash, payloadHash)) return p;
    return undefined;
  }

  /** The PREPARE holding `nonce`. */
  get(nonce: Uint8Array): PendingPrepare | undefined {
    return this.byNonce.get(toHex(nonce));
  }

  /** Creates a PREPARE with a fresh random nonce. */
  add(payloadHash: Uint8Array, invoice: CanonicalInvoice, expiresAt: number): PendingPrepare {
    const pending = { nonce: new Uint8Array(randomBytes(NONCE_BYTES)), payloadHash, invoice, expiresAt };
    this.byNonce.set(toHex(pending.nonce), pending);
    return pending;
  }

  /** Removes the PREPARE holding `nonce`; true when there was one. */
  delete(nonce: Uint8Array): boolean {
    return this.byNonce.delete(toHex(nonce));
  }

  /** Every pending PREPARE, oldest first. */
  list(): PendingPrepare[] {
    return [...this.byNonce.values()];
  }

  /** Forgets all of them (power loss). */
  clear(): void {
    this.byNonce.clear();
  }
}
