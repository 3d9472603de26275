/**
 * Daemon configuration from, in rising precedence: built-in defaults, a JSON file, STALELA_*
 * environment variables, command-line flags. Validated with one schema; a bad value is a coded error
 * naming the field, before anything starts. Defaults work out of the box against the emulator.
 */
import { readFileSync } from "node:fs";
import Type, { type Static } from "typebox";
import { FiscalError } from "../protocol/index.js";
import { compileChecker } from "../protocol/schema-issues.js";
import { type SyncConfig, syncConfigFromEnv } from "./sync/config.js";

/** The default device: the emulator's virtual serial port (`stalela emulator`). */
export const DEFAULT_DEVICE_URI = "serial:/tmp/stalela-def";
/** The default POS API port on 127.0.0.1. */
export const DEFAULT_HTTP_PORT = 8765;
/** How often the daemon refreshes the device status it reports, in ms. */
export const STATUS_POLL_MS = 2_000;
/** Longest a POS request waits for the device, in ms (docs/API.md §8): the answer is then 504. */
export const REQUEST_BOUND_MS = 15_000;
/** Range of `requestBoundMs`: above the device's own retransmission budget, below a POS's patience. */
export const REQUEST_BOUND_RANGE: readonly [number, number] = [2_000, 120_000];
/** Device clock drift from the host clock above which status warns, in ms. */
export const CLOCK_SKEW_WARN_MS = 5 * 60_000;

/** Schema of the whole configuration. */
export const ConfigSchema = Type.Object(
  {
    device: Type.String({
      minLength: 1,
      description: "device URI: serial:PATH, hid:VID:PID, usb:VID:PID, tcp:HOST:PORT, auto",
    }),
    stateDir: Type.String({ minLength: 1, description: "directory of the SQLite store" }),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65_535 }),
        allowedHosts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024 }),
      },
      { additionalProperties: false },
    ),
    logLevel: Type.Enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    statusPollMs: Type.Integer({ minimum: 1000, maximum: 3_600_000 }),
    clockSkewWarnMs: Type.Integer({ minimum: 1000, maximum: 86_400_000 }),
    requestBoundMs: Type.Integer({
      minimum: REQUEST_BOUND_RANGE[0],
      maximum: REQUEST_BOUND_RANGE[1],
      description: "longest a POS request waits for the device before 504 DEVICE_TIMEOUT, in ms",
    }),
    cloud: Type.Object(
      {},
      { additionalProperties: true, description: "sync settings: see daemon/sync/config.ts" },
    ),
  },
  { additionalProperties: false },
);
/** The daemon's configuration; `cloud` is validated by the sync agent (resolveSyncConfig). */
export type DaemonConfig = Omit<Static<typeof ConfigSchema>, "cloud"> & { cloud: Partial<SyncConfig> };

/** The built-in defaults. */
export function defaultConfig(): DaemonConfig {
  return {
    device: DEFAULT_DEVICE_URI,
    stateDir: "./.state/daemon",
    http: {
      host: "127.0.0.1",
      port: DEFAULT_HTTP_PORT,
      allowedHosts: ["127.0.0.1", "localhost", "[::1]"],
      bodyLimitBytes: 256 * 1024,
    },
    logLevel: "info",
    statusPollMs: STATUS_POLL_MS,
    clockSkewWarnMs: CLOCK_SKEW_WARN_MS,
    requestBoundMs: REQUEST_BOUND_MS,
    cloud: {},
  };
}

/** A partial configuration, as a file or flags give it. */
export type ConfigPatch = Partial<Omit<DaemonConfig, "http" | "cloud">> & {
  http?: Partial<DaemonConfig["http"]>;
  cloud?: Partial<SyncConfig>;
};

const checker = compileChecker(ConfigSchema);

/** Environment variables read, and where they go. */
export const ENV_VARIABLES = {
  STALELA_DEVICE: "device",
  STALELA_STATE_DIR: "stateDir",
  STALELA_HTTP_PORT: "http.port",
  STALELA_HTTP_HOST: "http.host",
  STALELA_LOG_LEVEL: "logLevel",
  STALELA_REQUEST_BOUND_MS: "requestBoundMs",
} as const;

/** Reads the environment's part of the configuration. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigPatch {
  const patch: ConfigPatch = {};
  const http: Partial<DaemonConfig["http"]> = {};
  if (env.STALELA_DEVICE) patch.device = env.STALELA_DEVICE;
  if (env.STALELA_STATE_DIR) patch.stateDir = env.STALELA_STATE_DIR;
  if (env.STALELA_LOG_LEVEL) patch.logLevel = env.STALELA_LOG_LEVEL as DaemonConfig["logLevel"];
  if (env.STALELA_REQUEST_BOUND_MS) patch.requestBoundMs = Number(env.STALELA_REQUEST_BOUND_MS);
  if (env.STALELA_HTTP_HOST) http.host = env.STALELA_HTTP_HOST;
  if (env.STALELA_HTTP_PORT) http.port = Number(env.STALELA_HTTP_PORT);
  if (Object.keys(http).length > 0) patch.http = http;
  const cloud = syncConfigFromEnv(env);
  if (Object.keys(cloud).length > 0) patch.cloud = cloud;
  return patch;
}

/** Reads a JSON configuration file; a missing or malformed file is a coded error. */
export function configFromFile(path: string): ConfigPatch {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FiscalError(
      "FIELD_REQUIRED",
      `cannot read the configuration file ${path}: ${(err as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as ConfigPatch;
  } catch (err) {
    throw new FiscalError(
      "FIELD_TYPE",
      `the configuration file ${path} is not JSON: ${(err as Error).message}`,
    );
  }
}

/** Merges patches over the defaults and validates. Throws FIELD_* errors with the offending path. */
export function resolveConfig(...patches: ConfigPatch[]): DaemonConfig {
  let config: Record<string, unknown> = { ...defaultConfig() };
  for (const patch of patches) {
    const { http, ...rest } = patch;
    config = {
      ...config,
      ...stripUndefined(rest),
      http: { ...(config.http as object), ...stripUndefined(http ?? {}) },
    };
  }
  const issues = checker.issues(config);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new FiscalError(
      first.code === 304 ? "FIELD_UNKNOWN" : first.code === 303 ? "FIELD_RANGE" : "FIELD_TYPE",
      `configuration ${first.path} ${first.message}`,
      { issues },
    );
  }
  return config as unknown as DaemonConfig;
}

function stripUndefined(o: object): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
