/**
 * DeviceSession against a scripted device with fake timers: retransmission with the same SEQ and bytes,
 * NAK, BUSY back-off, damaged and stale replies, the inter-byte timeout, the bounded queue and close().
 * The lost-reply rule is in lost-replies.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeFrame, encodeResult, FiscalError, FrameType } from "../../../protocol/index.js";
import { settle } from "../../support/settle.js";
import { CLOCK, HASH, NONCE, setup, TIMEOUT_MS } from "./session-harness.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("DeviceSession exchanges", () => {
  it("retransmits a timed-out request with the same SEQ and the same bytes", async () => {
    let seen = 0;
    const { peer, session } = await setup((s, p) => {
      if (s.cmd === "TIME_GET" && ++seen === 2) p.reply(s.frame.seq, "TIME_GET", CLOCK);
    });
    const result = settle(session.request("TIME_GET", {}));
    await vi.advanceTimersByTimeAsync(TIMEOUT_MS - 1);
    expect(peer.requests()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ ok: true, value: CLOCK });
    const [first, second] = peer.requests();
    expect(first!.frame.seq).toBe(100);
    expect(second!.bytes).toEqual(first!.bytes);
    expect(session.counters).toMatchObject({ timeouts: 1, retransmits: 1, framesSent: 2 });
    await session.close();
  });

  it("resends at once on a NAK and gives up with DEVICE_TIMEOUT when NAKs exhaust the budget", async () => {
    const { peer, session } = await setup((s, p) => p.nak(s.frame.seq));
    const result = await settle(session.request("TIME_GET", {}));
    expect(result.ok).toBe(false);
    expect((result as { error: FiscalError }).error.errorName).toBe("DEVICE_TIMEOUT");
    expect(peer.requests()).toHaveLength(3);
    expect(new Set(peer.requests().map((r) => r.frame.seq))).toEqual(new Set([100]));
    expect(session.counters).toMatchObject({ naksReceived: 3, retransmits: 2, timeouts: 0 });
    await session.close();
  });

  it("backs off for retry_after_ms after BUSY, then sends the same frame again", async () => {
    let busy = true;
    const { peer, session } = await setup((s, p) => {
      if (busy) p.busy(s.frame.seq, 250);
      else p.reply(s.frame.seq, "TIME_GET", CLOCK);
      busy = false;
    });
    const result = settle(session.request("TIME_GET", {}));
    await vi.advanceTimersByTimeAsync(249);
    expect(peer.requests()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toEqual({ ok: true, value: CLOCK });
    expect(peer.requests()[1]!.bytes).toEqual(peer.requests()[0]!.bytes);
    expect(session.counters).toMatchObject({ busy: 1, retransmits: 0 });
    await session.close();
  });

  it("NAKs a damaged reply and takes the device's replay", async () => {
    const { peer, session } = await setup((s, p) => {
      if (s.frame.type === FrameType.REQUEST) {
        const good = encodeFrame({
          type: FrameType.RESPONSE,
          seq: s.frame.seq,
          payload: encodeResult("TIME_GET", CLOCK),
        });
        const bad = good.slice();
        bad[12] = bad[12]! ^ 0x10; // a payload byte: the header survives, the frame CRC fails
        p.sendBytes(bad);
      } else if (s.frame.type === FrameType.NAK) {
        p.reply(s.frame.seq, "TIME_GET", CLOCK);
      }
    });
    expect(await settle(session.request("TIME_GET", {}))).toEqual({ ok: true, value: CLOCK });
    const naks = peer.sent.filter((s) => s.frame.type === FrameType.NAK);
    expect(naks.map((n) => n.frame.seq)).toEqual([100]);
    expect(session.counters).toMatchObject({ crcErrors: 1, naksSent: 1, timeouts: 0 });
    await session.close();
  });

  it("abandons a truncated frame after the inter-byte timeout so the next reply gets through", async () => {
    const { session, peer } = await setup((s, p) => {
      const reply = encodeFrame({
        type: FrameType.RESPONSE,
        seq: s.frame.seq,
        payload: encodeResult("TIME_GET", CLOCK),
      });
      p.sendBytes(reply.subarray(0, 12)); // the cable dropped the rest
      setTimeout(() => p.sendBytes(reply), 80);
    });
    const result = settle(session.request("TIME_GET", {}));
    await vi.advanceTimersByTimeAsync(90);
    expect(await result).toEqual({ ok: true, value: CLOCK });
    expect(peer.requests()).toHaveLength(1);
    expect(session.counters.truncatedFrames).toBe(1);
    await session.close();
  });

  it("ignores a reply for another SEQ", async () => {
    const { session } = await setup((s, p) => {
      p.reply(s.frame.seq + 7, "TIME_GET", { ...CLOCK, now: 1 });
      p.reply(s.frame.seq, "TIME_GET", CLOCK);
    });
    expect(await settle(session.request("TIME_GET", {}))).toEqual({ ok: true, value: CLOCK });
    expect(session.counters.staleFrames).toBe(1);
    await session.close();
  });

  it("passes the device's own error through with its code", async () => {
    const { session } = await setup((s, p) => p.replyError(s.frame.seq, new FiscalError("CLOCK_INVALID")));
    const result = await settle(session.request("TIME_GET", {}));
    expect((result as { error: FiscalError }).error.errorName).toBe("CLOCK_INVALID");
    await session.close();
  });
});

describe("DeviceSession queue and close", () => {
  it("serves callers in FIFO order and refuses one more than the queue holds", async () => {
    const { peer, session } = await setup(
      (s, p) => setTimeout(() => p.reply(s.frame.seq, "TIME_SET", { ...CLOCK, now: 0 }), 10),
      { maxQueuedRequests: 3 },
    );
    const order: number[] = [];
    const accepted = [1, 2, 3, 4].map((i) =>
      session.request("TIME_SET", { now: i }).then(() => order.push(i)),
    );
    const refused = await settle(session.request("TIME_SET", { now: 5 }));
    expect((refused as { error: FiscalError }).error.errorName).toBe("DEVICE_QUEUE_FULL");
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(accepted);
    expect(order).toEqual([1, 2, 3, 4]);
    const seqs = peer.requests().map((r) => r.frame.seq);
    expect(seqs).toEqual([100, 101, 102, 103]);
    expect(session.counters.queueRejected).toBe(1);
    await session.close();
  });

  it("close() rejects the request in flight and every waiter with DEVICE_UNAVAILABLE", async () => {
    const { session } = await setup(() => {});
    const all = [1, 2, 3].map((i) => settle(session.request("TIME_GET", {}).then(() => i)));
    await vi.advanceTimersByTimeAsync(10);
    await session.close();
    for (const result of await Promise.all(all)) {
      expect((result as { error: FiscalError }).error.errorName).toBe("DEVICE_UNAVAILABLE");
    }
    const after = await settle(session.request("TIME_GET", {}));
    expect((after as { error: FiscalError }).error.errorName).toBe("DEVICE_UNAVAILABLE");
  });

  it("close() during a lost-COMMIT resolution answers in-doubt instead of hanging", async () => {
    const { session } = await setup((s, p) => {
      if (s.cmd === "COMMIT") p.unplug();
    });
    const result = settle(session.request("COMMIT", { nonce: NONCE, payload_hash: HASH }));
    await vi.advanceTimersByTimeAsync(100);
    await session.close();
    const error = ((await result) as { error: FiscalError }).error;
    expect(error.details).toMatchObject({ outcome: "in-doubt" });
  });

  it("hands device events to listeners", async () => {
    const { peer, session } = await setup(() => {});
    const events: string[] = [];
    session.onEvent((e) => events.push(e.event));
    peer.boot();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(["BOOT"]);
    await session.close();
  });
});
