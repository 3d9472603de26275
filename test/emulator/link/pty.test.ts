import { close as closeFd, constants as fsConstants, open as openFd, readSync, write } from "node:fs";
import { lstat, mkdtemp, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPtyLink, type PtyLink } from "../../../emulator/link/pty.js";

/** Longest wait for bytes or an event before a test fails (ms). */
const EVENT_TIMEOUT_MS = 2_000;
/** Poll step while waiting for a condition (ms). */
const POLL_STEP_MS = 5;

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_BYTES_REVERSED = ALL_BYTES.slice().reverse();

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_STEP_MS));
  }
}

/** Resolves as `promise` does, or fails after EVENT_TIMEOUT_MS. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), EVENT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Accumulates every chunk given to `push`. */
class Sink {
  private chunks: Uint8Array[] = [];
  readonly push = (bytes: Uint8Array): void => {
    this.chunks.push(Uint8Array.from(bytes));
  };
  get length(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
  /** Waits for `n` bytes, returns all received (any extra fails the caller's check), empties the sink. */
  async take(n: number): Promise<Uint8Array> {
    await waitFor(`${n} bytes (have ${this.length})`, () => this.length >= n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return new Uint8Array(all);
  }
}

/** Opens the path the way a plain program would (no termios set up), non-blocking so reads can time out. */
function openPlainHost(path: string): Promise<number> {
  return promisify(openFd)(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
}

/** Reads exactly `n` bytes from a non-blocking fd, failing after EVENT_TIMEOUT_MS. */
async function readExactly(fd: number, n: number): Promise<Uint8Array> {
  const got = Buffer.alloc(n + 1);
  let have = 0;
  await waitFor(`${n} bytes from the slave`, () => {
    try {
      have += readSync(fd, got, have, got.length - have, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
    }
    return have >= n;
  });
  return new Uint8Array(got.subarray(0, have));
}

async function openHost(path: string, sink: Sink): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await promisify(port.open.bind(port))();
  port.on("data", (chunk: Buffer) => sink.push(chunk));
  return port;
}

async function closeHost(port: SerialPort): Promise<void> {
  if (port.isOpen) await promisify(port.close.bind(port))();
}

/**
 * Resolves with what the host saw once its port has failed (the 'close' reason or an 'error'). An idle
 * serialport 13 host sees the hangup at once ('close', err.disconnected); one whose read was in flight
 * at that moment spins on read() = 0 until its next write fails with EIO (serialport/bindings-cpp#162).
 * A real host writes its next request or retry, so the probe write here does what it would.
 */
async function hostFailure(port: SerialPort, unplug: () => Promise<void>): Promise<Error | null> {
  let error: Error | null = null;
  port.on("error", (err: Error) => {
    error ??= err;
  });
  const closed = new Promise<Error | null>((resolve) => port.once("close", resolve));
  await unplug();
  port.write(Uint8Array.of(0));
  const reason = await within("the host port to close", closed);
  return reason ?? error;
}

/** Host → device and device → host, all 256 byte values each way. */
async function exchange(link: PtyLink, host: SerialPort, atDevice: Sink, atHost: Sink): Promise<void> {
  host.write(Buffer.from(ALL_BYTES));
  expect(await atDevice.take(256)).toEqual(ALL_BYTES);
  // The link learns of a host by reading the master; only then does it stop dropping writes.
  await waitFor("host attached", () => link.hostAttached);
  link.write(ALL_BYTES_REVERSED);
  expect(await atHost.take(256)).toEqual(ALL_BYTES_REVERSED);
}

describe("pty link", () => {
  let dir = "";
  let path = "";
  let link: PtyLink | null = null;
  const hosts: SerialPort[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "def-pty-link-"));
    path = join(dir, "ttyDEF0");
  });

  afterEach(async () => {
    for (const host of hosts.splice(0)) await closeHost(host);
    await link?.close();
    link = null;
    await rm(dir, { recursive: true, force: true });
  });

  it("passes all 256 byte values both ways, byte-exact, through serialport", async () => {
    link = await openPtyLink({ path });
    expect(await readlink(path)).toBe(link.slavePath);
    const atDevice = new Sink();
    const atHost = new Sink();
    link.onData(atDevice.push);
    const host = await openHost(path, atHost);
    hosts.push(host);
    await exchange(link, host, atDevice, atHost);
    await exchange(link, host, atDevice, atHost);
  });

  it("is raw by itself for a host that sets no termios: no echo, no CR/LF mapping, no signals", async () => {
    link = await openPtyLink({ path });
    const atDevice = new Sink();
    link.onData(atDevice.push);
    const fd = await openPlainHost(path);
    try {
      await promisify(write)(fd, Buffer.from(ALL_BYTES));
      expect(await atDevice.take(256)).toEqual(ALL_BYTES);
      await waitFor("host attached", () => link?.hostAttached === true);
      link.write(ALL_BYTES_REVERSED);
      // An echo or an LF→CRLF mapping would show up as extra or changed bytes.
      expect(await readExactly(fd, 256)).toEqual(ALL_BYTES_REVERSED);
    } finally {
      await promisify(closeFd)(fd);
    }
  });

  it("holds back what a slow host cannot take yet and delivers it in order", async () => {
    link = await openPtyLink({ path });
    const fd = await openPlainHost(path);
    try {
      await waitFor("host attached", () => link?.hostAttached === true);
      // Far more than a PTY buffers (4 KiB): the link must queue and retry, not lose or reorder.
      const big = Uint8Array.from({ length: 32 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
      for (let at = 0; at < big.length; at += 1000) link.write(big.subarray(at, at + 1000));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await readExactly(fd, big.length)).toEqual(big);
    } finally {
      await promisify(closeFd)(fd);
    }
  });

  it("survives the host closing and reopening the port, reporting both", async () => {
    link = await openPtyLink({ path });
    const atDevice = new Sink();
    const atHost = new Sink();
    const events: string[] = [];
    link.onData(atDevice.push);
    link.onHostAttached(() => events.push("attached"));
    link.onHostGone(() => events.push("gone"));
    const first = await openHost(path, atHost);
    await exchange(link, first, atDevice, atHost);
    await closeHost(first);
    await waitFor("host gone", () => events.length === 2);
    expect(link.hostAttached).toBe(false);
    // Written with no host: dropped, never delivered to the next one.
    link.write(Uint8Array.of(0xee, 0xee));
    const second = await openHost(path, atHost);
    hosts.push(second);
    await exchange(link, second, atDevice, atHost);
    expect(events).toEqual(["attached", "gone", "attached"]);
  });

  it("disconnect() fails the host's open port and a reopen of the same path works", async () => {
    link = await openPtyLink({ path });
    const atDevice = new Sink();
    const atHost = new Sink();
    let gone = 0;
    link.onData(atDevice.push);
    link.onHostGone(() => gone++);
    const first = await openHost(path, atHost);
    hosts.push(first);
    await exchange(link, first, atDevice, atHost);
    const oldSlave = link.slavePath;
    const opened = link;
    expect(await hostFailure(first, () => opened.disconnect())).toBeInstanceOf(Error);
    expect(first.isOpen).toBe(false);
    expect(gone).toBe(1);
    await expect(lstat(oldSlave)).rejects.toMatchObject({ code: "ENOENT" });
    expect(link.slavePath).not.toBe(oldSlave);
    expect(await readlink(path)).toBe(link.slavePath);
    const second = await openHost(path, atHost);
    hosts.push(second);
    await exchange(link, second, atDevice, atHost);
  });

  it("close() removes the symlink, hangs up the host and is idempotent", async () => {
    link = await openPtyLink({ path });
    const slave = link.slavePath;
    const host = await openHost(path, new Sink());
    hosts.push(host);
    const opened = link;
    const closeTwice = async (): Promise<void> => {
      await Promise.all([opened.close(), opened.close()]);
    };
    expect(await hostFailure(host, closeTwice)).toBeInstanceOf(Error);
    await link.close();
    await expect(lstat(path)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(lstat(slave)).rejects.toMatchObject({ code: "ENOENT" });
    link.write(ALL_BYTES); // must not throw once closed
  });

  it("replaces a stale symlink but refuses to overwrite a regular file", async () => {
    await symlink(join(dir, "gone"), path);
    link = await openPtyLink({ path });
    expect(await readlink(path)).toBe(link.slavePath);
    const file = join(dir, "not-a-link");
    await writeFile(file, "keep me");
    await expect(openPtyLink({ path: file })).rejects.toThrow(/not a symlink/);
    expect((await lstat(file)).isFile()).toBe(true);
  });
});
