import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  crc8,
  encodeFrame,
  type Frame,
  FrameParser,
  FrameType,
  fromHex,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
  nextSeq,
  type ParseEvent,
  toHex,
} from "../../protocol/index.js";

/** An annotated fixture: a REQUEST, SEQ 0x0102, payload a0 (an empty CBOR map). */
const FIXTURE = [
  "a5 5a", // SOF
  "01", // VER
  "01", // TYPE = REQUEST
  "01 02", // SEQ = 258
  "00 01", // LEN = 1
  "c7", // HCRC = CRC-8/SMBUS(a5 5a 01 01 01 02 00 01)
  "a0", // PAYLOAD: {}
  "ed cc dc d0", // CRC-32/ISO-HDLC over 01 01 01 02 00 01 c7 a0
].join(" ");

const frames = (events: ParseEvent[]): Frame[] =>
  events.flatMap((e) => (e.kind === "frame" ? [e.frame] : []));

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

const frameArb = fc.record({
  type: fc.constantFrom(...Object.values(FrameType)),
  seq: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe("frame encoding", () => {
  it("matches the annotated byte-exact fixture", () => {
    const bytes = encodeFrame({ type: FrameType.REQUEST, seq: 0x0102, payload: fromHex("a0") });
    expect(toHex(bytes)).toBe(FIXTURE.replace(/ /g, ""));
  });

  it("refuses an oversized payload with FRAME_TOO_LARGE", () => {
    expect(() =>
      encodeFrame({ type: FrameType.REQUEST, seq: 1, payload: new Uint8Array(MAX_PAYLOAD_BYTES + 1) }),
    ).toThrow(/E201 FRAME_TOO_LARGE/);
  });

  it("refuses an undefined type and a SEQ outside uint16", () => {
    expect(() => encodeFrame({ type: 9 as FrameType, seq: 1, payload: new Uint8Array() })).toThrow(/E203/);
    expect(() => encodeFrame({ type: FrameType.REQUEST, seq: 0x10000, payload: new Uint8Array() })).toThrow(
      /E212/,
    );
  });

  it("wraps SEQ from 0xFFFF to 1, never 0", () => {
    expect(nextSeq(0xffff)).toBe(1);
    expect(nextSeq(41)).toBe(42);
  });
});

describe("frame parser", () => {
  it("round-trips any frame split into any chunks", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (fs, cuts) => {
          const stream = Buffer.concat(fs.map((f) => encodeFrame(f)));
          const parser = new FrameParser();
          const events = split(stream, cuts).flatMap((c) => parser.push(c));
          expect(frames(events)).toEqual(fs);
          expect(events.every((e) => e.kind === "frame")).toBe(true);
          expect(parser.buffered).toBe(0);
        },
      ),
    );
  });

  it("handles frames glued in one chunk and one byte at a time", () => {
    const a = encodeFrame({ type: FrameType.REQUEST, seq: 1, payload: fromHex("a0") });
    const b = encodeFrame({ type: FrameType.RESPONSE, seq: 2, payload: fromHex("a1616101") });
    const glued = new FrameParser().push(Buffer.concat([a, b]));
    expect(frames(glued).map((f) => f.seq)).toEqual([1, 2]);
    const parser = new FrameParser();
    const slow = [...Buffer.concat([a, b])].flatMap((byte) => parser.push(Uint8Array.of(byte)));
    expect(frames(slow).map((f) => f.seq)).toEqual([1, 2]);
  });

  it("reports garbage between frames and still finds every frame", () => {
    const a = encodeFrame({ type: FrameType.REQUEST, seq: 7, payload: fromHex("a0") });
    const junk = fromHex("00 ff a5 13 5a a5");
    const events = new FrameParser().push(Buffer.concat([junk, a, junk, a]));
    expect(frames(events).map((f) => f.seq)).toEqual([7, 7]);
    const garbage = events
      .filter((e) => e.kind === "garbage")
      .reduce((n, e) => n + (e.kind === "garbage" ? e.bytes : 0), 0);
    expect(garbage).toBe(junk.length * 2);
  });

  it("reports a frame CRC failure with its SEQ and resynchronises on the next frame", () => {
    const bad = encodeFrame({ type: FrameType.REQUEST, seq: 9, payload: fromHex("a1616101") });
    bad[10] = bad[10]! ^ 0x01;
    const good = encodeFrame({ type: FrameType.REQUEST, seq: 10, payload: fromHex("a0") });
    const parser = new FrameParser();
    const events = parser.push(Buffer.concat([bad, good]));
    expect(events.find((e) => e.kind === "frame-crc")).toEqual({
      kind: "frame-crc",
      seq: 9,
      type: FrameType.REQUEST,
    });
    expect(frames(events).map((f) => f.seq)).toEqual([10]);
    expect(parser.counters.frameCrcErrors).toBe(1);
  });

  it("catches a corrupted length through the header CRC without waiting for the bogus length", () => {
    const bad = encodeFrame({ type: FrameType.REQUEST, seq: 3, payload: fromHex("a0") });
    bad[6] = 0x7f; // LEN high byte: would announce ~32 KiB
    const good = encodeFrame({ type: FrameType.REQUEST, seq: 4, payload: fromHex("a0") });
    const parser = new FrameParser();
    const events = parser.push(Buffer.concat([bad, good]));
    expect(events.some((e) => e.kind === "header-crc")).toBe(true);
    expect(frames(events).map((f) => f.seq)).toEqual([4]);
    expect(parser.counters.headerCrcErrors).toBe(1);
  });

  it("reports oversize and unsupported headers with their SEQ", () => {
    const withHeaderCrc = (hex: string): Uint8Array => {
      const h = fromHex(hex);
      h[8] = crc8(h, 0, 8);
      return h;
    };
    const oversize = new FrameParser().push(withHeaderCrc("a5 5a 01 01 00 05 ff ff 00"));
    expect(oversize[0]).toEqual({ kind: "oversize", seq: 5, length: 0xffff });
    const v2 = new FrameParser().push(withHeaderCrc("a5 5a 02 01 00 06 00 00 00"));
    expect(v2[0]).toEqual({ kind: "unsupported", seq: 6, version: 2, type: 1 });
    const badType = new FrameParser().push(withHeaderCrc("a5 5a 01 09 00 07 00 00 00"));
    expect(badType[0]).toEqual({ kind: "unsupported", seq: 7, version: 1, type: 9 });
  });

  it("abandons a truncated frame on expirePartial and finds the frame behind it", () => {
    const full = encodeFrame({ type: FrameType.REQUEST, seq: 11, payload: new Uint8Array(40) });
    const good = encodeFrame({ type: FrameType.REQUEST, seq: 12, payload: fromHex("a0") });
    const parser = new FrameParser();
    expect(parser.push(Buffer.concat([full.subarray(0, 20), good]))).toEqual([]);
    const events = parser.expirePartial();
    expect(events[0]).toEqual({ kind: "truncated" });
    expect(frames(events).map((f) => f.seq)).toEqual([12]);
    expect(parser.buffered).toBe(0);
  });

  it("never throws, never holds more than one frame, on 100,000 random and mutated inputs", () => {
    const parser = new FrameParser();
    let seed = 0x1234_5678;
    const rand = (): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed;
    };
    const valid = [
      encodeFrame({ type: FrameType.REQUEST, seq: 1, payload: fromHex("a0") }),
      encodeFrame({ type: FrameType.RESPONSE, seq: 2, payload: new Uint8Array(200) }),
    ];
    let found = 0;
    for (let i = 0; i < 100_000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) {
        input = new Uint8Array(rand() % 64);
        for (let k = 0; k < input.length; k++) input[k] = rand() & 0xff;
      } else {
        input = valid[i % 4 === 1 ? 0 : 1]!.slice();
        const flips = rand() % 3;
        for (let k = 0; k < flips; k++) {
          const at = rand() % input.length;
          input[at] = input[at]! ^ (1 << (rand() % 8));
        }
        input = input.subarray(0, input.length - (rand() % 4 === 0 ? rand() % input.length : 0));
      }
      const events = parser.push(input);
      found += frames(events).length;
      if (i % 1000 === 999) parser.expirePartial();
      expect(parser.buffered).toBeLessThanOrEqual(MAX_FRAME_BYTES + 64);
    }
    // About a third of the mutated inputs are left intact: the fuzz must also exercise the success path.
    expect(found).toBeGreaterThan(5_000);
  });
});
