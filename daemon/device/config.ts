/**
 * Every timeout and limit of the device session: a named constant with its unit, its documented range
 * (docs/DEVICE_LINK.md §Tuning), and the validated configuration built from them.
 */
import { RECONNECT_INITIAL_DELAY_MS, RECONNECT_MAX_DELAY_MS } from "../transport/link.js";

/** How long to wait for a reply before retransmitting the same frame, in ms. */
export const REPLY_TIMEOUT_MS = 1_000;
/**
 * Retransmissions of one frame (same SEQ, same bytes) after a timeout, a NAK or a garbled frame, before
 * the exchange fails (PROTOCOL.md §4 recommends 3).
 */
export const MAX_RETRANSMITS = 3;
/** BUSY answers one request may get before it fails with DEVICE_BUSY. */
export const MAX_BUSY_RETRIES = 20;
/** Shortest back-off after BUSY, in ms (the device's `retry_after_ms` wins when longer). */
export const BUSY_BACKOFF_MIN_MS = 10;
/** Longest back-off after BUSY, in ms, whatever the device asks for. */
export const BUSY_BACKOFF_MAX_MS = 1_000;
/** Line silence after which a partial frame is abandoned (`FrameParser.expirePartial()`), in ms. */
export const INTER_BYTE_TIMEOUT_MS = 50;
/** Requests that may wait behind the one in flight; one more is refused with DEVICE_QUEUE_FULL. */
export const MAX_QUEUED_REQUESTS = 64;
/**
 * How long a lost COMMIT or ACTIVATE reply may take to resolve (waiting for the device to come back,
 * then ABORT + GET_RECORD, or INFO), in ms, counted from the failed exchange. Strict: at the deadline a
 * recovery exchange in flight is abandoned and the caller gets DEVICE_UNAVAILABLE, outcome "in-doubt".
 * Other commands are never resolved (docs/DEVICE_LINK.md §5).
 */
export const RESOLVE_DEADLINE_MS = 60_000;
/** Pause between two resolution attempts on a link that is up but not answering, in ms. */
export const RESOLVE_RETRY_DELAY_MS = 200;

/** The session's tunables; every field has the default above. */
export interface DeviceSessionConfig {
  readonly replyTimeoutMs: number;
  readonly maxRetransmits: number;
  readonly maxBusyRetries: number;
  readonly busyBackoffMinMs: number;
  readonly busyBackoffMaxMs: number;
  readonly interByteTimeoutMs: number;
  readonly maxQueuedRequests: number;
  readonly resolveDeadlineMs: number;
  readonly resolveRetryDelayMs: number;
  readonly reconnectInitialDelayMs: number;
  readonly reconnectMaxDelayMs: number;
}

/** Inclusive range of each tunable, checked by `resolveSessionConfig`. */
export const SESSION_CONFIG_BOUNDS = {
  replyTimeoutMs: [10, 60_000],
  maxRetransmits: [0, 20],
  maxBusyRetries: [0, 1_000],
  busyBackoffMinMs: [0, 10_000],
  busyBackoffMaxMs: [1, 60_000],
  interByteTimeoutMs: [5, 5_000],
  maxQueuedRequests: [1, 10_000],
  resolveDeadlineMs: [100, 3_600_000],
  resolveRetryDelayMs: [0, 60_000],
  reconnectInitialDelayMs: [10, 60_000],
  reconnectMaxDelayMs: [100, 300_000],
} as const satisfies Record<keyof DeviceSessionConfig, readonly [number, number]>;

/** The defaults, as one object. */
export const DEFAULT_SESSION_CONFIG: DeviceSessionConfig = Object.freeze({
  replyTimeoutMs: REPLY_TIMEOUT_MS,
  maxRetransmits: MAX_RETRANSMITS,
  maxBusyRetries: MAX_BUSY_RETRIES,
  busyBackoffMinMs: BUSY_BACKOFF_MIN_MS,
  busyBackoffMaxMs: BUSY_BACKOFF_MAX_MS,
  interByteTimeoutMs: INTER_BYTE_TIMEOUT_MS,
  maxQueuedRequests: MAX_QUEUED_REQUESTS,
  resolveDeadlineMs: RESOLVE_DEADLINE_MS,
  resolveRetryDelayMs: RESOLVE_RETRY_DELAY_MS,
  reconnectInitialDelayMs: RECONNECT_INITIAL_DELAY_MS,
  reconnectMaxDelayMs: RECONNECT_MAX_DELAY_MS,
});

/** Fills in defaults and checks every range; throws a RangeError naming the bad tunable. */
export function resolveSessionConfig(partial: Partial<DeviceSessionConfig> = {}): DeviceSessionConfig {
  const config = { ...DEFAULT_SESSION_CONFIG, ...partial };
  for (const [name, [min, max]] of Object.entries(SESSION_CONFIG_BOUNDS)) {
    const value = config[name as keyof DeviceSessionConfig];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  }
  if (config.busyBackoffMinMs > config.busyBackoffMaxMs) {
    throw new RangeError("busyBackoffMinMs must not exceed busyBackoffMaxMs");
  }
  if (config.reconnectInitialDelayMs > config.reconnectMaxDelayMs) {
    throw new RangeError("reconnectInitialDelayMs must not exceed reconnectMaxDelayMs");
  }
  return config;
}
