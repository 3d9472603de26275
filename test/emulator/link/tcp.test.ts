import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { listenTcpLink, type TcpLink } from "../../../emulator/link/tcp.js";

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

interface Client {
  readonly socket: Socket;
  readonly received: Sink;
  /** Resolves with the socket error code (if any) once the socket is closed. */
  readonly closed: Promise<string | null>;
}

async function connectClient(link: TcpLink): Promise<Client> {
  const socket = connect(link.address.port, link.address.host);
  const received = new Sink();
  let code: string | null = null;
  socket.on("data", received.push);
  socket.on("error", (err: NodeJS.ErrnoException) => {
    code = err.code ?? "?";
  });
  const closed = new Promise<string | null>((resolve) => socket.on("close", () => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received, closed };
}

async function exchange(link: TcpLink, client: Client, atDevice: Sink): Promise<void> {
  await waitFor("host attached", () => link.hostAttached);
  client.socket.write(ALL_BYTES);
  expect(await atDevice.take(256)).toEqual(ALL_BYTES);
  link.write(ALL_BYTES_REVERSED);
  expect(await client.received.take(256)).toEqual(ALL_BYTES_REVERSED);
}

describe("tcp link", () => {
  let link: TcpLink | null = null;
  const clients: Client[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await link?.close();
    link = null;
  });

  async function start(): Promise<{ link: TcpLink; atDevice: Sink; events: string[] }> {
    const opened = await listenTcpLink({ host: "127.0.0.1", port: 0 });
    link = opened;
    const atDevice = new Sink();
    const events: string[] = [];
    opened.onData(atDevice.push);
    opened.onHostAttached(() => events.push("attached"));
    opened.onHostGone(() => events.push("gone"));
    return { link: opened, atDevice, events };
  }

  async function client(of: TcpLink): Promise<Client> {
    const c = await connectClient(of);
    clients.push(c);
    return c;
  }

  it("binds an ephemeral port and passes all 256 byte values both ways", async () => {
    const { link, atDevice } = await start();
    expect(link.address.host).toBe("127.0.0.1");
    expect(link.address.port).toBeGreaterThan(0);
    const host = await client(link);
    expect(host.socket.remoteAddress).toBe("127.0.0.1");
    await exchange(link, host, atDevice);
    await exchange(link, host, atDevice);
  });

  it("fires onHostGone when the host ends, drops writes meanwhile and serves the next host", async () => {
    const { link, atDevice, events } = await start();
    const first = await client(link);
    await exchange(link, first, atDevice);
    first.socket.end();
    await waitFor("host gone", () => events.length === 2);
    expect(link.hostAttached).toBe(false);
    link.write(Uint8Array.of(0xee)); // no host: dropped, must not throw
    const second = await client(link);
    await exchange(link, second, atDevice);
    expect(events).toEqual(["attached", "gone", "attached"]);
  });

  it("refuses a second concurrent host with nothing written, keeping the first", async () => {
    const { link, atDevice, events } = await start();
    const first = await client(link);
    await waitFor("host attached", () => link.hostAttached);
    // Reset as soon as accepted: the intruder may see it before or after its own 'connect'.
    const intruder = connect(link.address.port, link.address.host);
    let intruderBytes = 0;
    intruder.on("data", (chunk: Buffer) => {
      intruderBytes += chunk.length;
    });
    intruder.on("error", () => {});
    await within("the intruder to be reset", new Promise((resolve) => intruder.once("close", resolve)));
    expect(intruderBytes).toBe(0);
    await exchange(link, first, atDevice);
    expect(events).toEqual(["attached"]);
  });

  it("disconnect() resets the host's socket and a new connection works", async () => {
    const { link, atDevice, events } = await start();
    const first = await client(link);
    await exchange(link, first, atDevice);
    await link.disconnect();
    expect(events).toEqual(["attached", "gone"]);
    expect(await within("the reset", first.closed)).toBe("ECONNRESET");
    const second = await client(link);
    await exchange(link, second, atDevice);
  });

  it("close() drops the host, stops listening and is idempotent", async () => {
    const { link, events } = await start();
    const host = await client(link);
    await waitFor("host attached", () => link.hostAttached);
    await Promise.all([link.close(), link.close()]);
    expect(events).toEqual(["attached", "gone"]);
    await within("the host socket to close", host.closed);
    await expect(connectClient(link)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
