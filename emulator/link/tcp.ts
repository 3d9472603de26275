/**
 * The TCP link: for platforms without PTYs (Windows) and for hosts on another machine. One host at a
 * time, raw bytes, no framing of its own.
 *
 * A second connection while a host is attached is refused: it is reset at once with nothing written
 * (the host sees ECONNRESET or an immediate close). That mirrors the real device, whose serial port
 * one process holds at a time (serialport locks it), and it keeps a stray client (a probe, a second
 * daemon) from stealing a session in the middle of a COMMIT. The cost: a host whose previous connection
 * is still open must wait until it ends. A crashed host process's socket is closed by its kernel at
 * once; only a vanished machine leaves a half-open one, which TCP keepalive eventually finds.
 */
import { createServer, type Server, type Socket } from "node:net";
import { listenError } from "../listen-error.js";
import { type HostLink, handled, LinkEvents } from "./types.js";

/** Idle time before the first keepalive probe on the host's socket (ms): finds hosts that vanished. */
const KEEPALIVE_INITIAL_DELAY_MS = 5_000;
/** Bytes buffered for a host that does not read, beyond which writes are dropped like a UART overrun. */
const MAX_BUFFERED_WRITE_BYTES = 64 * 1024;

/** Where to listen. */
export interface TcpLinkOptions {
  /** Interface to bind, e.g. "127.0.0.1". */
  readonly host: string;
  /** Port to bind; 0 picks a free one (read it back from `address`). */
  readonly port: number;
}

/** A bound host/port pair. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** A HostLink served over TCP. */
export interface TcpLink extends HostLink {
  /** The address actually bound (the real port when 0 was asked). */
  readonly address: TcpAddress;
  /** Whether a host is connected right now. */
  readonly hostAttached: boolean;
  /** Adds a handler called when a host connection is accepted. */
  onHostAttached(handler: () => void): void;
}

class TcpLinkImpl extends LinkEvents implements TcpLink {
  private socket: Socket | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly server: Server,
    readonly address: TcpAddress,
  ) {
    super();
    server.on("connection", (socket) => this.accept(socket));
  }

  write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket === null || !socket.writable || socket.writableLength > MAX_BUFFERED_WRITE_BYTES) return;
    // Copy: the caller may reuse its buffer while the socket still queues ours.
    socket.write(Buffer.from(bytes));
  }

  /** Resets the host's socket (RST, queued bytes discarded): the host sees ECONNRESET, then close. */
  disconnect(): Promise<void> {
    return handled(this.dropHost());
  }

  close(): Promise<void> {
    this.closing ??= handled(
      (async () => {
        const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
        await this.dropHost();
        await stopped;
      })(),
    );
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.socket !== null || this.closing !== null) {
      socket.on("error", () => {});
      socket.resetAndDestroy();
      return;
    }
    this.socket = socket;
    // Frames are small and latency-bound: never hold a reply back waiting for an ACK.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
    // A reset by the host is just the host leaving; 'close' follows and reports it.
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      if (this.socket === socket) this.emitData(new Uint8Array(chunk));
    });
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.hostLeft();
    });
    this.hostArrived();
  }

  /** Resets the current socket, if any, and resolves once it is closed and onHostGone has fired. */
  private async dropHost(): Promise<void> {
    const socket = this.socket;
    if (socket === null) return;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    if (!socket.destroyed) socket.resetAndDestroy();
    await closed;
  }
}

/** Listens on `options.host:options.port` and resolves once bound. */
export async function listenTcpLink(options: TcpLinkOptions): Promise<TcpLink> {
  const server = createServer({ noDelay: true, keepAlive: true });
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error): void => reject(listenError(err, "tcp link", options.host, options.port));
    server.once("error", failed);
    server.listen(options.port, options.host, () => {
      server.off("error", failed);
      resolve();
    });
  });
  // Later server errors (none are expected once bound) must not crash the emulator.
  server.on("error", () => {});
  const bound = server.address();
  if (bound === null || typeof bound === "string") {
    server.close();
    throw new Error(`tcp link: unexpected bound address ${String(bound)}`);
  }
  return new TcpLinkImpl(server, { host: bound.address, port: bound.port });
}
