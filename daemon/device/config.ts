/**
 * Every timeout and limit of the device session: a named constant with its unit, its documented range
 * (docs/DEVICE_LINK.md §Tuning), and the validated configuration built from them.
 */
import Type from "typebox";
import { compileChecker } from "../../protocol/schema-issues.js";
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

/**
 * Schema of the tunables: each an integer within SESSION_CONFIG_BOUNDS. The daemon's config schema
 * (daemon/config.ts) uses these properties for its `device` section, so the ranges live here only.
 */
export const SESSION_CONFIG_PROPERTIES = Object.fromEntries(
  Object.entries(SESSION_CONFIG_BOUNDS).map(([name, [minimum, maximum]]) => [
    name,
    Type.Integer({ minimum, maximum }),
  ]),
) as Record<keyof DeviceSessionConfig, ReturnType<typeof Type.Integer>>;

const checker = compileChecker(Type.Object(SESSION_CONFIG_PROPERTIES, { additionalProperties: false }));

/** The cross-field rules of the tunables, or null when they hold. */
export function sessionConfigConflict(config: DeviceSessionConfig): string | null {
  if (config.busyBackoffMinMs > config.busyBackoffMaxMs) {
    return "busyBackoffMinMs must not exceed busyBackoffMaxMs";
  }
  if (config.reconnectInitialDelayMs > config.reconnectMaxDelayMs) {
    return "reconnectInitialDelayMs must not exceed reconnectMaxDelayMs";
  }
  return null;
}

/** Fills in defaults and checks every range; throws a RangeError naming the bad tunable. */
export function resolveSessionConfig(partial: Partial<DeviceSessionConfig> = {}): DeviceSessionConfig {
  const config: DeviceSessionConfig = { ...DEFAULT_SESSION_CONFIG, ...partial };
  const issue = checker.issues(config)[0];
  if (issue !== undefined) {
    const name = issue.path.slice(1);
    const bounds = SESSION_CONFIG_BOUNDS[name as keyof DeviceSessionConfig];
    const range = bounds === undefined ? "" : ` (an integer from ${bounds[0]} to ${bounds[1]})`;
    throw new RangeError(
      `${name} ${issue.message}${range}, got ${String(config[name as keyof DeviceSessionConfig])}`,
    );
  }
  const conflict = sessionConfigConflict(config);
  if (conflict !== null) throw new RangeError(conflict);
  return config;
}

/**
 * The `device` section of the daemon's configuration: which DEF (a URI, docs/DEVICE_LINK.md §Addresses),
 * the USB ids `auto` looks for (`VID:PID` in hex), and the session's tunables.
 */
export interface DeviceSettings extends DeviceSessionConfig {
  readonly uri: string;
  readonly usbIds: readonly string[];
}

/** The tunables of a `device` section, without its uri and usbIds. */
export function sessionConfigOf(settings: DeviceSettings): DeviceSessionConfig {
  const picked: Record<string, number> = {};
  for (const name of Object.keys(SESSION_CONFIG_BOUNDS)) {
    picked[name] = settings[name as keyof DeviceSessionConfig];
  }
  return picked as unknown as DeviceSessionConfig;
}
