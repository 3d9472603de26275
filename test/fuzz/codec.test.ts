/**
 * Hostile bytes against the pure codec: the streaming frame parser and every message decoder
 * (requests, replies to each command, events, BUSY, NAK). Inputs are random bytes, mutations of valid
 * frames and payloads (bit flips, byte swaps, insertions, deletions, truncations, splices) and
 * hand-made CBOR bombs (huge declared lengths, deep nesting, indefinite lengths, tags). Each input must
 * give events or a coded FiscalError, never any other throw.
 *
 * No clock is read: "no input makes the parser hang or go quadratic" is checked by counting its work.
 * Each push accounts for every byte it was given exactly once (in a frame, as garbage, as the one byte
 * a failed header skips, or still buffered), so the scan always moves forward; each push makes one
 * header check per event it reports (plus at most one for a frame still arriving) and one frame CRC per
 * frame or frame-CRC failure, so its work is linear in the bytes it holds; and it never holds more than
 * one maximum frame, so that work and its memory stay bounded whatever came before. The decoders keep
 * no state: an input decoded twice gives the same value or the same error.
 *
 * Seeded (chaos/seed.ts: a fixed seed in npm test, a random one in npm run chaos, `FUZZ_SEED` to
 * replay; always printed); `FUZZ_FULL=1` (npm run chaos) runs 1,000,000 inputs per target, the reduced
 * npm-test mode 150,000.
 */
import { describe, expect, it, vi } from "vitest";
import {
  COMMAND_NAMES,
  type Command,
  decodeBusy,
  decodeEvent,
  decodeNak,
  decodeRequest,
  decodeResponse,
  ERRORS,
  encodeFrame,
  encodeRequest,
  FiscalError,
  FrameParser,
  FrameType,
  fromHex,
  HEADER_BYTES,
  MAX_FRAME_BYTES,
  type ParseEvent,
  TRAILER_BYTES,
} from "../../protocol/index.js";
import { buildVectors } from "../../protocol/vectors.js";
import { createRng, type Rng, replayWith, seedFromEnv } from "../chaos/seed.js";
import { sale } from "../emulator/fixtures.js";

/** Inputs per target. */
const INPUTS = process.env.FUZZ_FULL === "1" || process.env.CHAOS_FULL === "1" ? 1_000_000 : 150_000;
/** Vitest's budget for one target, in ms: the backstop for a real hang, far above the run's seconds. */
const TARGET_TIMEOUT_MS = INPUTS > 150_000 ? 900_000 : 120_000;
/** Every defined error code: a "coded" error must carry one of these. */
const CODES: ReadonlySet<number> = new Set(Object.values(ERRORS).map((e) => e.code));
/**
 * One in this many decoder inputs is decoded a second time, to show the decoders keep no state. Prime
 * to the 8 input kinds' cycle, so every kind is decoded twice, not only one.
 */
const REDECODE_EVERY = 17;

/** Fixed in `npm test`, random in `npm run chaos`, FUZZ_SEED to replay (chaos/seed.ts). */
const SEED = seedFromEnv("FUZZ");

/** CRC calls made since the test started: the parser's unit of work, counted by the mock below. */
const crcCalls = vi.hoisted(() => ({ crc8: 0, crc32: 0 }));
vi.mock("../../protocol/frame/crc.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../protocol/frame/crc.js")>();
  return {
    ...real,
    crc8: (bytes: Uint8Array, start?: number, end?: number): number => {
      crcCalls.crc8++;
      return real.crc8(bytes, start, end);
    },
    crc32: (bytes: Uint8Array, start?: number, end?: number): number => {
      crcCalls.crc32++;
      return real.crc32(bytes, start, end);
    },
  };
});

/** Valid frames of every kind (the protocol's test vectors) and valid request payloads. */
const VALID_FRAMES: Uint8Array[] = buildVectors()
  .filter((v) => v.format === "hex" && v.id.startsWith("frame-"))
  .map((v) => fromHex(v.value));
const VALID_PAYLOADS: Uint8Array[] = [
  ...VALID_FRAMES.map((f) => f.subarray(HEADER_BYTES, f.length - TRAILER_BYTES)),
  encodeRequest("PREPARE", { invoice: sale("FUZZ-1") as never }),
  encodeRequest("JOURNAL_READ", { from: 1, limit: 16 }),
  encodeRequest("GET_RECORD", { payload_hash: new Uint8Array(32) }),
  encodeRequest("COMMIT", { nonce: new Uint8Array(16), payload_hash: new Uint8Array(32) }),
  encodeRequest("TIME_SET", { now: Date.UTC(2026, 0, 1) }),
];

/** Hand-made CBOR and frame bombs. */
function bombs(rng: Rng): Uint8Array[] {
  const depth = rng.int(1_000, 100_000);
  return [
    // A byte string declaring 2^64−1 bytes; an array and a map declaring 2^32−1 items.
    fromHex("5bffffffffffffffff00"),
    fromHex("9affffffff01"),
    fromHex("baffffffff0101"),
    // Deep nesting: arrays of arrays, maps of maps.
    new Uint8Array(depth).fill(0x81),
    new Uint8Array(depth).map((_, i) => (i % 2 === 0 ? 0xa1 : 0x61)),
    // Indefinite lengths (never canonical), nested tags, a half-float NaN, undefined and break.
    fromHex("9f9f9fffffff"),
    new Uint8Array(rng.int(10, 5_000)).fill(0xc6),
    fromHex("f97e00f7ff"),
  ];
}

function randomBytes(rng: Rng, max: number): Uint8Array {
  const out = new Uint8Array(rng.int(0, max));
  for (let i = 0; i < out.length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** One mutation of `input`: flips, overwrites, inserts, deletes, truncates or splices. */
function mutate(rng: Rng, input: Uint8Array, other: Uint8Array): Uint8Array {
  let out = input.slice();
  const steps = rng.int(1, 4);
  for (let s = 0; s < steps && out.length > 0; s++) {
    const at = rng.int(0, out.length - 1);
    switch (rng.int(0, 5)) {
      case 0:
        out[at] = out[at]! ^ (1 << rng.int(0, 7));
        break;
      case 1:
        out[at] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x1b, 0x5b, 0x9f, 0xbf, 0xa5, 0x5a]);
        break;
      case 2: {
        const extra = randomBytes(rng, 16);
        out = new Uint8Array([...out.subarray(0, at), ...extra, ...out.subarray(at)]);
        break;
      }
      case 3:
        out = new Uint8Array([...out.subarray(0, at), ...out.subarray(at + rng.int(1, 8))]);
        break;
      case 4:
        out = out.subarray(0, at);
        break;
      default:
        out = new Uint8Array([...out.subarray(0, at), ...other.subarray(rng.int(0, other.length))]);
    }
  }
  return out;
}

/** What one decode gave: a value, or the code and message of the FiscalError it threw. */
type Outcome = { readonly value: unknown } | { readonly code: number; readonly message: string };

/** Runs `decode` and fails on anything but a value or a coded FiscalError. */
function outcome(decode: () => unknown, input: Uint8Array): Outcome {
  try {
    return { value: decode() };
  } catch (err) {
    if (!(err instanceof FiscalError) || !CODES.has(err.code)) {
      throw new Error(`uncoded throw on input ${hex(input)}: ${String(err)}`);
    }
    return { code: err.code, message: err.message };
  }
}

const hex = (input: Uint8Array): string => Buffer.from(input.subarray(0, 64)).toString("hex");

/** Events in which the parser checked a header CRC (every kind but garbage and truncation). */
const CHECKED_KINDS: ReadonlySet<ParseEvent["kind"]> = new Set([
  "frame",
  "header-crc",
  "frame-crc",
  "oversize",
  "unsupported",
]);

/** Bytes an event accounts for: a frame's own, the garbage skipped, or the one byte a failure skips. */
function bytesOf(e: ParseEvent): number {
  if (e.kind === "frame") return HEADER_BYTES + e.frame.payload.length + TRAILER_BYTES;
  if (e.kind === "garbage") return e.bytes;
  return 1;
}

/**
 * Runs one parser call (a push of `offered` bytes, or an expiry with none) and checks its work: every
 * byte held or offered is accounted for once, header checks match the events (plus at most one for a
 * frame still arriving), frame CRCs match the frames and frame-CRC failures, and at most one frame stays
 * buffered. Throws naming the input on any breach.
 */
function countedStep(
  parser: FrameParser,
  offered: number,
  input: Uint8Array,
  call: () => ParseEvent[],
): ParseEvent[] {
  const held = parser.buffered;
  const crc8Before = crcCalls.crc8;
  const crc32Before = crcCalls.crc32;
  let events: ParseEvent[];
  try {
    events = call();
  } catch (err) {
    // The parser reports, it never throws: any throw is a failure, coded or not.
    throw new Error(`parser threw on input ${hex(input)}: ${String(err)}`, { cause: err });
  }
  const crc8 = crcCalls.crc8 - crc8Before;
  const crc32 = crcCalls.crc32 - crc32Before;
  const consumed = events.reduce((sum, e) => sum + bytesOf(e), 0);
  const checked = events.filter((e) => CHECKED_KINDS.has(e.kind)).length;
  const framed = events.filter((e) => e.kind === "frame" || e.kind === "frame-crc").length;
  const breach =
    held + offered !== consumed + parser.buffered
      ? `${held} held + ${offered} offered bytes, but ${consumed} accounted for and ${parser.buffered} held`
      : crc8 < checked || crc8 > checked + 1
        ? `${crc8} header checks for ${checked} checked events`
        : crc32 !== framed
          ? `${crc32} frame CRCs for ${framed} frames and frame-CRC failures`
          : parser.buffered > MAX_FRAME_BYTES
            ? `parser holds ${parser.buffered} bytes`
            : null;
  if (breach !== null) throw new Error(`parser work on input ${hex(input)}: ${breach}`);
  return events;
}

/** The decoders of every payload kind a link can carry. */
const DECODERS: readonly ((p: Uint8Array) => unknown)[] = [
  decodeRequest,
  decodeEvent,
  decodeBusy,
  decodeNak,
  ...COMMAND_NAMES.map((cmd: Command) => (p: Uint8Array) => decodeResponse(cmd, p)),
];

describe(`codec fuzz (seed ${SEED}, ${INPUTS.toLocaleString("en")} inputs per target)`, () => {
  it(
    "the frame parser: events only, every byte accounted for once, linear work, one frame buffered at most",
    () => {
      console.log(`codec fuzz: frame parser, seed ${SEED}; replay with ${replayWith("FUZZ", SEED)}`);
      const rng = createRng(SEED);
      const parser = new FrameParser();
      const seen = new Map<string, number>();
      let frames = 0;
      for (let i = 0; i < INPUTS; i++) {
        const base = rng.pick(VALID_FRAMES);
        const kind = i % 4;
        const input =
          kind === 0
            ? randomBytes(rng, 96)
            : kind === 2
              ? base
              : kind === 3 && i % 1_000 === 3
                ? encodeFrame({
                    type: FrameType.REQUEST,
                    seq: 1,
                    payload: rng.pick(bombs(rng)).subarray(0, 32_000),
                  })
                : mutate(rng, base, rng.pick(VALID_FRAMES));
        // Split the input at a random point: chunk boundaries must not matter.
        const cut = rng.int(0, input.length);
        const events: ParseEvent[] = [];
        for (const chunk of [input.subarray(0, cut), input.subarray(cut)]) {
          events.push(...countedStep(parser, chunk.length, input, () => parser.push(chunk)));
        }
        if (i % 97 === 0) events.push(...countedStep(parser, 0, input, () => parser.expirePartial()));
        for (const e of events) {
          seen.set(e.kind, (seen.get(e.kind) ?? 0) + 1);
          if (e.kind === "frame") frames++;
        }
      }
      console.log(
        `codec fuzz: parser ${INPUTS} inputs, ${JSON.stringify(Object.fromEntries(seen))}, CRC calls ${JSON.stringify(crcCalls)}`,
      );
      // A quarter of the inputs are intact frames: the fuzz must also exercise the success path.
      expect(frames).toBeGreaterThan(INPUTS / 8);
      // And every failure the parser can report, so each resynchronisation path was measured.
      expect([...seen.keys()].sort()).toEqual([
        "frame",
        "frame-crc",
        "garbage",
        "header-crc",
        "oversize",
        "truncated",
        "unsupported",
      ]);
    },
    TARGET_TIMEOUT_MS,
  );

  it(
    "the message decoders: a value or a coded FiscalError, the same one every time",
    () => {
      console.log(`codec fuzz: message decoders, seed ${SEED}; replay with ${replayWith("FUZZ", SEED)}`);
      const rng = createRng(SEED ^ 0x5bd1_e995);
      let decoded = 0;
      let refused = 0;
      let redecoded = 0;
      for (let i = 0; i < INPUTS; i++) {
        const kind = i % 8;
        const input =
          kind === 0
            ? randomBytes(rng, 64)
            : kind === 2
              ? rng.pick(VALID_PAYLOADS)
              : kind === 1 && i % 64 === 1
                ? rng.pick(bombs(rng))
                : mutate(rng, rng.pick(VALID_PAYLOADS), rng.pick(VALID_PAYLOADS));
        const decode = rng.pick(DECODERS);
        const first = outcome(() => decode(input), input);
        if ("value" in first) decoded++;
        else refused++;
        if (i % REDECODE_EVERY === 0) {
          expect(
            outcome(() => decode(input), input),
            `input ${hex(input)}`,
          ).toEqual(first);
          redecoded++;
        }
      }
      console.log(
        `codec fuzz: decoders ${INPUTS} inputs, ${decoded} decoded, ${refused} refused, ${redecoded} decoded twice`,
      );
      expect(decoded).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      expect(redecoded).toBe(Math.ceil(INPUTS / REDECODE_EVERY));
    },
    TARGET_TIMEOUT_MS,
  );

  it("refuses every CBOR bomb with a coded FiscalError, in every decoder", () => {
    const rng = createRng(SEED);
    const verdicts = bombs(rng).flatMap((bomb) =>
      DECODERS.map((decode) => {
        const got = outcome(() => decode(bomb), bomb);
        return "code" in got ? "refused" : `decoded ${hex(bomb)}`;
      }),
    );
    expect(verdicts).toEqual(new Array(8 * DECODERS.length).fill("refused"));
  });
});
