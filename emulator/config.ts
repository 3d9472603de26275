/**
 * The emulated DEF's limits and tunables, each a named constant with its unit, and the validated
 * configuration a device is started with. Operators tune them with the `stalela emulator` flags.
 */
import { EMULATOR_MODELS } from "../protocol/index.js";

/** How long a PREPARE nonce stays valid, in ms (flag `--nonce-ttl-ms`, range 1 ms … 1 h). */
export const NONCE_TTL_MS = 120_000;
/**
 * How long the device remembers a nonce after it expired, so COMMIT and ABORT answer NONCE_EXPIRED
 * rather than NONCE_UNKNOWN, in ms (PROTOCOL.md §10.2; fixed, not a tunable).
 */
export const EXPIRED_NONCE_MEMORY_MS = 10 * 60_000;
/**
 * Most expired nonces remembered at once (PROTOCOL.md §10.2): 256 × (16-byte nonce + 8-byte time) is
 * about 6 KiB of RAM. With the defaults at most 10 × (600 s / 120 s + 1) = 60 nonces can expire within
 * EXPIRED_NONCE_MEMORY_MS, so this bound only bites with a much shorter TTL or a higher pending cap.
 */
export const EXPIRED_NONCE_MEMORY = 256;
/** Most PREPAREs pending at once (flag `--max-pending`, range 1 … 1000). */
export const MAX_PENDING = 10;
/** Records the fiscal memory holds (flag `--journal-capacity`, range 1 … 100,000,000). */
export const JOURNAL_CAPACITY = 1_000_000;
/** Share of the journal, in percent, from which STATUS warns JOURNAL_NEARLY_FULL. */
export const JOURNAL_WARN_PERCENT = 90;
/** Largest step TIME_SET may move the clock of an activated device, in ms (flag `--max-time-adjust-ms`). */
export const MAX_TIME_ADJUST_MS = 15 * 60_000;
/** Earliest device time accepted or considered valid, in ms since the epoch (2024-01-01T00:00:00Z). */
export const MIN_DEVICE_TIME_MS = Date.UTC(2024, 0, 1);
/** Line silence after which a partial frame is abandoned, in ms. */
export const INTER_BYTE_TIMEOUT_MS = 50;
/** Records SELF_TEST re-verifies (signatures and chain), newest first. */
export const SELF_TEST_RECORDS = 100;
/** The retry delay a BUSY frame suggests when no reply delay is configured, in ms. */
export const BUSY_RETRY_AFTER_MS = 20;
/** The model name INFO reports: the emulator's, which a production daemon refuses. */
export const DEVICE_MODEL: string = EMULATOR_MODELS[0]!;
/** The firmware version INFO reports. */
export const FIRMWARE_VERSION = "emu-0.1.0";

/** Tunables of one emulated device. */
export interface DeviceConfig {
  /** PREPARE nonce lifetime, in ms. */
  readonly nonceTtlMs: number;
  /** Most pending PREPAREs. */
  readonly maxPending: number;
  /** Records the fiscal memory holds. */
  readonly journalCapacity: number;
  /** Largest TIME_SET step once activated, in ms. */
  readonly maxTimeAdjustMs: number;
  /** The Stalela Cloud root public key to trust; the stored one (or the development key) when undefined. */
  readonly cloudRootKey?: Uint8Array;
  /** The raw clock, ms since the epoch; `Date.now` unless a test injects one. */
  readonly systemNow: () => number;
}

/** Inclusive bounds of each numeric tunable, checked at start. */
export const CONFIG_BOUNDS = {
  nonceTtlMs: [1, 3_600_000],
  maxPending: [1, 1000],
  journalCapacity: [1, 100_000_000],
  maxTimeAdjustMs: [0, 31 * 24 * 3_600_000],
} as const satisfies Record<string, readonly [number, number]>;

/** Fills defaults in and checks every bound; throws a RangeError naming the bad tunable. */
export function resolveDeviceConfig(partial: Partial<DeviceConfig> = {}): DeviceConfig {
  const config: DeviceConfig = {
    nonceTtlMs: partial.nonceTtlMs ?? NONCE_TTL_MS,
    maxPending: partial.maxPending ?? MAX_PENDING,
    journalCapacity: partial.journalCapacity ?? JOURNAL_CAPACITY,
    maxTimeAdjustMs: partial.maxTimeAdjustMs ?? MAX_TIME_ADJUST_MS,
    cloudRootKey: partial.cloudRootKey,
    systemNow: partial.systemNow ?? Date.now,
  };
  for (const [name, [min, max]] of Object.entries(CONFIG_BOUNDS)) {
    const value = config[name as keyof typeof CONFIG_BOUNDS];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  }
  if (config.cloudRootKey !== undefined && config.cloudRootKey.length !== 32) {
    throw new RangeError("the cloud root key is a 32-byte Ed25519 public key");
  }
  return config;
}
