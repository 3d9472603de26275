/**
 * Serial transport (`serialport`): CDC-ACM DEFs (/dev/ttyACM*, COMn) and the emulator's PTY. The port is
 * opened raw and locked, so a second process cannot interleave frames on it. A hang-up (USB unplug, the
 * emulator replugging its PTY) arrives as serialport's 'close' with `disconnected: true`.
 */
import { SerialPort } from "serialport";
import { deviceUnavailable, messageOf, type Transport, TransportBase } from "./types.js";

/** How to open a serial port. */
export interface SerialTransportOptions {
  /** Port path: /dev/ttyACM0, a PTY symlink, COM3. */
  readonly path: string;
  /** Line speed in bits/s; CDC-ACM devices and PTYs ignore it. */
  readonly baudRate: number;
  /** The URI to report; `serial:<path>` when omitted. */
  readonly address?: string;
}

/** A Transport over one serial port. */
export class SerialTransport extends TransportBase implements Transport {
  readonly address: string;
  private port: SerialPort | null = null;

  /** Assigns only; `open()` opens the port. */
  constructor(private readonly options: SerialTransportOptions) {
    super();
    this.address = options.address ?? `serial:${options.path}`;
  }

  /** Opens the port raw (8N1, no flow control) with an exclusive lock. */
  async open(): Promise<void> {
    if (this.port !== null) return;
    const session = this.handlers.opened();
    const port = new SerialPort({
      path: this.options.path,
      baudRate: this.options.baudRate,
      autoOpen: false,
      lock: true,
      // Keep DTR up after close: some CDC-ACM firmwares reset their session on a DTR drop.
      hupcl: false,
    });
    await new Promise<void>((resolve, reject) => {
      port.open((err) => (err ? reject(deviceUnavailable(this.address, messageOf(err), err)) : resolve()));
    });
    port.on("data", (chunk: Buffer) => this.handlers.emitData(session, new Uint8Array(chunk)));
    // Errors after open are followed by 'close' when fatal; on their own they are not a disconnect.
    port.on("error", () => {});
    port.on("close", (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.port === port) this.port = null;
      this.handlers.emitDisconnect(session, err ?? new Error("serial port closed"));
    });
    this.port = port;
  }

  /** Writes and waits until the bytes are handed to the OS. */
  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (port === null || !port.isOpen)
      return Promise.reject(deviceUnavailable(this.address, "port is not open"));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) =>
        err ? reject(deviceUnavailable(this.address, `write failed: ${messageOf(err)}`, err)) : resolve(),
      );
    });
  }

  /** Closes the port (a port already gone closes silently). */
  async close(): Promise<void> {
    this.handlers.closed();
    const port = this.port;
    this.port = null;
    if (port === null || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
