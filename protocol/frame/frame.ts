/**
 * The DEF frame: layout constants and the encoder. The layout is drawn in docs/PROTOCOL.md §2.
 *
 *   off  size  field
 *   0    2     SOF      0xA5 0x5A
 *   2    1     VER      0x01
 *   3    1     TYPE     FrameType
 *   4    2     SEQ      uint16, big-endian
 *   6    2     LEN      payload length, uint16 big-endian, <= MAX_PAYLOAD_BYTES
 *   8    1     HCRC     CRC-8/SMBUS over bytes 0..7
 *   9    LEN   PAYLOAD  one CBOR data item
 *   9+LEN 4    CRC      CRC-32/ISO-HDLC over bytes 2..8+LEN, big-endian
 */
import { FiscalError } from "../errors.js";
import { crc8, crc32 } from "./crc.js";

/** The two start-of-frame bytes. */
export const SOF = [0xa5, 0x5a] as const;
/** The only frame version this code speaks. */
export const FRAME_VERSION = 0x01;
/** Bytes before the payload: SOF(2) VER TYPE SEQ(2) LEN(2) HCRC. */
export const HEADER_BYTES = 9;
/** Bytes of the trailing CRC-32. */
export const TRAILER_BYTES = 4;
/** Largest payload a frame may carry. A DEF needs two buffers of MAX_FRAME_BYTES. */
export const MAX_PAYLOAD_BYTES = 32_768;
/** Largest whole frame on the wire. */
export const MAX_FRAME_BYTES = HEADER_BYTES + MAX_PAYLOAD_BYTES + TRAILER_BYTES;

/** What a frame carries. */
export const FrameType = {
  /** host → device: a command. */
  REQUEST: 0x01,
  /** device → host: the reply to the request with the same SEQ. */
  RESPONSE: 0x02,
  /** device → host: unsolicited notice (SEQ 0). */
  EVENT: 0x03,
  /** either way: "your frame with this SEQ arrived damaged, send it again". */
  NAK: 0x04,
  /** device → host: "I am executing another request, retry this SEQ later". */
  BUSY: 0x05,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const FRAME_TYPES: ReadonlySet<number> = new Set(Object.values(FrameType));

/** True when `t` is one of the defined frame types. */
export function isFrameType(t: number): t is FrameType {
  return FRAME_TYPES.has(t);
}

/** A decoded frame: header fields and the raw CBOR payload (not yet decoded). */
export interface Frame {
  readonly type: FrameType;
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** Largest sequence number; SEQ wraps from 0xFFFF to 1 (0 is reserved for events). */
export const MAX_SEQ = 0xffff;

/** The sequence number after `seq`, skipping 0, which only events use. */
export function nextSeq(seq: number): number {
  return seq >= MAX_SEQ ? 1 : seq + 1;
}

/** Encodes one frame. Throws FRAME_TOO_LARGE for an oversized payload and FRAME_TYPE for a bad type. */
export function encodeFrame(frame: Frame): Uint8Array {
  const { type, seq, payload } = frame;
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new FiscalError(
      "FRAME_TOO_LARGE",
      `payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    );
  }
  if (!isFrameType(type)) throw new FiscalError("FRAME_TYPE", `frame type ${type} is not defined`);
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) {
    throw new FiscalError("MESSAGE_INVALID", `sequence number ${seq} is not a uint16`);
  }
  const out = new Uint8Array(HEADER_BYTES + payload.length + TRAILER_BYTES);
  const view = new DataView(out.buffer);
  out[0] = SOF[0];
  out[1] = SOF[1];
  out[2] = FRAME_VERSION;
  out[3] = type;
  view.setUint16(4, seq);
  view.setUint16(6, payload.length);
  out[8] = crc8(out, 0, 8);
  out.set(payload, HEADER_BYTES);
  view.setUint32(HEADER_BYTES + payload.length, crc32(out, 2, HEADER_BYTES + payload.length));
  return out;
}
