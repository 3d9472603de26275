/**
 * The byte link between the emulated device and one host: a PTY that looks like /dev/ttyACM0, a TCP
 * socket, or an in-process pair for tests. The device core only ever sees this interface.
 */

/** One connected host, as the device sees it: raw bytes in and out. */
export interface HostLink {
  /**
   * Sends bytes to the host. Never throws; bytes written while no host is attached are dropped (a real
   * UART does the same).
   */
  write(bytes: Uint8Array): void;
  /** Registers the handler for bytes from the host (one handler: a second call replaces the first). */
  onData(handler: (bytes: Uint8Array) => void): void;
  /**
   * Adds a handler called when a host arrives (port opened, socket accepted). Optional so that test
   * fakes need not implement it; every link in this folder does.
   */
  onHostAttached?(handler: () => void): void;
  /**
   * Adds a handler called when the host side goes away (port closed, socket ended, disconnect(),
   * close() while a host was attached). Fires once per host, never twice in a row.
   */
  onHostGone(handler: () => void): void;
  /**
   * Simulates pulling the USB cable mid-session: the current host's open port fails (what it observes
   * depends on the link, see each implementation) and the link is at once ready for the next host at
   * the same address. Bytes in flight are lost. The returned promise is already marked handled, so a
   * fire-and-forget call cannot crash the process on failure; await it to see the error.
   */
  disconnect(): Promise<void>;
  /** Closes the link for good and releases every resource (fds, symlink, sockets). Idempotent. */
  close(): Promise<void>;
}

/**
 * The listener half of HostLink, shared by the links so that they all report hosts alike: onHostGone
 * only after an attach and never twice in a row, and an exception in a handler surfaces as an uncaught
 * error instead of unwinding (and silencing) a link's read loop.
 */
export abstract class LinkEvents {
  private dataHandler: ((bytes: Uint8Array) => void) | null = null;
  private readonly attachedHandlers: Array<() => void> = [];
  private readonly goneHandlers: Array<() => void> = [];
  private present = false;

  /** Whether a host is attached right now. */
  get hostAttached(): boolean {
    return this.present;
  }

  /** See HostLink.onData. */
  onData(handler: (bytes: Uint8Array) => void): void {
    this.dataHandler = handler;
  }

  /** See HostLink.onHostAttached. */
  onHostAttached(handler: () => void): void {
    this.attachedHandlers.push(handler);
  }

  /** See HostLink.onHostGone. */
  onHostGone(handler: () => void): void {
    this.goneHandlers.push(handler);
  }

  /** Hands bytes from the host to the data handler (dropped if none is registered yet). */
  protected emitData(bytes: Uint8Array): void {
    const handler = this.dataHandler;
    if (handler !== null) invokeIsolated(() => handler(bytes));
  }

  /** Records that a host is present; fires the attached handlers on a change only. */
  protected hostArrived(): void {
    if (this.present) return;
    this.present = true;
    for (const handler of [...this.attachedHandlers]) invokeIsolated(handler);
  }

  /** Records that no host is present; fires the gone handlers on a change only. */
  protected hostLeft(): void {
    if (!this.present) return;
    this.present = false;
    for (const handler of [...this.goneHandlers]) invokeIsolated(handler);
  }
}

/**
 * Runs a handler; if it throws, rethrows on the next tick. A bug in the device core must fail loudly
 * (as an EventEmitter listener would) but must not unwind the link's read loop, which would go deaf.
 */
function invokeIsolated(handler: () => void): void {
  try {
    handler();
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** Returns `promise` after marking it handled, so an un-awaited rejection is not an unhandled one. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}
