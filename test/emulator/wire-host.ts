/**
 * A minimal host that speaks the DEF protocol over any byte stream (an in-memory link, a TCP socket,
 * a serial port): frames out, FrameParser in, replies decoded with the shared codec. Tests drive the
 * emulator only through it, never through device internals.
 */
import {
  type ArgsOf,
  type Command,
  type DeviceEvent,
  decodeEvent,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  FiscalError,
  type Frame,
  FrameParser,
  FrameType,
  nextSeq,
  type ResultOf,
} from "../../protocol/index.js";

/** What the host needs of a byte stream. */
export interface ByteEndpoint {
  write(bytes: Uint8Array): void;
  onData(handler: (bytes: Uint8Array) => void): void;
}

/** How long a test waits for a frame before failing, in ms. */
export const REPLY_TIMEOUT_MS = 3_000;

/** A test host on one byte stream. */
export class WireHost {
  readonly events: DeviceEvent[] = [];
  private readonly parser = new FrameParser();
  private readonly frames: Frame[] = [];
  private waiters: (() => void)[] = [];
  private seq: number;
  private closedReason: string | null = null;

  constructor(
    private readonly endpoint: ByteEndpoint,
    firstSeq = 1 + Math.floor(Math.random() * 1000),
  ) {
    this.seq = firstSeq;
    endpoint.onData((bytes) => this.receive(bytes));
  }

  /** The SEQ the next `call` will use. */
  get nextSeqValue(): number {
    return this.seq;
  }

  /** Sends raw bytes. */
  sendBytes(bytes: Uint8Array): void {
    this.endpoint.write(bytes);
  }

  /** Sends a REQUEST frame and returns its bytes. */
  sendRequest(seq: number, payload: Uint8Array): Uint8Array {
    const frame = encodeFrame({ type: FrameType.REQUEST, seq, payload });
    this.endpoint.write(frame);
    return frame;
  }

  /** Runs one command with a fresh SEQ; resolves with the result or rejects with the device's FiscalError. */
  async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    const seq = this.seq;
    this.seq = nextSeq(this.seq);
    this.sendRequest(seq, encodeRequest(cmd, args));
    const frame = await this.nextFrame();
    if (frame.type !== FrameType.RESPONSE || frame.seq !== seq) {
      throw new Error(`expected RESPONSE ${seq}, got type ${frame.type} seq ${frame.seq}`);
    }
    return decodeResponse(cmd, frame.payload);
  }

  /** Runs one command that must fail; resolves with the error. */
  async fail<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<FiscalError> {
    try {
      await this.call(cmd, args);
    } catch (err) {
      if (err instanceof FiscalError) return err;
      throw err;
    }
    throw new Error(`${cmd} succeeded but was expected to fail`);
  }

  /** Marks the stream as gone: waiting and future calls fail at once with `reason`. */
  close(reason = "link closed"): void {
    this.closedReason = reason;
    this.wake();
  }

  /** The next non-event frame, in arrival order. */
  async nextFrame(timeoutMs = REPLY_TIMEOUT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.closedReason !== null) throw new Error(this.closedReason);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves true when no non-event frame arrives within `ms`. */
  async quietFor(ms: number): Promise<boolean> {
    try {
      await this.nextFrame(ms);
      return false;
    } catch (err) {
      // Only its own timeout means quiet: a link that closed is a failure, never silence.
      if ((err as Error).message === `no frame within ${ms} ms`) return true;
      throw err;
    }
  }

  /** Waits for an event of `kind` (already received or coming). */
  async waitEvent(kind: DeviceEvent["event"], timeoutMs = REPLY_TIMEOUT_MS): Promise<DeviceEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex((e) => e.event === kind);
      if (index >= 0) return this.events.splice(index, 1)[0]!;
      if (Date.now() > deadline) throw new Error(`no ${kind} event within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private receive(bytes: Uint8Array): void {
    for (const event of this.parser.push(bytes)) {
      if (event.kind !== "frame") continue;
      if (event.frame.type === FrameType.EVENT) this.events.push(decodeEvent(event.frame.payload));
      else this.frames.push(event.frame);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
