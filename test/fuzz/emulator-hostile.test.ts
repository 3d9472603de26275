/**
 * A misbehaving host against the emulated DEF over TCP: frames with valid CRCs but garbage CBOR, wrong
 * and unknown commands, wrong arguments, replays of earlier requests (same SEQ) with altered payloads,
 * oversize frames, frames of the device-only types, raw byte floods, and bursts sent without waiting
 * for replies, interleaved with honest PREPARE+COMMIT pairs. Afterwards the journal must verify
 * (signatures, chain, QR), hold exactly the honest records, the counters and SELF_TEST must agree, and
 * the device must still seal.
 *
 * Seeded (chaos/seed.ts: a fixed seed in npm test, a random one in npm run chaos, `FUZZ_SEED` to replay;
 * always printed); reduced 6,000 hostile frames, full (FUZZ_FULL=1 / CHAOS_FULL=1) 60,000.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandJournalReader, openJournalExport } from "../../daemon/export/journal-export.js";
import { type Emulator, startEmulator } from "../../emulator/emulator.js";
import { listenTcpLink } from "../../emulator/link/tcp.js";
import {
  type ArgsOf,
  type Command,
  crc8,
  decodeBusy,
  decodeResponse,
  type ExportedRecord,
  encodeCanonical,
  encodeFrame,
  encodeRequest,
  FiscalError,
  type Frame,
  FrameParser,
  FrameType,
  MAX_PAYLOAD_BYTES,
  nextSeq,
  type ResultOf,
  verifyExport,
} from "../../protocol/index.js";
import { createRng, type Rng, replayWith, seedFromEnv } from "../chaos/seed.js";
import { bundleFor, sale } from "../emulator/fixtures.js";

const FULL = process.env.FUZZ_FULL === "1" || process.env.CHAOS_FULL === "1";
/** Hostile frames sent. */
const HOSTILE_FRAMES = FULL ? 60_000 : 6_000;
/** Hostile frames between two honest PREPARE+COMMIT pairs. */
const HONEST_EVERY = 300;
/** How long an honest call waits for its reply (BUSY retries included), in ms. */
const CALL_TIMEOUT_MS = 10_000;
/** Vitest's budget, in ms. */
const TEST_TIMEOUT_MS = FULL ? 900_000 : 120_000;
/** Fixed in `npm test`, random in `npm run chaos`, FUZZ_SEED to replay (chaos/seed.ts). */
const SEED = seedFromEnv("FUZZ");

/** A raw TCP host: writes anything, collects the device's frames by SEQ. */
class HostileHost {
  private readonly parser = new FrameParser();
  private readonly responses = new Map<number, Frame[]>();
  private waiters: (() => void)[] = [];
  private seq = 1;

  constructor(private readonly socket: Socket) {
    socket.on("data", (bytes: Buffer) => {
      for (const e of this.parser.push(bytes)) {
        if (e.kind !== "frame" || e.frame.type === FrameType.EVENT) continue;
        const list = this.responses.get(e.frame.seq) ?? [];
        list.push(e.frame);
        this.responses.set(e.frame.seq, list);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** A SEQ no hostile frame uses: hostile frames take the upper half of the SEQ space. */
  private freshSeq(): number {
    this.seq = nextSeq(this.seq) % 0x8000 || 1;
    return this.seq;
  }

  /** An honest command: retried after BUSY, and on a fresh SEQ if its reply was unreadable. */
  async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    const deadline = Date.now() + CALL_TIMEOUT_MS;
    let seq = this.freshSeq();
    this.responses.delete(seq);
    this.write(encodeFrame({ type: FrameType.REQUEST, seq, payload: encodeRequest(cmd, args) }));
    for (;;) {
      const frame = this.responses.get(seq)?.shift();
      if (frame?.type === FrameType.RESPONSE) return decodeResponse(cmd, frame.payload);
      if (frame?.type === FrameType.BUSY || frame?.type === FrameType.NAK) {
        await new Promise((r) =>
          setTimeout(r, frame.type === FrameType.BUSY ? decodeBusy(frame.payload) : 5),
        );
        seq = this.freshSeq();
        this.responses.delete(seq);
        this.write(encodeFrame({ type: FrameType.REQUEST, seq, payload: encodeRequest(cmd, args) }));
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${cmd}: no reply within ${CALL_TIMEOUT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** A frame with a sound header CRC announcing `length` bytes, for the oversize case. */
function oversizeHeader(seq: number, length: number): Uint8Array {
  const h = new Uint8Array([
    0xa5,
    0x5a,
    0x01,
    FrameType.REQUEST,
    seq >> 8,
    seq & 0xff,
    length >> 8,
    length & 0xff,
    0,
  ]);
  h[8] = crc8(h, 0, 8);
  return h;
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(0, 255);
  return out;
}

/** A hostile SEQ: the upper half of the space, which the honest calls never use. */
const hostileSeq = (rng: Rng): number => rng.int(0x8000, 0xffff);

let emulator: Emulator;
let stateDir: string;
let socket: Socket;
let host: HostileHost;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "stalela-hostile-"));
  const link = await listenTcpLink({ host: "127.0.0.1", port: 0 });
  emulator = await startEmulator({ stateDir, links: [link], faultSeed: SEED });
  emulator.device.execute("ACTIVATE", { bundle: bundleFor(emulator.deviceId) });
  socket = connect(link.address.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  host = new HostileHost(socket);
});
afterAll(async () => {
  socket?.destroy();
  await emulator?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe(`the emulated DEF against a hostile host over TCP (seed ${SEED})`, () => {
  it(
    "never corrupts its journal, keeps its counters, and still seals",
    async () => {
      console.log(
        `emulator hostile: seed ${SEED}, ${HOSTILE_FRAMES} frames; replay with ${replayWith("FUZZ", SEED)}`,
      );
      const rng = createRng(SEED);
      let honest = 0;
      const sent: Uint8Array[] = [];
      const seal = async (): Promise<void> => {
        // Replayed PREPAREs leave pending nonces (up to the device's cap); a host clears what it does not own.
        for (const p of (await host.call("LIST_PENDING", {})).pending) {
          await host.call("ABORT", { nonce: p.nonce }).catch(() => undefined);
        }
        const invoice = sale(`HONEST-${honest + 1}`, rng.int(100, 99_999)) as never;
        const prepared = await host.call("PREPARE", { invoice });
        sent.push(encodeRequest("PREPARE", { invoice }));
        const sealed = await host.call("COMMIT", {
          nonce: prepared.nonce,
          payload_hash: prepared.payload_hash,
        });
        sent.push(encodeRequest("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash }));
        expect(sealed.record.length).toBeGreaterThan(0);
        honest++;
      };
      await seal();

      const kinds: Record<string, number> = {};
      const count = (k: string): void => {
        kinds[k] = (kinds[k] ?? 0) + 1;
      };
      for (let i = 0; i < HOSTILE_FRAMES; i++) {
        const seq = hostileSeq(rng);
        const roll = rng.int(0, 9);
        let bytes: Uint8Array;
        if (roll <= 1) {
          count("garbage-cbor");
          bytes = encodeFrame({ type: FrameType.REQUEST, seq, payload: randomBytes(rng, rng.int(0, 200)) });
        } else if (roll === 2) {
          count("unknown-command");
          const cmd = rng.pick(["FORMAT", "WIPE_JOURNAL", "", "prepare", "COMMIT ", "x".repeat(200)]);
          bytes = encodeFrame({ type: FrameType.REQUEST, seq, payload: encodeCanonical({ cmd, args: 1 }) });
        } else if (roll === 3) {
          count("wrong-arguments");
          const payload = rng.pick([
            encodeCanonical({ cmd: "JOURNAL_READ", from: -1, limit: 1e9 }),
            encodeCanonical({
              cmd: "COMMIT",
              nonce: randomBytes(rng, 16),
              payload_hash: randomBytes(rng, 32),
            }),
            encodeCanonical({ cmd: "ABORT", nonce: randomBytes(rng, 16) }),
            encodeCanonical({ cmd: "TIME_SET", now: 0 }),
            encodeCanonical({
              cmd: "ACTIVATE",
              bundle: { bytes: randomBytes(rng, 64), signature: randomBytes(rng, 64) },
            }),
            encodeCanonical({ cmd: "PREPARE", invoice: { type: "SALE", items: "none" } }),
            encodeCanonical({ cmd: 42 }),
            encodeCanonical([1, 2, 3]),
          ]);
          bytes = encodeFrame({ type: FrameType.REQUEST, seq, payload });
        } else if (roll <= 5 && sent.length > 0) {
          count("altered-replay");
          // An earlier honest request, replayed under one SEQ twice with a changed byte the second time.
          const original = rng.pick(sent).slice();
          const first = encodeFrame({ type: FrameType.REQUEST, seq, payload: original });
          const altered = original.slice();
          const at = rng.int(0, altered.length - 1);
          altered[at] = altered[at]! ^ (1 << rng.int(0, 7));
          bytes = new Uint8Array([
            ...first,
            ...encodeFrame({ type: FrameType.REQUEST, seq, payload: altered }),
          ]);
        } else if (roll === 6) {
          count("oversize");
          bytes =
            rng.next() < 0.5
              ? oversizeHeader(seq, rng.int(MAX_PAYLOAD_BYTES + 1, 0xffff))
              : encodeFrame({ type: FrameType.REQUEST, seq, payload: randomBytes(rng, MAX_PAYLOAD_BYTES) });
        } else if (roll === 7) {
          count("device-only-type");
          const type = rng.pick([FrameType.RESPONSE, FrameType.EVENT, FrameType.BUSY, FrameType.NAK]);
          bytes = encodeFrame({ type, seq, payload: randomBytes(rng, rng.int(0, 40)) });
        } else {
          count("flood");
          bytes = randomBytes(rng, rng.int(1, 4_096));
        }
        host.write(bytes);
        // Bursts go out without waiting; the socket is drained now and then so memory stays bounded.
        if (i % 50 === 49)
          await new Promise<void>((r) => (socket.writableLength > 0 ? socket.once("drain", r) : r()));
        if (i % HONEST_EVERY === HONEST_EVERY - 1) await seal();
      }
      await seal();
      console.log(
        `emulator hostile: ${JSON.stringify(kinds)}; ${honest} honest records; link ${JSON.stringify(emulator.counters)}`,
      );

      // Every kind of hostile frame was really sent.
      expect(Object.keys(kinds).sort()).toEqual([
        "altered-replay",
        "device-only-type",
        "flood",
        "garbage-cbor",
        "oversize",
        "unknown-command",
        "wrong-arguments",
      ]);

      // Still serves, and its state is intact.
      const status = await host.call("STATUS", {});
      expect(status.last_fiscal_number).toBe(honest);
      const selfTest = await host.call("SELF_TEST", {});
      expect(selfTest, JSON.stringify(selfTest)).toMatchObject({ passed: true });

      // The journal verifies, from the activation record on, and holds exactly the honest records.
      const stream = await openJournalExport(
        commandJournalReader(emulator.device.execute.bind(emulator.device)),
      );
      const records: ExportedRecord[] = [];
      for await (const page of stream.pages) records.push(...page);
      const report = verifyExport({ ...stream.header, records }, { publicKey: emulator.publicKey });
      expect(report.ok, JSON.stringify(report.failures.slice(0, 5))).toBe(true);
      expect(report.counts.records).toBe(honest);
      expect(report.genesis_checked).toBe(true);

      const counters = emulator.counters;
      expect(counters.frameCrcErrors + counters.oversizeFrames + counters.garbageBytes).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  it("a coded refusal answers every kind of bad request (never a crash)", async () => {
    await expect(host.call("JOURNAL_READ", { from: 0, limit: 1 } as never)).rejects.toBeInstanceOf(
      FiscalError,
    );
  });
});
