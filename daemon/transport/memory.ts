/**
 * In-memory transport: the host end of an in-process byte pipe (the emulator's `createMemoryLinkPair()`
 * host end fits this shape). For embedded tests and tools that run a DEF emulator in the same process.
 */
import { deviceUnavailable, type Transport, TransportBase } from "./types.js";

/** The host end of an in-process pipe. */
export interface MemoryPeer {
  write(bytes: Uint8Array): void;
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Adds a handler for the device side dropping the pipe (an unplug). */
  onClose(handler: () => void): void;
  close(): void;
  /** Opens the pipe again; throws when the device side is gone for good. */
  reopen(): void;
  readonly isOpen: boolean;
}

/** A Transport over a MemoryPeer. */
export class MemoryTransport extends TransportBase implements Transport {
  readonly address: string;
  private wired = false;
  private isOpen = false;

  /** Assigns only. */
  constructor(
    private readonly peer: MemoryPeer,
    address = "memory:",
  ) {
    super();
    this.address = address;
  }

  /** Opens (or reopens) the pipe. */
  async open(): Promise<void> {
    if (this.isOpen) return;
    if (!this.wired) {
      this.wired = true;
      this.peer.onData((bytes) => this.handlers.emitData(this.handlers.current, bytes));
      this.peer.onClose(() => {
        this.isOpen = false;
        this.handlers.emitDisconnect(this.handlers.current, new Error("memory link dropped by the device"));
      });
    }
    try {
      if (!this.peer.isOpen) this.peer.reopen();
    } catch (err) {
      throw deviceUnavailable(this.address, "the device end is closed", err);
    }
    this.handlers.opened();
    this.isOpen = true;
  }

  /** Writes bytes into the pipe. */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.isOpen || !this.peer.isOpen) throw deviceUnavailable(this.address, "not open");
    this.peer.write(bytes);
  }

  /** Closes the host end. */
  async close(): Promise<void> {
    this.handlers.closed();
    this.isOpen = false;
    this.peer.close();
  }
}
