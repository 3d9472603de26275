/**
 * One PTY pair as the PTY link uses it: the slave configured raw and then left to hosts, the master a
 * bare non-blocking fd. Split from pty.ts only to keep files short.
 *
 * Why node-pty's native `open()` and not its JS wrapper: the wrapper wraps both fds in tty streams.
 * The slave stream reads in-process (stealing the host's bytes) and the master stream dies on the EIO a
 * master returns while no process has the slave open, closing the fd and the whole pair with it. Here
 * the master is read and written with readSync/writeSync, which never block on a non-blocking fd and
 * leave no fs call in flight when the fd is closed. serialport's fd poller (the one it uses for the host
 * side too) says when to read while a host is there; EIO means "no host now", and the master is then
 * re-read every HOST_POLL_INTERVAL_MS until the next host opens the slave.
 */
import { closeSync, readSync, writeSync } from "node:fs";
import {
  DarwinBinding,
  LinuxBinding,
  type LinuxOpenOptions,
  LinuxPortBinding,
  type OpenOptions,
} from "@serialport/bindings-cpp";

/** How often a master with no host on its slave is re-read to notice the next host (ms). */
export const HOST_POLL_INTERVAL_MS = 20;
/** Wait before retrying a write the host is not draining (its input buffer is full) (ms). */
const WRITE_RETRY_DELAY_MS = 2;
/** Bytes queued for a host that does not read, beyond which writes are dropped like a UART overrun. */
const MAX_QUEUED_WRITE_BYTES = 64 * 1024;
/** Size of one master read (bytes); a kernel PTY buffer holds 4 KiB. */
const READ_CHUNK_BYTES = 4096;
/** Baud rate given when configuring the slave; a PTY accepts and ignores it (bits/s). */
const RAW_MODE_BAUD = 115_200;
/** libuv's uv_poll_event bits, which serialport's Poller.poll() takes as they are. */
const UV_READABLE = 1;
const UV_DISCONNECT = 4;
/** errno codes that mean "not now" on a non-blocking fd. */
const RETRY_LATER = new Set(["EAGAIN", "EWOULDBLOCK", "EINTR"]);

/**
 * node-pty is an optional dependency loaded only when a PTY link opens, so the daemon, the CLI and an
 * installed package without it never load it (docs/INSTALL.md: the emulator's PTY link is for
 * development and CI; the TCP link needs nothing native).
 */
async function loadNativePty(): Promise<NativeUnixPty | null> {
  let nodePty: unknown;
  try {
    nodePty = (await import("node-pty")).default;
  } catch (err) {
    throw new Error(
      "pty link: the optional package node-pty is not installed (an installed release ships without it); use the TCP link (--no-link --tcp HOST:PORT)",
      { cause: err },
    );
  }
  return (nodePty as { native?: NativeUnixPty | null }).native ?? null;
}

/**
 * LinuxPortBinding wants full open options but only stores them: only its fd poller (a uv_poll, nothing
 * Linux-specific, so fine on macOS too) and close() are used, and the master is never configured.
 */
const POLLER_ONLY_OPTIONS: Omit<Required<LinuxOpenOptions>, "path"> = {
  baudRate: RAW_MODE_BAUD,
  dataBits: 8,
  stopBits: 1,
  parity: "none",
  vmin: 1,
  vtime: 0,
  lock: false,
  rtscts: false,
  xon: false,
  xoff: false,
  xany: false,
  hupcl: false,
};

/** The slice of node-pty's native Unix module used here (node-pty exports it, untyped). */
type NativeUnixPty = { open(cols: number, rows: number): { master: number; slave: number; pty: string } };

/** serialport's platform binding, reduced to the one call used here. */
type RawOpener = { open(options: OpenOptions): Promise<{ close(): Promise<void> }> };

/** What a pair reports to its link. */
export type PairEvents = { presence(present: boolean): void; data(bytes: Uint8Array): void };

/** The errno code of a failed fs call. */
function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? "?";
}

/** One PTY pair and the I/O on its master; disconnect() retires a pair and opens another. */
export class PtyPair {
  private hostPresent = false;
  private closed = false;
  // Set by the poller when the slave's last opener closed it, even if a new host opened it before we read.
  private hungUp = false;
  private polling = false;
  private events: PairEvents | null = null;
  private readonly chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private readTimer: NodeJS.Timeout | null = null;
  private writeTimer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly master: LinuxPortBinding,
    private readonly fd: number,
    readonly slavePath: string,
  ) {}

  /** Opens a pair, puts the slave in raw mode and starts nothing yet (see start()). */
  static async open(): Promise<PtyPair> {
    const native = await loadNativePty();
    if (process.platform === "win32" || !native) throw new Error("pty link: no PTYs here; use the TCP link");
    const { master, slave, pty } = native.open(80, 24);
    try {
      // Opening the slave with serialport's own setup leaves its termios raw (no echo, no CR/LF
      // mapping, no signal or XON/XOFF characters); the settings last as long as the master does.
      const binding: RawOpener = process.platform === "darwin" ? DarwinBinding : LinuxBinding;
      await (await binding.open({ path: pty, baudRate: RAW_MODE_BAUD, lock: false, hupcl: false })).close();
    } catch (err) {
      closeSync(master);
      throw err;
    } finally {
      // Hold no slave fd: the slave being unopened (EIO on the master) is how a closed port shows.
      closeSync(slave);
    }
    return new PtyPair(new LinuxPortBinding(master, { ...POLLER_ONLY_OPTIONS, path: pty }), master, pty);
  }

  /** Starts reading the master; `events` learns of hosts and their bytes. */
  start(events: PairEvents): void {
    this.events = events;
    const poller = this.master.poller;
    poller.on("readable", (err: (Error & { canceled?: boolean }) | null) => {
      if (err === null) {
        // After this emit the poller emits "disconnect" for the same wake-up: read once both are in.
        queueMicrotask(() => this.readOnce());
      } else if (!err.canceled && !this.closed) {
        // A failed poll, not our own stop(): the poller stopped itself; re-read on a timer, not go deaf.
        this.polling = false;
        this.readTimer = setTimeout(() => this.readOnce(), HOST_POLL_INTERVAL_MS);
      }
    });
    poller.on("disconnect", (err: Error | null) => {
      if (err === null) this.hungUp = true;
    });
    this.readOnce();
  }

  /** Sends bytes to the host; dropped when no host has the slave open or too much is already queued. */
  send(bytes: Uint8Array): void {
    if (this.closed || !this.hostPresent || this.queuedBytes + bytes.length > MAX_QUEUED_WRITE_BYTES) return;
    this.queue.push(Buffer.from(bytes));
    this.queuedBytes += bytes.length;
    if (this.writeTimer === null) this.flush();
  }

  /** Stops reading and writing, then closes the master: the slave hangs up, its /dev/pts node goes. */
  async retire(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropQueued();
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    await this.master.close(); // stops the poller, then closes the fd
  }

  /** One read of the master, then the next wake-up: the poller while a host is there, a timer if none. */
  private readOnce(): void {
    // Whatever woke us, at most one wake-up is ever pending.
    if (this.readTimer !== null) clearTimeout(this.readTimer);
    this.readTimer = null;
    if (this.closed) return;
    let n = 0;
    let code = "";
    try {
      n = readSync(this.fd, this.chunk, 0, this.chunk.length, null);
    } catch (err) {
      code = errnoOf(err);
    }
    if (n > 0 || RETRY_LATER.has(code)) {
      // Bytes, or nothing yet, from an open slave: a host is there, a new one if the last one hung up.
      if (n === 0) {
        if (this.hungUp) this.setPresent(false);
        this.hungUp = false;
      }
      this.setPresent(true);
      if (n > 0) this.events?.data(new Uint8Array(this.chunk.subarray(0, n)));
      if (this.closed) return;
      // Level-triggered: if more is buffered the poller fires again at once.
      this.polling = true;
      this.master.poller.poll(UV_READABLE | UV_DISCONNECT);
      return;
    }
    // EIO (Linux) or EOF (some BSDs): no process has the slave open. Not an end: look again later. The
    // poller is stopped meanwhile, as a hangup stays signalled and would wake it in a busy loop.
    if (this.polling) this.master.poller.stop();
    this.polling = false;
    this.hungUp = false;
    this.setPresent(false);
    this.readTimer = setTimeout(() => this.readOnce(), HOST_POLL_INTERVAL_MS);
  }

  /** Writes what the host takes now; the rest is retried after WRITE_RETRY_DELAY_MS. */
  private flush(): void {
    this.writeTimer = null;
    for (let head = this.queue[0]; head !== undefined && !this.closed; head = this.queue[0]) {
      let n = 0;
      try {
        n = writeSync(this.fd, head);
      } catch (err) {
        if (!RETRY_LATER.has(errnoOf(err))) {
          this.dropQueued();
          return;
        }
        // Host input buffer full. Waiting for "writable" on serialport's poller would stop it watching
        // "readable" (it polls for the last kind asked only), so a timer it is.
        this.writeTimer = setTimeout(() => this.flush(), WRITE_RETRY_DELAY_MS);
        return;
      }
      this.queuedBytes -= n;
      if (n >= head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
  }

  private setPresent(present: boolean): void {
    if (this.hostPresent === present) return;
    this.hostPresent = present;
    // Bytes for a host that left must not reach the next one.
    if (!present) this.dropQueued();
    this.events?.presence(present);
  }

  private dropQueued(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }
}
