/**
 * Shared set-up of the DeviceSession suites: a session on a MemoryTransport whose far end is a
 * ScriptedPeer, with short timings (run under fake timers), and a helper that settles a promise into a
 * value so an early rejection is never unhandled.
 */
import { DeviceSession, type DeviceSessionConfig } from "../../../daemon/device/index.js";
import { MemoryTransport } from "../../../daemon/transport/index.js";
import type { ResultOf } from "../../../protocol/index.js";
import { type Script, ScriptedPeer } from "./scripted-peer.js";

/** A valid TIME_GET result. */
export const CLOCK: ResultOf<"TIME_GET"> = { now: 1_750_000_000_000, offset_ms: 0, valid: true };
/** A nonce and a payload hash of the right sizes. */
export const NONCE = new Uint8Array(16).fill(7);
export const HASH = new Uint8Array(32).fill(9);
/** The suites' reply timeout, in ms. */
export const TIMEOUT_MS = 100;
/** The suites' retransmissions per exchange. */
export const RETRANSMITS = 2;
/** The suites' resolve deadline, in ms. */
export const DEADLINE_MS = 5_000;

/** Starts a session against a scripted device; the first SEQ is 100. */
export async function setup(script: Script, config: Partial<DeviceSessionConfig> = {}) {
  const peer = new ScriptedPeer(script);
  const session = new DeviceSession({
    transport: new MemoryTransport(peer, "memory:scripted"),
    config: {
      replyTimeoutMs: TIMEOUT_MS,
      maxRetransmits: RETRANSMITS,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 400,
      resolveDeadlineMs: DEADLINE_MS,
      resolveRetryDelayMs: 10,
      ...config,
    },
    initialSeq: () => 100,
  });
  await session.start();
  return { peer, session };
}
