/**
 * FiscalDevice: the DEF as the daemon sees it. Every method speaks protocol types (`ArgsOf`, `ResultOf`),
 * never bytes; the session underneath does framing, queueing, retries and the lost-reply rule. It has the
 * shape the composition root and the fiscal service expect (daemon/device-link.ts DeviceLink,
 * daemon/fiscal/device-port.ts DevicePort): open/close, `connected`, `onConnected` for reconciling after
 * every (re)connect, counters, and `refuse()` to block fiscal calls while a wrong device is plugged in.
 */
import type {
  ArgsOf,
  CanonicalInvoiceV2,
  DeviceEvent,
  FiscalError,
  ResultOf,
  SealedRecord,
} from "../../protocol/index.js";
import type { LinkState, LinkStateChange } from "../transport/link.js";
import type { LinkCounters } from "./counters.js";
import type { DeviceSession } from "./session.js";

/** The fiscal device API over one session. */
export class FiscalDevice {
  private refusal: FiscalError | null = null;

  /** Assigns only; `open()` starts the session. */
  constructor(readonly session: DeviceSession) {}

  /** Starts the link; the device may be absent (requests fail fast until it arrives). */
  open(): Promise<void> {
    return this.session.start();
  }

  /** Rejects every waiting request, settles the one in flight, closes the transport. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** The device URI. */
  get address(): string {
    return this.session.address;
  }

  /** True while the link is up. */
  get connected(): boolean {
    return this.session.linkState === "up";
  }

  /** Whether the link is up, connecting, away or closed. */
  get linkState(): LinkState {
    return this.session.linkState;
  }

  /** Calls `handler` after every successful connect, the first included. */
  onConnected(handler: () => void): void {
    this.session.onLinkState((change) => {
      if (change.state === "up") handler();
    });
  }

  /** Adds a listener for link state changes (up, away, …); returns its remover. */
  onLinkState(listener: (change: LinkStateChange) => void): () => void {
    return this.session.onLinkState(listener);
  }

  /** Requests waiting for the device. */
  get queued(): number {
    return this.session.queued;
  }

  /** Link counters for the status endpoint and metrics. */
  counters(): Readonly<LinkCounters> {
    return this.session.counters;
  }

  /** While set, PREPARE and COMMIT fail with `error` without reaching the device; null lifts it. */
  refuse(error: FiscalError | null): void {
    this.refusal = error;
  }

  /** Identity, keys, state, activation and limits. */
  info(): Promise<ResultOf<"INFO">> {
    return this.session.request("INFO", {});
  }

  /** Counters, journal use, pending PREPAREs, clock and warnings. */
  status(): Promise<ResultOf<"STATUS">> {
    return this.session.request("STATUS", {});
  }

  /** Activates the device with a cloud-signed bundle; returns its signed activation record. */
  activate(bundle: ArgsOf<"ACTIVATE">["bundle"]): Promise<ResultOf<"ACTIVATE">> {
    return this.session.request("ACTIVATE", { bundle });
  }

  /**
   * Validates a canonical invoice and reserves a nonce bound to its payload hash. A lost reply is not
   * resolved (a PREPARE cannot seal): DEVICE_TIMEOUT / DEVICE_UNAVAILABLE with `details.cannot_seal`.
   */
  prepare(invoice: CanonicalInvoiceV2): Promise<ResultOf<"PREPARE">> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    return this.session.request("PREPARE", { invoice });
  }

  /**
   * Seals the prepared invoice. If the reply is lost or unreadable the session establishes the outcome
   * with ABORT + GET_RECORD: the record when it was committed, else DEVICE_TIMEOUT / DEVICE_UNAVAILABLE
   * with `details.outcome === "not-committed"` (PREPARE again), or, when the device does not answer
   * within `resolveDeadlineMs`, DEVICE_UNAVAILABLE with `details.outcome === "in-doubt"`. Every other
   * rejection means nothing was sealed: a refusal the device answered, DEVICE_BUSY (never executed), or
   * a request that never left (not connected, queue full). Never a second fiscal number.
   */
  commit(nonce: Uint8Array, payloadHash: Uint8Array): Promise<SealedRecord> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    return this.session.request("COMMIT", { nonce, payload_hash: payloadHash });
  }

  /** Cancels a pending PREPARE. */
  abort(nonce: Uint8Array): Promise<ResultOf<"ABORT">> {
    return this.session.request("ABORT", { nonce });
  }

  /** The PREPAREs pending on the device. */
  listPending(): Promise<ResultOf<"LIST_PENDING">> {
    return this.session.request("LIST_PENDING", {});
  }

  /** One record by fiscal number, payload hash or client reference; RECORD_NOT_FOUND when absent. */
  getRecord(query: ArgsOf<"GET_RECORD">): Promise<SealedRecord> {
    return this.session.request("GET_RECORD", query);
  }

  /** One page of the journal from fiscal number `from` (at most `limit`, ≤ JOURNAL_PAGE_MAX). */
  readJournal(from: number, limit: number): Promise<ResultOf<"JOURNAL_READ">> {
    return this.session.request("JOURNAL_READ", { from, limit });
  }

  /**
   * Closes the fiscal day as Z number `number` (docs/PROTOCOL.md §13). A lost reply is resolved like a
   * COMMIT's: GET_REPORT tells whether that Z was made, and only if not is it sent again, so a day is
   * never closed twice (its closures then come through reconciliation, not in the reply).
   */
  zReport(isf: string, number: number): Promise<ResultOf<"Z_REPORT">> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    return this.session.request("Z_REPORT", { isf, number });
  }

  /** The open day's figures, signed; journals nothing. */
  xReport(isf: string): Promise<ResultOf<"X_REPORT">> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    return this.session.request("X_REPORT", { isf });
  }

  /** A journaled report by kind and number, or the latest; RECORD_NOT_FOUND when there is none. */
  getReport(args: ArgsOf<"GET_REPORT">): Promise<ResultOf<"GET_REPORT">> {
    return this.session.request("GET_REPORT", args);
  }

  /** The signed digest of the article lines of fiscal numbers `from` … `to`. */
  aReport(isf: string, from: number, to: number): Promise<ResultOf<"A_REPORT">> {
    if (this.refusal !== null) return Promise.reject(this.refusal);
    return this.session.request("A_REPORT", { isf, from, to });
  }

  /** The device clock. */
  timeGet(): Promise<ResultOf<"TIME_GET">> {
    return this.session.request("TIME_GET", {});
  }

  /** Sets the device clock (ms since the epoch). */
  timeSet(now: number): Promise<ResultOf<"TIME_SET">> {
    return this.session.request("TIME_SET", { now });
  }

  /** Runs the device self-test. */
  selfTest(): Promise<ResultOf<"SELF_TEST">> {
    return this.session.request("SELF_TEST", {});
  }

  /** Adds a listener for every device event; returns its remover. */
  onEvent(listener: (event: DeviceEvent) => void): () => void {
    return this.session.onEvent(listener);
  }

  /** Adds a listener called when the device announces BOOT (first attach and every reattach). */
  onBoot(listener: (event: DeviceEvent) => void): () => void {
    return this.session.onEvent((event) => {
      if (event.event === "BOOT") listener(event);
    });
  }
}
