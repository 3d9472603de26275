/**
 * Streaming frame parser: bytes in, a tagged union of events out. Pure: no I/O, no timers.
 *
 * Every byte that is not part of a good frame is reported (garbage, header or frame CRC failure,
 * oversize, unknown version), never dropped silently, so links can count and NAK corruption.
 * Resynchronisation rule: on any failure skip exactly one byte and scan for the next SOF, so a good
 * frame hidden behind a damaged one is still found.
 */
import { crc8, crc32 } from "./crc.js";
import {
  FRAME_VERSION,
  type Frame,
  HEADER_BYTES,
  isFrameType,
  MAX_PAYLOAD_BYTES,
  SOF,
  TRAILER_BYTES,
} from "./frame.js";

/** One thing the parser found in the stream. */
export type ParseEvent =
  | { readonly kind: "frame"; readonly frame: Frame }
  /** Bytes skipped while looking for a start of frame. */
  | { readonly kind: "garbage"; readonly bytes: number }
  /** The header CRC failed: nothing in the header can be trusted. */
  | { readonly kind: "header-crc" }
  /** The header was sound but the frame CRC failed: `seq`/`type` identify what to NAK. */
  | { readonly kind: "frame-crc"; readonly seq: number; readonly type: number }
  /** A sound header announced more than MAX_PAYLOAD_BYTES. */
  | { readonly kind: "oversize"; readonly seq: number; readonly length: number }
  /** A sound header with a version or type this parser does not speak. */
  | { readonly kind: "unsupported"; readonly seq: number; readonly version: number; readonly type: number }
  /** A partial frame was abandoned by `expirePartial()` after the line went quiet. */
  | { readonly kind: "truncated" };

/** Running totals, for link statistics. */
export interface ParserCounters {
  frames: number;
  garbageBytes: number;
  headerCrcErrors: number;
  frameCrcErrors: number;
  oversize: number;
  unsupported: number;
  truncated: number;
}

/** Incremental parser. Buffered bytes never exceed one maximum frame. */
export class FrameParser {
  private buf: Uint8Array = new Uint8Array(0);
  readonly counters: ParserCounters = {
    frames: 0,
    garbageBytes: 0,
    headerCrcErrors: 0,
    frameCrcErrors: 0,
    oversize: 0,
    unsupported: 0,
    truncated: 0,
  };

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Drops any partial frame, e.g. after the link was re-opened. Returns how many bytes were dropped. */
  reset(): number {
    const dropped = this.buf.length;
    this.buf = new Uint8Array(0);
    return dropped;
  }

  /**
   * Gives up on a partial frame. The I/O layer calls this when the line has been quiet for the
   * inter-byte timeout: a truncated frame would otherwise hold back the frames after it until enough
   * bytes arrived to fill its announced length. The partial frame's first byte is dropped and the
   * rest is rescanned, so a good frame inside it is still found.
   */
  expirePartial(): ParseEvent[] {
    if (this.buf.length === 0) return [];
    const rest = this.buf.subarray(1);
    this.buf = new Uint8Array(0);
    this.counters.truncated++;
    return [{ kind: "truncated" }, ...this.push(rest)];
  }

  /** Feeds a chunk and returns every event it completes, in stream order. */
  push(chunk: Uint8Array): ParseEvent[] {
    // Always a plain Uint8Array copy: a Buffer chunk may be a view into a pool the caller reuses.
    this.buf = this.buf.length === 0 ? new Uint8Array(chunk) : concat(this.buf, chunk);
    const events: ParseEvent[] = [];
    let pos = 0;
    let garbage = 0;
    const flushGarbage = (): void => {
      if (garbage > 0) {
        events.push({ kind: "garbage", bytes: garbage });
        this.counters.garbageBytes += garbage;
        garbage = 0;
      }
    };
    const buf = this.buf;
    while (pos < buf.length) {
      if (buf[pos] !== SOF[0] || (pos + 1 < buf.length && buf[pos + 1] !== SOF[1])) {
        pos++;
        garbage++;
        continue;
      }
      if (buf.length - pos < HEADER_BYTES) break;
      flushGarbage();
      if (crc8(buf, pos, pos + 8) !== buf[pos + 8]) {
        events.push({ kind: "header-crc" });
        this.counters.headerCrcErrors++;
        pos++;
        continue;
      }
      const version = buf[pos + 2]!;
      const type = buf[pos + 3]!;
      const seq = (buf[pos + 4]! << 8) | buf[pos + 5]!;
      const length = (buf[pos + 6]! << 8) | buf[pos + 7]!;
      if (version !== FRAME_VERSION || !isFrameType(type)) {
        events.push({ kind: "unsupported", seq, version, type });
        this.counters.unsupported++;
        pos++;
        continue;
      }
      if (length > MAX_PAYLOAD_BYTES) {
        events.push({ kind: "oversize", seq, length });
        this.counters.oversize++;
        pos++;
        continue;
      }
      const end = pos + HEADER_BYTES + length + TRAILER_BYTES;
      if (buf.length < end) break;
      const expected =
        ((buf[end - 4]! << 24) | (buf[end - 3]! << 16) | (buf[end - 2]! << 8) | buf[end - 1]!) >>> 0;
      if (crc32(buf, pos + 2, end - TRAILER_BYTES) !== expected) {
        events.push({ kind: "frame-crc", seq, type });
        this.counters.frameCrcErrors++;
        pos++;
        continue;
      }
      events.push({
        kind: "frame",
        frame: { type, seq, payload: buf.slice(pos + HEADER_BYTES, end - TRAILER_BYTES) },
      });
      this.counters.frames++;
      pos = end;
    }
    flushGarbage();
    this.buf = pos === 0 ? buf : buf.slice(pos);
    return events;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
