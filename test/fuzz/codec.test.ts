/**
 * Hostile bytes against the pure codec: the streaming frame parser and every message decoder
 * (requests, replies to each command, events, BUSY, NAK). Inputs are random bytes, mutations of valid
 * frames and payloads (bit flips, byte swaps, insertions, deletions, truncations, splices) and
 * hand-made CBOR bombs (huge declared lengths, deep nesting, indefinite lengths, tags). Each input must
 * give events or a coded FiscalError, never any other throw; no input may take long (no hang); the
 * parser never buffers more than one frame and the heap does not grow with the input count.
 *
 * Seeded (`FUZZ_SEED`, printed); `FUZZ_FULL=1` (npm run chaos) runs 1,000,000 inputs per target, the
 * reduced npm-test mode 150,000.
 */
import { describe, expect, it } from "vitest";
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
  TRAILER_BYTES,
} from "../../protocol/index.js";
import { buildVectors } from "../../protocol/vectors.js";
import { createRng, type Rng } from "../chaos/seed.js";
import { sale } from "../emulator/fixtures.js";

/** Inputs per target. */
const INPUTS = process.env.FUZZ_FULL === "1" || process.env.CHAOS_FULL === "1" ? 1_000_000 : 150_000;
/** The slowest any single input may be, in ms: far above a real decode, far below a hang. */
const MAX_INPUT_MS = 250;
/** Heap growth allowed over a whole run, in bytes: the parser's one frame plus garbage-collector slack. */
const MAX_HEAP_GROWTH_BYTES = 64 * 1024 * 1024;
/** Vitest's budget for one target, in ms. */
const TARGET_TIMEOUT_MS = INPUTS > 150_000 ? 900_000 : 120_000;
/** Every defined error code: a "coded" error must carry one of these. */
const CODES: ReadonlySet<number> = new Set(Object.values(ERRORS).map((e) => e.code));

const SEED = (() => {
  const env = process.env.FUZZ_SEED ?? process.env.CHAOS_SEED;
  return env ? Number(env) >>> 0 : Math.floor(Math.random() * 0x1_0000_0000);
})();

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

/** Runs `fn` and fails on anything but a coded FiscalError; returns the time it took, in ms. */
function guarded(fn: () => void, input: Uint8Array): number {
  const started = performance.now();
  try {
    fn();
  } catch (err) {
    if (!(err instanceof FiscalError) || !CODES.has(err.code)) {
      throw new Error(
        `uncoded throw on input ${Buffer.from(input.subarray(0, 64)).toString("hex")}: ${String(err)}`,
      );
    }
  }
  return performance.now() - started;
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
    "the frame parser: events only, never more than one frame buffered, no hang, flat heap",
    () => {
      console.log(`codec fuzz: frame parser, seed ${SEED}; replay with FUZZ_SEED=${SEED}`);
      const rng = createRng(SEED);
      const parser = new FrameParser();
      const heapBefore = process.memoryUsage().heapUsed;
      let slowest = 0;
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
        const ms = guarded(() => {
          // Split the input at a random point: chunk boundaries must not matter.
          const cut = rng.int(0, input.length);
          for (const chunk of [input.subarray(0, cut), input.subarray(cut)]) {
            for (const e of parser.push(chunk)) if (e.kind === "frame") frames++;
          }
          if (i % 97 === 0) parser.expirePartial();
        }, input);
        slowest = Math.max(slowest, ms);
        if (parser.buffered > MAX_FRAME_BYTES) throw new Error(`parser holds ${parser.buffered} bytes`);
      }
      const growth = process.memoryUsage().heapUsed - heapBefore;
      console.log(
        `codec fuzz: parser ${INPUTS} inputs, ${frames} frames found, slowest ${slowest.toFixed(1)} ms, heap +${growth} B`,
      );
      // A quarter of the inputs are intact frames: the fuzz must also exercise the success path.
      expect(frames).toBeGreaterThan(INPUTS / 8);
      expect(slowest).toBeLessThan(MAX_INPUT_MS);
      expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    },
    TARGET_TIMEOUT_MS,
  );

  it(
    "the message decoders: a value or a coded FiscalError, no hang, flat heap",
    () => {
      console.log(`codec fuzz: message decoders, seed ${SEED}; replay with FUZZ_SEED=${SEED}`);
      const rng = createRng(SEED ^ 0x5bd1_e995);
      const heapBefore = process.memoryUsage().heapUsed;
      let slowest = 0;
      let decoded = 0;
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
        const ms = guarded(() => {
          decode(input);
          decoded++;
        }, input);
        slowest = Math.max(slowest, ms);
      }
      const growth = process.memoryUsage().heapUsed - heapBefore;
      console.log(
        `codec fuzz: decoders ${INPUTS} inputs, ${decoded} decoded, slowest ${slowest.toFixed(1)} ms, heap +${growth} B`,
      );
      expect(decoded).toBeGreaterThan(0);
      expect(slowest).toBeLessThan(MAX_INPUT_MS);
      expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
    },
    TARGET_TIMEOUT_MS,
  );
});
