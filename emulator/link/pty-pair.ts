/**
 * One PTY pair as the PTY link uses it: the slave configured raw and then left to hosts, the master a
 * bare non-blocking fd pumped by two small loops. Split from pty.ts only to keep files short.
 *
 * Why node-pty's native `open()` and not its JS wrapper: the wrapper wraps both fds in tty streams.
 * The slave stream reads in-process (stealing the host's bytes) and the master stream dies on the EIO a
 * master returns while no process has the slave open, closing the fd and the whole pair with it. Here
 * the master is read with fs.read, woken by serialport's fd poller (the one serialport uses for the host
 * side too), and EIO just means "no host now": the loop re-reads every HOST_POLL_INTERVAL_MS until the
 * next host opens the slave.
 */
import { closeSync, read, write } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DarwinBinding,
  LinuxBinding,
  type LinuxOpenOptions,
  LinuxPortBinding,
  type OpenOptions,
} from "@serialport/bindings-cpp";
import nodePty from "node-pty";

/** How often a master with no host on its slave is re-read to notice the next host (ms). */
export const HOST_POLL_INTERVAL_MS = 10;
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

/** One PTY pair and the loops pumping its master; disconnect() retires a pair and opens another. */
export class PtyPair {
  private hostPresent = false;
  private closed = false;
  // Set by the poller when the slave's last opener closed it, even if a new host opened it before we read.
  private hungUp = false;
  private events: PairEvents | null = null;
  private reading: Promise<void> = Promise.resolve();
  private pumping: Promise<void> | null = null;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  // Aborted by retire(): wakes the loops from their timed waits.
  private readonly stop = new AbortController();

  private constructor(
    private readonly master: LinuxPortBinding,
    private readonly fd: number,
    readonly slavePath: string,
  ) {}

  /** Opens a pair, puts the slave in raw mode and starts nothing yet (see start()). */
  static async open(): Promise<PtyPair> {
    const native = (nodePty as unknown as { native?: NativeUnixPty | null }).native;
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
    this.master.poller.on("disconnect", (err: Error | null) => {
      if (err === null) this.hungUp = true;
    });
    this.reading = this.readLoop();
  }

  /** Queues bytes for the host; dropped when no host has the slave open or the queue is full. */
  send(bytes: Uint8Array): void {
    if (this.closed || !this.hostPresent || this.queuedBytes + bytes.length > MAX_QUEUED_WRITE_BYTES) return;
    this.queue.push(Buffer.from(bytes));
    this.queuedBytes += bytes.length;
    this.pumping ??= this.pump();
  }

  /** Stops both loops, then closes the master: the slave hangs up and its /dev/pts node goes away. */
  async retire(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.dropQueued();
    this.stop.abort();
    this.master.poller.stop(); // cancels a pending readable wait
    // No fs call may still be in flight when the fd number is freed for reuse.
    await Promise.all([this.reading, this.pumping]);
    await this.master.close();
  }

  private async readLoop(): Promise<void> {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    while (!this.closed) {
      const result = await new Promise<number | string>((resolve) =>
        read(this.fd, chunk, 0, chunk.length, null, (err, n) => resolve(err ? (err.code ?? "?") : n)),
      );
      if (this.closed) return;
      if (typeof result === "number" && result > 0) {
        this.setPresent(true);
        this.events?.data(new Uint8Array(chunk.subarray(0, result)));
      } else if (typeof result === "string" && RETRY_LATER.has(result)) {
        // Nothing to read but the slave is open: a host is there, a new one if the last one hung up.
        if (this.hungUp) this.setPresent(false);
        this.hungUp = false;
        this.setPresent(true);
        if (!(await this.readable()) && !this.closed) await this.pause(HOST_POLL_INTERVAL_MS);
      } else {
        // EIO (Linux) or EOF (some BSDs): no process has the slave open. Not an end: wait for the next.
        // The poller is stopped meanwhile: a hangup stays signalled and would wake it in a busy loop.
        this.master.poller.stop();
        this.hungUp = false;
        this.setPresent(false);
        await this.pause(HOST_POLL_INTERVAL_MS);
      }
    }
  }

  private async pump(): Promise<void> {
    for (let head = this.queue[0]; head !== undefined && !this.closed; head = this.queue[0]) {
      const chunk = head;
      const result = await new Promise<number | string>((resolve) =>
        write(this.fd, chunk, 0, chunk.length, (err, n) => resolve(err ? (err.code ?? "?") : n)),
      );
      if (this.closed) break;
      if (typeof result === "number") {
        this.queuedBytes -= result;
        if (result >= chunk.length) this.queue.shift();
        else this.queue[0] = chunk.subarray(result);
      } else if (typeof result === "string" && RETRY_LATER.has(result)) {
        // A timer, not the poller: serialport's poller watches one event kind at a time, and waiting
        // for writable would stop it watching readable.
        await this.pause(WRITE_RETRY_DELAY_MS);
      } else {
        this.dropQueued();
      }
    }
    this.pumping = null;
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

  /** Waits until the master is readable (false if the wait was cancelled or failed). */
  private readable(): Promise<boolean> {
    const poller = this.master.poller;
    return new Promise((resolve) => {
      const onReadable = (err: Error | null): void => {
        poller.off("readable", onReadable);
        resolve(err === null);
      };
      poller.on("readable", onReadable);
      // Not Poller.once("readable"): that polls for readable alone, and the hangup must be seen too.
      poller.poll(UV_READABLE | UV_DISCONNECT);
    });
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.stop.signal }).catch(() => {});
  }
}
