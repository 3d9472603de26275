/**
 * What the fiscal service needs from the device: the DEF commands, in protocol types. The daemon's
 * `FiscalDevice` (daemon/device/) implements it over a real link; tests may use the emulator directly.
 * Link failures surface as DEVICE_UNAVAILABLE / DEVICE_TIMEOUT; every other FiscalError is the
 * device's own definite answer.
 */
import {
  type ArgsOf,
  type CanonicalInvoiceV2,
  FiscalError,
  isFiscalError,
  type ResultOf,
  type SealedRecord,
} from "../../protocol/index.js";

/** The DEF, as the fiscal service uses it. */
export interface DevicePort {
  info(): Promise<ResultOf<"INFO">>;
  status(): Promise<ResultOf<"STATUS">>;
  prepare(invoice: CanonicalInvoiceV2): Promise<ResultOf<"PREPARE">>;
  /** Never answers "unknown": a lost reply is resolved by the session (docs/PROTOCOL.md §11). */
  commit(nonce: Uint8Array, payloadHash: Uint8Array): Promise<SealedRecord>;
  abort(nonce: Uint8Array): Promise<ResultOf<"ABORT">>;
  listPending(): Promise<ResultOf<"LIST_PENDING">>;
  getRecord(query: ArgsOf<"GET_RECORD">): Promise<SealedRecord>;
  readJournal(from: number, limit: number): Promise<ResultOf<"JOURNAL_READ">>;
}

/**
 * Error codes that mean "the link failed, the device's answer is not known" — unless the session
 * established the outcome, which it says with `details.outcome === "not-committed"`.
 */
export const IN_DOUBT_CODES: ReadonlySet<number> = new Set([100, 109]);

/**
 * Device refusals of a COMMIT that say the device did not act: it was busy, locked, unactivated, full
 * or without a valid clock, or the daemon never sent it (queue full, wrong or untrusted device plugged in,
 * a device not checked yet after its connect). The
 * nonce stays pending, so a two-step invoice stays PREPARED. Every other COMMIT failure is in doubt
 * until the journal is asked (docs/PROTOCOL.md §10).
 */
export const COMMIT_NOT_ACTED_CODES: ReadonlySet<number> = new Set([
  101, 102, 104, 105, 106, 108, 119, 120, 121,
]);

/** A device call's failure as a FiscalError (anything else the link threw: DEVICE_UNAVAILABLE). */
export function asFiscalError(err: unknown): FiscalError {
  return isFiscalError(err) ? err : new FiscalError("DEVICE_UNAVAILABLE", String(err));
}
