/**
 * A tiny scripted DEF for session unit tests: it speaks real frames (protocol encoders) but answers
 * whatever the test's script says, so timeouts, NAKs, BUSY, damaged and stale frames can be staged
 * exactly. Plugs into MemoryTransport; replies are delivered on a microtask, never re-entrantly.
 */
import type { MemoryPeer } from "../../../daemon/transport/memory.js";
import {
  type Command,
  decodeRequest,
  encodeBusy,
  encodeError,
  encodeEvent,
  encodeFrame,
  encodeNak,
  encodeResult,
  type FiscalError,
  type Frame,
  FrameParser,
  FrameType,
  type ResultOf,
  type SealedRecord,
} from "../../../protocol/index.js";

/** One frame the host sent, decoded. */
export interface HostFrame {
  readonly frame: Frame;
  readonly bytes: Uint8Array;
  /** The command, for REQUEST frames. */
  readonly cmd: Command | null;
}

/** The script: called for every frame the host sends. */
export type Script = (sent: HostFrame, peer: ScriptedPeer) => void;

/** A fake sealed record: schema-valid, not signed by anyone (the session never verifies it). */
export function fakeSealedRecord(tag: number): SealedRecord {
  return {
    record: new Uint8Array([0xa1, 0x61, 0x6e, tag & 0x17]),
    signature: new Uint8Array(64).fill(tag & 0xff),
    auth_code: "ABCD-EFGH-JKMN-PQRS",
    qr: `RDCDEF01;fake;${tag}`,
  };
}

/** The scripted device end of a memory pipe. */
export class ScriptedPeer implements MemoryPeer {
  readonly sent: HostFrame[] = [];
  /** While false, `reopen()` fails (the device is unplugged). */
  present = true;
  private data: ((bytes: Uint8Array) => void) | null = null;
  private readonly closeHandlers: Array<() => void> = [];
  private readonly parser = new FrameParser();
  private open = true;

  /** Assigns only. */
  constructor(public script: Script) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** Host → device. */
  write(bytes: Uint8Array): void {
    for (const event of this.parser.push(bytes)) {
      if (event.kind !== "frame") continue;
      const frame = event.frame;
      let cmd: Command | null = null;
      if (frame.type === FrameType.REQUEST) cmd = decodeRequest(frame.payload).cmd;
      const sent: HostFrame = { frame, bytes: encodeFrame(frame), cmd };
      this.sent.push(sent);
      this.script(sent, this);
    }
  }

  onData(handler: (bytes: Uint8Array) => void): void {
    this.data = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  close(): void {
    this.open = false;
  }

  reopen(): void {
    if (!this.present) throw new Error("scripted device unplugged");
    this.open = true;
  }

  /** Unplugs: the host sees the pipe drop and cannot reopen until `present` is set again. */
  unplug(): void {
    this.present = false;
    this.open = false;
    this.parser.reset();
    for (const handler of this.closeHandlers) handler();
  }

  /** Device → host, raw bytes. */
  sendBytes(bytes: Uint8Array): void {
    if (!this.open) return;
    const copy = bytes.slice();
    queueMicrotask(() => {
      if (this.open) this.data?.(copy);
    });
  }

  /** Sends a success reply for `seq`. */
  reply<C extends Command>(seq: number, cmd: C, result: ResultOf<C>): Uint8Array {
    const frame = encodeFrame({ type: FrameType.RESPONSE, seq, payload: encodeResult(cmd, result) });
    this.sendBytes(frame);
    return frame;
  }

  /** Sends an error reply for `seq`. */
  replyError(seq: number, error: FiscalError): void {
    this.sendBytes(encodeFrame({ type: FrameType.RESPONSE, seq, payload: encodeError(error) }));
  }

  /** Sends a NAK for `seq`. */
  nak(seq: number): void {
    this.sendBytes(encodeFrame({ type: FrameType.NAK, seq, payload: encodeNak(200) }));
  }

  /** Sends BUSY for `seq`. */
  busy(seq: number, retryAfterMs: number): void {
    this.sendBytes(encodeFrame({ type: FrameType.BUSY, seq, payload: encodeBusy(retryAfterMs) }));
  }

  /** Sends a BOOT event. */
  boot(): void {
    const payload = encodeEvent({ event: "BOOT", at: 1_700_000_000_000, state: "ACTIVE" });
    this.sendBytes(encodeFrame({ type: FrameType.EVENT, seq: 0, payload }));
  }

  /** The host's REQUEST frames for `cmd`. */
  requests(cmd?: Command): HostFrame[] {
    return this.sent.filter(
      (s) => s.frame.type === FrameType.REQUEST && (cmd === undefined || s.cmd === cmd),
    );
  }
}
