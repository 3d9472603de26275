/**
 * The one interface every device link implements: serial, USB-HID, raw USB bulk, TCP and in-memory.
 * A transport moves raw frame bytes and nothing else; framing, retries and the fiscal exchange live
 * above it (daemon/device/), so tests and the emulator plug in without monkey-patching.
 */
import { FiscalError } from "../../protocol/index.js";

/**
 * A byte link to one DEF. `open()` may be called again after `close()` or after the link reported a
 * disconnect: that is how the reconnect loop replugs. Handlers are registered once and survive reopens.
 */
export interface Transport {
  /** The device address this transport serves, as a URI (`serial:/dev/ttyACM0`, `tcp:host:port`…). */
  readonly address: string;
  /** Opens the link. Rejects with a coded FiscalError (DEVICE_UNAVAILABLE) when the device is absent. */
  open(): Promise<void>;
  /**
   * Writes bytes; resolves once they are handed to the OS. Rejects DEVICE_UNAVAILABLE when not open.
   * The session writes exactly one whole frame per call (HID fragmentation relies on it).
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Sets the handler for bytes from the device (one handler; a second call replaces the first). */
  onData(handler: (bytes: Uint8Array) => void): void;
  /**
   * Sets the handler for the device going away while open (unplug, hang-up, socket reset). It fires at
   * most once per successful `open()`, never for a `close()` the caller asked for.
   */
  onDisconnect(handler: (reason: Error) => void): void;
  /**
   * Optional hot-plug hint: called when a matching device (re)appears, so the reconnect loop can try at
   * once instead of waiting out its backoff. USB transports implement it from attach events.
   */
  onArrival?(handler: () => void): void;
  /** Closes the link and stops hot-plug watching. Idempotent; never rejects. */
  close(): Promise<void>;
}

/** The coded error of a link that is not there: names the address and, when known, why. */
export function deviceUnavailable(address: string, why: string, cause?: unknown): FiscalError {
  return new FiscalError(
    "DEVICE_UNAVAILABLE",
    `${address}: ${why}`,
    { address },
    cause === undefined ? undefined : { cause },
  );
}

/** The message of any thrown value, for logs and coded errors. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Single-handler bookkeeping shared by the transports: one data handler, one disconnect handler, and a
 * guard so a disconnect is reported once per open session.
 */
export class TransportHandlers {
  private data: ((bytes: Uint8Array) => void) | null = null;
  private gone: ((reason: Error) => void) | null = null;
  private arrival: (() => void) | null = null;
  private session = 0;
  private reported = -1;

  /** Sets the data handler. */
  setData(handler: (bytes: Uint8Array) => void): void {
    this.data = handler;
  }

  /** Sets the disconnect handler. */
  setDisconnect(handler: (reason: Error) => void): void {
    this.gone = handler;
  }

  /** Sets the arrival handler. */
  setArrival(handler: () => void): void {
    this.arrival = handler;
  }

  /** Marks a new open session: the next disconnect may be reported. Returns its number. */
  opened(): number {
    this.session++;
    return this.session;
  }

  /** Marks the session as ended by the caller: a later disconnect of it is not reported. */
  closed(): void {
    this.reported = this.session;
  }

  /** The current session number, to tell stale callbacks of an earlier session apart. */
  get current(): number {
    return this.session;
  }

  /** Hands bytes of `session` to the data handler (bytes of an older session are dropped). */
  emitData(session: number, bytes: Uint8Array): void {
    if (session === this.session && this.reported !== session) this.data?.(bytes);
  }

  /** Reports the loss of `session`, once, unless it was closed on purpose. */
  emitDisconnect(session: number, reason: Error): void {
    if (session !== this.session || this.reported === session) return;
    this.reported = session;
    this.gone?.(reason);
  }

  /** Reports that a matching device appeared. */
  emitArrival(): void {
    this.arrival?.();
  }
}

/**
 * The handler plumbing every transport shares: one data handler and one disconnect handler, kept in
 * `handlers` for the subclass to fire.
 */
export abstract class TransportBase {
  protected readonly handlers = new TransportHandlers();

  /** Sets the data handler. */
  onData(handler: (bytes: Uint8Array) => void): void {
    this.handlers.setData(handler);
  }

  /** Sets the disconnect handler. */
  onDisconnect(handler: (reason: Error) => void): void {
    this.handlers.setDisconnect(handler);
  }
}

/** A transport that also reports USB hot-plug arrivals. */
export abstract class HotplugTransportBase extends TransportBase {
  /** Sets the hot-plug arrival handler. */
  onArrival(handler: () => void): void {
    this.handlers.setArrival(handler);
  }
}
