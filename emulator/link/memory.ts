/**
 * An in-process link pair for embedded tests: no fds, no sockets, but the same timing shape as a real
 * link. Every chunk is delivered on a later turn of the event loop (setImmediate), never re-entrantly
 * from inside write(), so a device that answers from its data handler cannot recurse into the host.
 */
import { type HostLink, handled, LinkEvents } from "./types.js";

/** The device end of a memory pair. */
export interface MemoryDeviceEnd extends HostLink {
  /** Whether the host end is open. */
  readonly hostAttached: boolean;
  /** Adds a handler called when the host end (re)opens. */
  onHostAttached(handler: () => void): void;
}

/** The host end of a memory pair: what a test plays the host with. Starts open. */
export interface MemoryHostEnd {
  /** Sends bytes to the device; dropped while this end is closed. */
  write(bytes: Uint8Array): void;
  /** Registers the handler for bytes from the device (one handler: a second call replaces the first). */
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Adds a handler called when the device side drops this end (disconnect() or close()). */
  onClose(handler: () => void): void;
  /** Closes this end, like a host closing its port: the device sees onHostGone. Idempotent. */
  close(): void;
  /** Opens this end again after close() or a device disconnect(); throws once the device end is closed. */
  reopen(): void;
  /** Whether this end is open. */
  readonly isOpen: boolean;
}

/** Both ends of an in-process link. */
export interface MemoryLinkPair {
  readonly device: MemoryDeviceEnd;
  readonly host: MemoryHostEnd;
}

class MemoryDevice extends LinkEvents implements MemoryDeviceEnd {
  private closed = false;
  // Bumped whenever the host end closes: a chunk sent in one session must not land in the next.
  private session = 0;
  private hostData: ((bytes: Uint8Array) => void) | null = null;
  private readonly hostCloseHandlers: Array<() => void> = [];

  constructor() {
    super();
    this.hostArrived();
  }

  write(bytes: Uint8Array): void {
    if (!this.hostAttached || this.closed) return;
    const copy = bytes.slice();
    this.later(() => this.hostData?.(copy));
  }

  disconnect(): Promise<void> {
    return handled(Promise.resolve().then(() => this.endSession(true)));
  }

  close(): Promise<void> {
    this.closed = true;
    this.endSession(true);
    return Promise.resolve();
  }

  /** Host side: bytes to the device, copied now, delivered on a later turn. */
  fromHost(bytes: Uint8Array): void {
    if (!this.hostAttached) return;
    const copy = bytes.slice();
    this.later(() => this.emitData(copy));
  }

  setHostData(handler: (bytes: Uint8Array) => void): void {
    this.hostData = handler;
  }

  addHostClose(handler: () => void): void {
    this.hostCloseHandlers.push(handler);
  }

  openSession(): void {
    if (this.closed) throw new Error("memory link: the device end is closed");
    this.hostArrived();
  }

  /** Ends the host session; `byDevice` also tells the host end, as a failed port would. */
  endSession(byDevice: boolean): void {
    if (!this.hostAttached) return;
    this.session++;
    this.hostLeft();
    if (byDevice) for (const handler of [...this.hostCloseHandlers]) setImmediate(handler);
  }

  private later(deliver: () => void): void {
    const session = this.session;
    setImmediate(() => {
      if (this.hostAttached && session === this.session) deliver();
    });
  }
}

/**
 * Creates a connected in-process pair (host end open). Bytes are copied on write (callers may reuse
 * their buffers) and are lost if the host end closes before delivery, like bytes on a pulled cable.
 */
export function createMemoryLinkPair(): MemoryLinkPair {
  const device = new MemoryDevice();
  const host: MemoryHostEnd = {
    get isOpen() {
      return device.hostAttached;
    },
    write: (bytes) => device.fromHost(bytes),
    onData: (handler) => device.setHostData(handler),
    onClose: (handler) => device.addHostClose(handler),
    close: () => device.endSession(false),
    reopen: () => device.openSession(),
  };
  return { device, host };
}
