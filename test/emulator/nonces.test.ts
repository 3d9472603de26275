/**
 * Nonce lifetime on the emulated DEF (PROTOCOL.md §10.2), on an injected clock: expiry on device time
 * whether or not anything polled, expired nonces remembered (answering NONCE_EXPIRED) for 10 minutes
 * and up to 256 of them, no pending slot held by an expired nonce, single use, and BUSY leaving a
 * nonce pending.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  CODE_DEF_PATTERN,
  decodeResponse,
  ERRORS,
  encodeRequest,
  FrameType,
  type ResultOf,
  toHex,
} from "../../protocol/index.js";
import { sale } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import { ManualClock, T0 } from "./manual-clock.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

/** PROTOCOL.md §10.2: the default `nonce_ttl_ms`. */
const DEFAULT_TTL_MS = 120_000;
/** PROTOCOL.md §10.2: how long an expired nonce is remembered after its expiry. */
const EXPIRED_MEMORY_MS = 10 * 60_000;
/** PROTOCOL.md §10.2: how many expired nonces are remembered at most. */
const EXPIRED_MEMORY_COUNT = 256;

type Prepared = ResultOf<"PREPARE">;

async function prepare(host: WireHost, ref: string): Promise<Prepared> {
  return host.call("PREPARE", { invoice: sale(ref) as never });
}

async function commitCode(host: WireHost, p: Prepared): Promise<number> {
  return (await host.fail("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash })).code;
}

describe("nonce expiry", () => {
  it("expires nonce_ttl_ms after PREPARE and answers NONCE_EXPIRED after polls, for 10 minutes", async () => {
    const clock = new ManualClock();
    const { host } = await boot({ activate: true, device: { systemNow: clock.now } });
    expect((await host.call("INFO", {})).limits.nonce_ttl_ms).toBe(DEFAULT_TTL_MS);
    const a = await prepare(host, "N-1");
    const b = await prepare(host, "N-2");
    expect(a.expires_at).toBe(T0 + DEFAULT_TTL_MS);
    clock.set(a.expires_at - 1);
    await host.call("COMMIT", { nonce: a.nonce, payload_hash: a.payload_hash });
    clock.set(b.expires_at);
    // The status poll and LIST_PENDING must not make the device forget that the nonce expired.
    expect((await host.call("STATUS", {})).pending).toBe(0);
    expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
    expect(await commitCode(host, b)).toBe(ERRORS.NONCE_EXPIRED.code);
    expect(await commitCode(host, b)).toBe(ERRORS.NONCE_EXPIRED.code);
    expect((await host.fail("ABORT", { nonce: b.nonce })).code).toBe(ERRORS.NONCE_EXPIRED.code);
    clock.set(b.expires_at + EXPIRED_MEMORY_MS - 1);
    expect(await commitCode(host, b)).toBe(ERRORS.NONCE_EXPIRED.code);
    clock.set(b.expires_at + EXPIRED_MEMORY_MS);
    expect(await commitCode(host, b)).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
  });

  it("frees the pending slot of an expired nonce without anything polling, and never lists it", async () => {
    const clock = new ManualClock();
    const { host } = await boot({ activate: true, device: { maxPending: 2, systemNow: clock.now } });
    const p1 = await prepare(host, "P-1");
    await prepare(host, "P-2");
    expect((await host.fail("PREPARE", { invoice: sale("P-3") as never })).code).toBe(
      ERRORS.PENDING_LIMIT.code,
    );
    clock.advance(DEFAULT_TTL_MS);
    const p3 = await prepare(host, "P-3");
    expect(p3.expires_at).toBe(T0 + 2 * DEFAULT_TTL_MS);
    const listed = await host.call("LIST_PENDING", {});
    expect(listed.pending.map((p) => p.client_ref)).toEqual(["P-3"]);
    expect((await host.call("STATUS", {})).pending).toBe(1);
    await prepare(host, "P-4");
    expect(await commitCode(host, p1)).toBe(ERRORS.NONCE_EXPIRED.code);
  });

  it("remembers at most 256 expired nonces, forgetting the earliest-expired first", async () => {
    const clock = new ManualClock();
    const { host } = await boot({ activate: true, device: { maxPending: 300, systemNow: clock.now } });
    const prepared: Prepared[] = [];
    for (let i = 0; i <= EXPIRED_MEMORY_COUNT; i++) {
      prepared.push(await prepare(host, `M-${i}`));
      clock.advance(1);
    }
    clock.set(prepared.at(-1)!.expires_at);
    expect(await commitCode(host, prepared[0]!)).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect(await commitCode(host, prepared[1]!)).toBe(ERRORS.NONCE_EXPIRED.code);
    expect(await commitCode(host, prepared.at(-1)!)).toBe(ERRORS.NONCE_EXPIRED.code);
  });
});

describe("nonce use", () => {
  it("is bound to its payload and single-use; an aborted or committed nonce is NONCE_UNKNOWN", async () => {
    const { host } = await boot({ activate: true });
    const a = await prepare(host, "U-1");
    const b = await prepare(host, "U-2");
    const mismatch = await host.fail("COMMIT", { nonce: a.nonce, payload_hash: b.payload_hash });
    expect(mismatch.code).toBe(ERRORS.NONCE_MISMATCH.code);
    // The nonce survives a mismatch.
    await host.call("COMMIT", { nonce: a.nonce, payload_hash: a.payload_hash });
    expect(await commitCode(host, a)).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect((await host.fail("ABORT", { nonce: a.nonce })).code).toBe(ERRORS.NONCE_UNKNOWN.code);
    const unknown = await host.fail("COMMIT", {
      nonce: new Uint8Array(16).fill(7),
      payload_hash: a.payload_hash,
    });
    expect(unknown.code).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect(toHex((await host.call("ABORT", { nonce: b.nonce })).nonce)).toBe(toHex(b.nonce));
    expect((await host.fail("ABORT", { nonce: b.nonce })).code).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect(await commitCode(host, b)).toBe(ERRORS.NONCE_UNKNOWN.code);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
  });

  it("caps pending PREPAREs and frees a slot on ABORT", async () => {
    const { host } = await boot({ activate: true, device: { maxPending: 2 } });
    const a = await prepare(host, "C-1");
    await prepare(host, "C-2");
    expect((await host.fail("PREPARE", { invoice: sale("C-3") as never })).code).toBe(
      ERRORS.PENDING_LIMIT.code,
    );
    const listed = await host.call("LIST_PENDING", {});
    expect(listed.pending.map((p) => p.client_ref).sort()).toEqual(["C-1", "C-2"]);
    expect(toHex(listed.pending.find((p) => p.client_ref === "C-1")!.nonce)).toBe(toHex(a.nonce));
    await host.call("ABORT", { nonce: a.nonce });
    await prepare(host, "C-3");
    expect((await host.call("STATUS", {})).pending).toBe(2);
  });

  it("leaves the nonce pending when it answers a COMMIT with BUSY (PROTOCOL.md §4: not executed)", async () => {
    const { host, emulator } = await boot({ activate: true });
    const p = await prepare(host, "B-1");
    emulator.faults.update({ busy_next: 1 });
    const commit = encodeRequest("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    host.sendRequest(900, commit);
    expect(await host.nextFrame()).toMatchObject({ type: FrameType.BUSY, seq: 900 });
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(0);
    const listed = await host.call("LIST_PENDING", {});
    expect(listed.pending.map((x) => toHex(x.nonce))).toEqual([toHex(p.nonce)]);
    host.sendRequest(900, commit);
    const reply = await host.nextFrame();
    expect(reply).toMatchObject({ type: FrameType.RESPONSE, seq: 900 });
    expect(decodeResponse("COMMIT", reply.payload).auth_code).toMatch(new RegExp(CODE_DEF_PATTERN));
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
  });

  it("never answers BUSY to a retransmission of a COMMIT it executed: it replays the sealed reply", async () => {
    const { host, emulator } = await boot({ activate: true });
    const p = await prepare(host, "B-2");
    const commit = encodeRequest("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    emulator.faults.update({ drop_next: 1 });
    host.sendRequest(901, commit);
    while (emulator.counters.repliesDropped === 0) await new Promise((resolve) => setImmediate(resolve));
    emulator.faults.update({ busy_next: 1 });
    host.sendRequest(901, commit);
    const replay = await host.nextFrame();
    expect(replay).toMatchObject({ type: FrameType.RESPONSE, seq: 901 });
    expect(decodeResponse("COMMIT", replay.payload).auth_code).toMatch(new RegExp(CODE_DEF_PATTERN));
    expect(emulator.counters).toMatchObject({ replaysServed: 1, busySent: 0 });
    // The BUSY fault is still armed for the next request the device would execute.
    host.sendRequest(902, encodeRequest("STATUS", {}));
    expect(await host.nextFrame()).toMatchObject({ type: FrameType.BUSY, seq: 902 });
  });
});
