/**
 * The lost-reply rule (docs/DEVICE_LINK.md §5) against a scripted device with fake timers. Only a
 * COMMIT and an ACTIVATE whose reply is lost are resolved by asking the device (a COMMIT by ABORT then
 * GET_RECORD, never a second COMMIT), within the resolve deadline. Every other command fails after its
 * last retransmission, because it cannot have sealed anything. A COMMIT reply that cannot be decoded is
 * in doubt like a lost one; a refusal the device itself answered is not.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type ArgsOf,
  type Command,
  decodeRequest,
  encodeCanonical,
  encodeFrame,
  FiscalError,
  FrameType,
  type ResultOf,
} from "../../../protocol/index.js";
import { settle, track } from "../../support/settle.js";
import { fakeSealedRecord, type ScriptedPeer } from "./scripted-peer.js";
import { DEADLINE_MS, HASH, NONCE, RETRANSMITS, setup, TIMEOUT_MS } from "./session-harness.js";

/** docs/DEVICE_LINK.md §5: one exchange with no answer lasts (1 + maxRetransmits) reply timeouts. */
const EXCHANGE_MS = (1 + RETRANSMITS) * TIMEOUT_MS;

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function errorOf(outcome: { ok: boolean }): FiscalError {
  expect(outcome.ok).toBe(false);
  return (outcome as unknown as { error: FiscalError }).error;
}

/** Sends a RESPONSE frame with a raw payload (which may be garbage) for `seq`. */
function rawReply(peer: ScriptedPeer, seq: number, payload: Uint8Array): void {
  peer.sendBytes(encodeFrame({ type: FrameType.RESPONSE, seq, payload }));
}

describe("lost COMMIT replies", () => {
  it("resolves a COMMIT whose replies all timed out with ABORT then GET_RECORD, never a second COMMIT", async () => {
    const sealed = fakeSealedRecord(1);
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "ABORT") p.replyError(s.frame.seq, new FiscalError("NONCE_UNKNOWN"));
      if (s.cmd === "GET_RECORD") p.reply(s.frame.seq, "GET_RECORD", sealed);
    });
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS + 50);
    expect(await result).toEqual({ ok: true, value: sealed });
    const commits = peer.requests("COMMIT");
    expect(commits).toHaveLength(1 + RETRANSMITS);
    expect(new Set(commits.map((c) => c.frame.seq)).size).toBe(1);
    expect(peer.requests().map((r) => r.cmd)).toEqual(["COMMIT", "COMMIT", "COMMIT", "ABORT", "GET_RECORD"]);
    expect(session.counters.resolved).toBe(1);
    await session.close();
  });

  it("answers a definite not-committed error when GET_RECORD finds nothing", async () => {
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "ABORT") p.reply(s.frame.seq, "ABORT", { nonce: NONCE });
      if (s.cmd === "GET_RECORD") p.replyError(s.frame.seq, new FiscalError("RECORD_NOT_FOUND"));
    });
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS + 50);
    const error = errorOf(await result);
    expect(error.errorName).toBe("DEVICE_TIMEOUT");
    expect(error.details).toMatchObject({ outcome: "not-committed" });
    expect(peer.requests("COMMIT")).toHaveLength(1 + RETRANSMITS);
    await session.close();
  });

  it("fails fast while the device is away, and resolves the COMMIT in flight after it returns", async () => {
    const sealed = fakeSealedRecord(2);
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "COMMIT") p.unplug();
      if (s.cmd === "ABORT") p.replyError(s.frame.seq, new FiscalError("NONCE_UNKNOWN"));
      if (s.cmd === "GET_RECORD") p.reply(s.frame.seq, "GET_RECORD", sealed);
    });
    const commit = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(0);
    expect(session.linkState).not.toBe("up");
    const during = await settle(session.request("TIME_GET", {}));
    expect(errorOf(during).errorName).toBe("DEVICE_UNAVAILABLE");
    await vi.advanceTimersByTimeAsync(1_000); // several failed reconnect attempts
    expect(session.linkState).not.toBe("up");
    peer.present = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(await commit).toEqual({ ok: true, value: sealed });
    expect(peer.requests("COMMIT")).toHaveLength(1);
    expect(session.counters).toMatchObject({
      disconnects: 1,
      reconnects: 1,
      resolved: 1,
      unavailableRejected: 1,
    });
    await session.close();
  });

  it("reports in-doubt, never unknown, when the device does not come back before the deadline", async () => {
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "COMMIT") p.unplug();
    });
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(DEADLINE_MS + 100);
    const error = errorOf(await result);
    expect(error.errorName).toBe("DEVICE_UNAVAILABLE");
    expect(error.details).toMatchObject({ outcome: "in-doubt", command: "COMMIT" });
    expect(session.counters.unresolved).toBe(1);
    expect(peer.requests("COMMIT")).toHaveLength(1);
    await session.close();
  });

  it("gives up at the deadline even while a recovery exchange is still in flight", async () => {
    // ABORT keeps getting BUSY: one recovery exchange alone would outlast the deadline several times.
    const { session } = await setup((s, p) => {
      if (s.cmd === "ABORT") p.busy(s.frame.seq, 1_000);
    });
    const commit = track(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(commit.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS);
    expect(commit.settled()).toBe(true);
    expect(errorOf(await commit.result).details).toMatchObject({ outcome: "in-doubt", command: "COMMIT" });
    await session.close();
  });

  it.each([
    ["invalid CBOR", new Uint8Array([0xff, 0x00])],
    ["a result outside the catalogue", encodeCanonical({ ok: true, result: { record: "not bytes" } })],
    ["an error reply without its message", encodeCanonical({ ok: false, error: { code: 111 } })],
  ])(
    "treats a COMMIT reply with %s as lost and resolves it with ABORT then GET_RECORD",
    async (_, payload) => {
      const sealed = fakeSealedRecord(3);
      const { peer, session } = await setup((s, p) => {
        if (s.cmd === "COMMIT") rawReply(p, s.frame.seq, payload);
        if (s.cmd === "ABORT") p.replyError(s.frame.seq, new FiscalError("NONCE_EXPIRED"));
        if (s.cmd === "GET_RECORD") p.reply(s.frame.seq, "GET_RECORD", sealed);
      });
      const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
      await vi.advanceTimersByTimeAsync(50);
      expect(await result).toEqual({ ok: true, value: sealed });
      expect(peer.requests().map((r) => r.cmd)).toEqual(["COMMIT", "ABORT", "GET_RECORD"]);
      await session.close();
    },
  );

  it.each([
    ["NONCE_MISMATCH", 113, { code: 113 }],
    ["a code this host does not know", 199, { errorName: "MESSAGE_INVALID", details: { deviceCode: 199 } }],
  ])("passes a COMMIT refusal the device answered (%s) through without recovery", async (_, code, shape) => {
    const { peer, session } = await setup((s, p) => {
      const error = { ok: false, error: { code, message: "refused" } };
      if (s.cmd === "COMMIT") rawReply(p, s.frame.seq, encodeCanonical(error));
    });
    const error = errorOf(await settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH })));
    expect(error).toMatchObject(shape);
    expect(error.details?.outcome).toBeUndefined();
    expect(peer.requests().map((r) => r.cmd)).toEqual(["COMMIT"]);
    await session.close();
  });

  it("fails DEVICE_BUSY without recovery when every transmission of a COMMIT was answered BUSY", async () => {
    const { peer, session } = await setup((s, p) => p.busy(s.frame.seq, 10), { maxBusyRetries: 2 });
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(errorOf(await result).errorName).toBe("DEVICE_BUSY");
    expect(peer.requests().map((r) => r.cmd)).toEqual(["COMMIT", "COMMIT", "COMMIT"]);
    await session.close();
  });

  it("resolves a COMMIT whose first transmission went unanswered even if BUSY answered the rest", async () => {
    const sealed = fakeSealedRecord(4);
    const { peer, session } = await setup(
      (s, p) => {
        // The first COMMIT may have executed (no answer); the device then stays busy with something.
        if (s.cmd === "COMMIT" && p.requests("COMMIT").length > 1) p.busy(s.frame.seq, 10);
        if (s.cmd === "ABORT") p.replyError(s.frame.seq, new FiscalError("NONCE_UNKNOWN"));
        if (s.cmd === "GET_RECORD") p.reply(s.frame.seq, "GET_RECORD", sealed);
      },
      { maxBusyRetries: 2 },
    );
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await result).toEqual({ ok: true, value: sealed });
    expect(
      peer
        .requests()
        .map((r) => r.cmd)
        .slice(-2),
    ).toEqual(["ABORT", "GET_RECORD"]);
    await session.close();
  });
});

describe("lost replies of commands that cannot seal", () => {
  const cases: [Command, ArgsOf<Command>][] = [
    ["PREPARE", { invoice: { any: "invoice" } }],
    ["ABORT", { nonce: NONCE }],
    ["TIME_SET", { now: 1_750_000_000_000 }],
    ["STATUS", {}],
  ];

  it.each(cases)("fails a %s with no reply after its last retransmission, unresolved", async (cmd, args) => {
    const { peer, session } = await setup(() => {});
    const call = track(session.request(cmd, args as never));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS - 1);
    expect(call.settled()).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(call.settled()).toBe(true);
    const error = errorOf(await call.result);
    expect(error.errorName).toBe("DEVICE_TIMEOUT");
    expect(error.details).toMatchObject({ command: cmd, resolved: false, cannot_seal: true });
    await vi.advanceTimersByTimeAsync(DEADLINE_MS);
    expect(peer.requests().map((r) => r.cmd)).toEqual(Array(1 + RETRANSMITS).fill(cmd));
    expect(new Set(peer.requests().map((r) => r.frame.seq)).size).toBe(1);
    await session.close();
  });

  it("fails a PREPARE at once with DEVICE_UNAVAILABLE when the link drops, and never re-sends it", async () => {
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "PREPARE") p.unplug();
    });
    const call = track(session.request("PREPARE", { invoice: { any: "invoice" } }));
    await vi.advanceTimersByTimeAsync(0);
    expect(call.settled()).toBe(true);
    const error = errorOf(await call.result);
    expect(error.errorName).toBe("DEVICE_UNAVAILABLE");
    expect(error.details).toMatchObject({ command: "PREPARE", resolved: false, cannot_seal: true });
    peer.present = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(session.linkState).toBe("up");
    expect(peer.requests("PREPARE")).toHaveLength(1);
    await session.close();
  });
});

describe("lost ACTIVATE replies", () => {
  it("resolves a lost ACTIVATE with INFO, and activates when the device is still unactivated", async () => {
    const activation = { bytes: new Uint8Array([1, 2, 3]), signature: new Uint8Array(64).fill(5) };
    const info: ResultOf<"INFO"> = {
      device_id: "DEF-0000TEST",
      model: "SCRIPTED",
      firmware: "0",
      protocol: 1,
      public_key: new Uint8Array(32),
      state: "UNACTIVATED",
      identity: null,
      activation: null,
      activation_bundle: null,
      tax_table: "RDC-2026.1",
      limits: {
        max_payload: 32_768,
        nonce_ttl_ms: 120_000,
        max_pending: 10,
        journal_capacity: 100,
        journal_page: 32,
      },
    };
    let activations = 0;
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "ACTIVATE" && ++activations > 1 + RETRANSMITS)
        p.reply(s.frame.seq, "ACTIVATE", { activation });
      if (s.cmd === "INFO") p.reply(s.frame.seq, "INFO", info);
    });
    const result = settle(session.request("ACTIVATE", { bundle: activation }));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS + 200);
    expect(await result).toEqual({ ok: true, value: { activation } });
    expect(
      peer
        .requests()
        .map((r) => r.cmd)
        .slice(-2),
    ).toEqual(["INFO", "ACTIVATE"]);
    await session.close();
  });
});

describe("lost Z_REPORT replies", () => {
  const argsOf = <C extends Command>(frame: { payload: Uint8Array }): ArgsOf<C> =>
    decodeRequest(frame.payload).args as ArgsOf<C>;
  const zReport = (number: number) => ({
    record: new Uint8Array([0xa0, number]),
    signature: new Uint8Array(64).fill(number),
  });

  it("settles a lost Z with GET_REPORT: the asked Z was made, so it is returned and never made again", async () => {
    const made = zReport(4);
    const { peer, session } = await setup((s, p) => {
      // The device made Z 4; its replies are lost (no answer to Z_REPORT at all).
      if (s.cmd === "GET_REPORT") {
        const args = argsOf<"GET_REPORT">(s.frame);
        p.reply(s.frame.seq, "GET_REPORT", {
          report: args.number === undefined || args.number === 4 ? made : zReport(3),
          last: 4,
        });
      }
    });
    const result = settle(session.request("Z_REPORT", { isf: "ISF-1", number: 4 }));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS + 200);
    expect(await result).toEqual({ ok: true, value: { report: made, closures: [] } });
    expect(peer.requests("Z_REPORT")).toHaveLength(1 + RETRANSMITS);
    expect(
      peer
        .requests()
        .map((r) => r.cmd)
        .slice(-2),
    ).toEqual(["GET_REPORT", "GET_REPORT"]);
    await session.close();
  });

  it("sends the same Z again when GET_REPORT shows it was not made (no Z yet: RECORD_NOT_FOUND)", async () => {
    const made = zReport(1);
    let zs = 0;
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "Z_REPORT" && ++zs > 1 + RETRANSMITS)
        p.reply(s.frame.seq, "Z_REPORT", { report: made, closures: [] });
      if (s.cmd === "GET_REPORT")
        p.replyError(s.frame.seq, new FiscalError("RECORD_NOT_FOUND", "no Z_REPORT yet"));
    });
    const result = settle(session.request("Z_REPORT", { isf: "ISF-1", number: 1 }));
    await vi.advanceTimersByTimeAsync(EXCHANGE_MS + 200);
    expect(await result).toEqual({ ok: true, value: { report: made, closures: [] } });
    const sent = peer.requests("Z_REPORT").map((r) => argsOf<"Z_REPORT">(r.frame).number);
    expect(new Set(sent)).toEqual(new Set([1]));
    expect(
      peer
        .requests()
        .map((r) => r.cmd)
        .slice(-2),
    ).toEqual(["GET_REPORT", "Z_REPORT"]);
    await session.close();
  });
});
