/**
 * Sync configuration. The DGI's MCF API, its authentication and its retry rules are unpublished
 * (seed 000_6b323b98522d8959), so every threshold is configuration with a documented default and
 * range (docs/CLOUD_API.md §Configuration), never a constant buried in code. The ranges below are the
 * one source of the `cloud` section of the daemon's config schema (daemon/config.ts).
 */
import Type from "typebox";
import { type FieldIssue, FiscalError } from "../../protocol/index.js";
import { compileChecker } from "../../protocol/schema-issues.js";

/** The sync agent's settings. */
export interface SyncConfig {
  /**
   * Base URL of the Stalela Cloud, e.g. `https://cloud.stalela.cd`. No default: without one nothing
   * is uploaded (CLOUD_NOT_CONFIGURED).
   */
  readonly endpoint?: string;
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

/** The numeric settings (every one but the endpoint). */
export type SyncTunable = Exclude<keyof SyncConfig, "endpoint">;

/** The defaults. There is no default endpoint: a production daemon must be told where its cloud is. */
export const DEFAULT_SYNC_CONFIG: SyncConfig = Object.freeze({
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
});

/** The allowed range of every numeric sync setting, inclusive (docs/CLOUD_API.md, packaging/daemon.env). */
export const SYNC_RANGES: Readonly<Record<SyncTunable, readonly [number, number]>> = {
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

/** The one setting that is a fraction; every other numeric setting is an integer. */
const FRACTIONS: ReadonlySet<SyncTunable> = new Set(["backoffJitter"]);

/** Environment variables of the sync settings, and the key each sets (daemon/config.ts reads them). */
export const SYNC_ENV_VARIABLES = {
  STALELA_CLOUD_URL: "endpoint",
  STALELA_SYNC_BATCH_SIZE: "batchSize",
  STALELA_SYNC_IN_FLIGHT: "inFlight",
  STALELA_SYNC_MAX_ATTEMPTS: "maxAttempts",
  STALELA_SYNC_BACKOFF_BASE_MS: "backoffBaseMs",
  STALELA_SYNC_BACKOFF_MAX_MS: "backoffMaxMs",
  STALELA_SYNC_BACKOFF_JITTER: "backoffJitter",
  STALELA_SYNC_REQUEST_TIMEOUT_MS: "requestTimeoutMs",
  STALELA_SYNC_POLL_MS: "pollIntervalMs",
  STALELA_SYNC_PENDING_WARN_MS: "pendingWarnMs",
  STALELA_SYNC_OFFLINE_WARN_DAYS: "offlineWarnDays",
} as const satisfies Record<string, keyof SyncConfig>;

/** Schema of the sync settings: integers (the jitter a number) within SYNC_RANGES, no other key. */
export const SyncConfigSchema = Type.Object(
  {
    endpoint: Type.Optional(
      Type.String({ minLength: 1, description: "base URL of the Stalela Cloud (https://…); no default" }),
    ),
    ...(Object.fromEntries(
      Object.entries(SYNC_RANGES).map(([key, [minimum, maximum]]) => [
        key,
        FRACTIONS.has(key as SyncTunable)
          ? Type.Number({ minimum, maximum })
          : Type.Integer({ minimum, maximum }),
      ]),
    ) as Record<SyncTunable, ReturnType<typeof Type.Number>>),
  },
  { additionalProperties: false },
);

const checker = compileChecker(SyncConfigSchema);

/**
 * The first of `issues` as a coded error: FIELD_UNKNOWN, FIELD_RANGE or FIELD_TYPE, its message naming
 * the setting as `name(path)` gives it; every issue rides in `details.issues`.
 */
export function configIssueError(issues: readonly FieldIssue[], name: (path: string) => string): FiscalError {
  const first = issues[0]!;
  const code = first.code === 304 ? "FIELD_UNKNOWN" : first.code === 303 ? "FIELD_RANGE" : "FIELD_TYPE";
  return new FiscalError(code, `configuration ${name(first.path)} ${first.message}`, { issues });
}

/** The cross-field rule of the sync settings, or null when they hold. */
export function syncConfigConflict(config: SyncConfig): string | null {
  if (config.backoffMaxMs < config.backoffBaseMs) return "backoffMaxMs must not be below backoffBaseMs";
  if (config.endpoint !== undefined && !/^https?:\/\/\S+$/.test(config.endpoint)) {
    return `endpoint must be an http(s) URL, got ${config.endpoint}`;
  }
  return null;
}

/**
 * Merges patches over the defaults and checks them with SyncConfigSchema. Throws FIELD_TYPE /
 * FIELD_RANGE / FIELD_UNKNOWN naming the key, before anything starts. Whether a plain-http endpoint is
 * allowed is the daemon config's rule (daemon/config.ts), which knows the development mode.
 */
export function resolveSyncConfig(...patches: Partial<SyncConfig>[]): SyncConfig {
  const config: Record<string, unknown> = { ...DEFAULT_SYNC_CONFIG };
  for (const patch of patches) {
    for (const [key, value] of Object.entries(patch)) if (value !== undefined) config[key] = value;
  }
  const issues = checker.issues(config);
  if (issues.length > 0) throw configIssueError(issues, (path) => `cloud${path.replaceAll("/", ".")}`);
  const resolved = config as unknown as SyncConfig;
  const conflict = syncConfigConflict(resolved);
  if (conflict !== null) {
    throw new FiscalError(
      conflict.startsWith("endpoint") ? "FIELD_TYPE" : "FIELD_RANGE",
      `configuration cloud.${conflict}`,
    );
  }
  return resolved;
}
