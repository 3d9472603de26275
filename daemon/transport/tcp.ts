/**
 * TCP transport: the emulator's TCP listener (platforms without PTYs, or a DEF emulator on another
 * machine). Raw frame bytes on the socket, no framing of its own; Nagle off because frames are small and
 * latency-bound.
 */
import { connect, type Socket } from "node:net";
import { deviceUnavailable, messageOf, type Transport, TransportBase } from "./types.js";

/** Longest wait for a TCP connection to be accepted, in ms. */
export const TCP_CONNECT_TIMEOUT_MS = 3_000;
/** Idle time before the first keepalive probe, in ms: finds a peer that vanished without a FIN. */
export const TCP_KEEPALIVE_DELAY_MS = 5_000;

/** Where to connect. */
export interface TcpTransportOptions {
  readonly host: string;
  readonly port: number;
  /** Connect timeout in ms (default TCP_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
}

/** A Transport over one TCP connection. */
export class TcpTransport extends TransportBase implements Transport {
  readonly address: string;
  private socket: Socket | null = null;

  /** Assigns only; `open()` connects. */
  constructor(private readonly options: TcpTransportOptions) {
    super();
    const host = options.host.includes(":") ? `[${options.host}]` : options.host;
    this.address = `tcp:${host}:${options.port}`;
  }

  /** Connects; DEVICE_UNAVAILABLE when refused, reset at once, or not accepted in time. */
  async open(): Promise<void> {
    if (this.socket !== null) return;
    const session = this.handlers.opened();
    const timeoutMs = this.options.connectTimeoutMs ?? TCP_CONNECT_TIMEOUT_MS;
    const socket = connect({ host: this.options.host, port: this.options.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`not accepted within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(deviceUnavailable(this.address, messageOf(err), err));
      };
      socket.once("error", fail);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", fail);
        resolve();
      });
    });
    socket.setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
    socket.on("data", (chunk: Buffer) => this.handlers.emitData(session, new Uint8Array(chunk)));
    // A reset is the peer leaving; 'close' follows and reports it.
    socket.on("error", () => {});
    socket.on("close", () => {
      if (this.socket === socket) this.socket = null;
      this.handlers.emitDisconnect(session, new Error("connection closed by the device"));
    });
    this.socket = socket;
  }

  /** Writes; resolves once the bytes are queued to the kernel. */
  write(bytes: Uint8Array): Promise<void> {
    const socket = this.socket;
    if (socket === null || !socket.writable) {
      return Promise.reject(deviceUnavailable(this.address, "not connected"));
    }
    return new Promise((resolve, reject) => {
      socket.write(Buffer.from(bytes), (err) =>
        err ? reject(deviceUnavailable(this.address, `write failed: ${messageOf(err)}`, err)) : resolve(),
      );
    });
  }

  /** Ends the connection and waits until the socket is closed. */
  async close(): Promise<void> {
    this.handlers.closed();
    const socket = this.socket;
    this.socket = null;
    if (socket === null || socket.destroyed) return;
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.destroy();
    await closed;
  }
}
