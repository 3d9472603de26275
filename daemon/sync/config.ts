/**
 * Sync configuration. The DGI's MCF API, its authentication and its retry rules are unpublished
 * (seed 000_6b323b98522d8959), so every threshold is configuration with a documented default and
 * range (docs/CLOUD_API.md §Configuration), never a constant buried in code.
 */
import { FiscalError } from "../../protocol/index.js";

/** The sync agent's settings. */
export interface SyncConfig {
  /** Base URL of the Stalela Cloud, e.g. `https://cloud.stalela.cd`. */
  readonly endpoint: string;
  /** Items per upload request, 1..1000. */
  readonly batchSize: number;
  /** First retry delay after a failed attempt, in ms (100..600,000). */
  readonly backoffBaseMs: number;
  /** Ceiling of the retry delay, in ms (1,000..86,400,000). */
  readonly backoffMaxMs: number;
  /** Share of each delay that is randomised (0..1): 0.5 means a delay in [d/2, d]. */
  readonly backoffJitter: number;
  /** Attempts the cloud answers with an error before an invoice is FAILED (1..1000). */
  readonly maxAttempts: number;
  /** Upload requests open at once (1..8): the next batch travels while the cloud checks one. */
  readonly inFlight: number;
  /** Timeout of one HTTP request to the cloud, in ms (1,000..600,000). */
  readonly requestTimeoutMs: number;
  /** How often an idle agent looks for new invoices, in ms (50..600,000). */
  readonly pollIntervalMs: number;
  /** Status warns when an invoice has waited longer than this for its ack, in ms. */
  readonly pendingWarnMs: number;
  /** Status warns after this many days without a successful cloud contact (1..365). */
  readonly offlineWarnDays: number;
}

/** The defaults: they work against `stalela cloud-emulator` on its default port. */
export const DEFAULT_SYNC_CONFIG: SyncConfig = {
  endpoint: "http://127.0.0.1:8780",
  batchSize: 100,
  inFlight: 3,
  backoffBaseMs: 1_000,
  backoffMaxMs: 300_000,
  backoffJitter: 0.5,
  maxAttempts: 10,
  requestTimeoutMs: 15_000,
  pollIntervalMs: 1_000,
  pendingWarnMs: 3_600_000,
  offlineWarnDays: 7,
};

/** The allowed range of every numeric sync setting, inclusive (docs/CLOUD_API.md, packaging/daemon.env). */
export const SYNC_RANGES: Readonly<Record<Exclude<keyof SyncConfig, "endpoint">, readonly [number, number]>> =
  {
    batchSize: [1, 1_000],
    inFlight: [1, 8],
    backoffBaseMs: [100, 600_000],
    backoffMaxMs: [1_000, 86_400_000],
    backoffJitter: [0, 1],
    maxAttempts: [1, 1_000],
    requestTimeoutMs: [1_000, 600_000],
    pollIntervalMs: [50, 600_000],
    pendingWarnMs: [60_000, 30 * 86_400_000],
    offlineWarnDays: [1, 365],
  };

/** Environment variables read by `syncConfigFromEnv`, and the key each sets. */
export const SYNC_ENV_VARIABLES = {
  STALELA_CLOUD_URL: "endpoint",
  STALELA_SYNC_BATCH_SIZE: "batchSize",
  STALELA_SYNC_IN_FLIGHT: "inFlight",
  STALELA_SYNC_MAX_ATTEMPTS: "maxAttempts",
  STALELA_SYNC_BACKOFF_BASE_MS: "backoffBaseMs",
  STALELA_SYNC_BACKOFF_MAX_MS: "backoffMaxMs",
  STALELA_SYNC_POLL_MS: "pollIntervalMs",
  STALELA_SYNC_PENDING_WARN_MS: "pendingWarnMs",
  STALELA_SYNC_OFFLINE_WARN_DAYS: "offlineWarnDays",
} as const;

/** Reads the environment's part of the sync configuration. */
export function syncConfigFromEnv(env: NodeJS.ProcessEnv): Partial<SyncConfig> {
  const patch: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(SYNC_ENV_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== "") patch[key] = key === "endpoint" ? value : Number(value);
  }
  return patch as Partial<SyncConfig>;
}

/**
 * Merges patches over the defaults and checks every value. Throws FIELD_TYPE / FIELD_RANGE /
 * FIELD_UNKNOWN naming the key, before anything starts.
 */
export function resolveSyncConfig(...patches: Partial<SyncConfig>[]): SyncConfig {
  const config: Record<string, unknown> = { ...DEFAULT_SYNC_CONFIG };
  for (const patch of patches) {
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) config[key] = value;
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === "endpoint") {
      if (typeof value !== "string" || !/^https?:\/\/[^\s]+$/.test(value)) {
        throw new FiscalError("FIELD_TYPE", `sync.endpoint must be an http(s) URL, got ${String(value)}`);
      }
      continue;
    }
    const range = SYNC_RANGES[key as keyof typeof SYNC_RANGES];
    if (range === undefined) throw new FiscalError("FIELD_UNKNOWN", `sync.${key} is not a sync setting`);
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new FiscalError("FIELD_TYPE", `sync.${key} must be a number`);
    }
    if (value < range[0] || value > range[1]) {
      throw new FiscalError(
        "FIELD_RANGE",
        `sync.${key} must be from ${range[0]} to ${range[1]}, got ${value}`,
      );
    }
  }
  const resolved = config as unknown as SyncConfig;
  if (resolved.backoffMaxMs < resolved.backoffBaseMs) {
    throw new FiscalError("FIELD_RANGE", "sync.backoffMaxMs must not be below sync.backoffBaseMs");
  }
  return resolved;
}
