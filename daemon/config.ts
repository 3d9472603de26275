/**
 * Daemon configuration from, in rising precedence: built-in defaults, a JSON file, STALELA_*
 * environment variables, command-line flags. Every source is deep-merged into one object, checked by
 * one typebox schema (integers within their ranges, no unknown key), then by the cross-field rules
 * (CONFIG_INSECURE: plain-http cloud outside development mode, a non-loopback listen not allowed).
 * A bad value is a coded error naming the setting and where it came from, before anything starts.
 * Every value remembers its source ("default", "file:PATH", "env:NAME", "flag:--name") for
 * `stalela config check`.
 */

import Type from "typebox";
import { DEFAULT_TIME_ZONE, isTimeZone } from "../protocol/i18n/time.js";
import { type FieldIssue, FiscalError, ID_PATTERN, isFiscalError } from "../protocol/index.js";
import { compileChecker } from "../protocol/schema-issues.js";
import { type ConfigLayer, isConfigSection } from "./config-sources.js";
import {
  DEFAULT_SESSION_CONFIG,
  type DeviceSettings,
  SESSION_CONFIG_PROPERTIES,
  sessionConfigConflict,
} from "./device/config.js";
import { defaultSfeConfig, type SfeConfig, SfeConfigSchema } from "./fiscal/sfe.js";
import { CLOSING_TIME_PATTERN, type DaySettings, DEFAULT_DAY_SETTINGS } from "./reports/closing.js";
import { checkCloudEndpoint, isLoopbackHost } from "./sync/client.js";
import {
  configIssueError,
  DEFAULT_SYNC_CONFIG,
  type SyncConfig,
  SyncConfigSchema,
  syncConfigConflict,
} from "./sync/config.js";
import { parseDeviceAddress } from "./transport/address.js";
import { DEFAULT_DEF_USB_IDS, formatUsbId, USB_ID_PATTERN } from "./transport/usb-ids.js";

export {
  type ConfigLayer,
  configFromEnv,
  configFromFile,
  ENV_VARIABLES,
  type EnvKind,
} from "./config-sources.js";

/**
 * The default device: USB discovery of the DEF by VID:PID. Never a path any local user could create
 * (the packaged unit sets serial:/dev/stalela-def, the udev rule's link).
 */
export const DEFAULT_DEVICE_URI = "auto";
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
/** The form of `trust.cloudRootKey`: an Ed25519 public key, 32 bytes in hex. */
export const CLOUD_ROOT_KEY_PATTERN = "^[0-9a-fA-F]{64}$";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Schema of the whole configuration. */
export const ConfigSchema = Type.Object(
  {
    device: Type.Object(
      {
        uri: Type.String({
          minLength: 1,
          description: "device URI: serial:PATH, hid:VID:PID, usb:VID:PID, tcp:HOST:PORT, auto",
        }),
        usbIds: Type.Array(Type.String({ pattern: USB_ID_PATTERN }), {
          minItems: 1,
          maxItems: 16,
          description: "VID:PID (hex) list `auto` discovery searches",
        }),
        ...SESSION_CONFIG_PROPERTIES,
      },
      { additionalProperties: false },
    ),
    stateDir: Type.String({ minLength: 1, description: "directory of the SQLite store" }),
    http: Type.Object(
      {
        host: Type.String({ minLength: 1 }),
        port: Type.Integer({ minimum: 0, maximum: 65_535 }),
        allowedHosts: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        bodyLimitBytes: Type.Integer({ minimum: 1024, maximum: 16 * 1024 * 1024 }),
        allowNonLoopback: Type.Boolean({ description: "let http.host be a non-loopback address" }),
      },
      { additionalProperties: false },
    ),
    metrics: Type.Object(
      { requireKey: Type.Boolean({ description: "/metrics asks for a Bearer API key" }) },
      { additionalProperties: false },
    ),
    logLevel: Type.Enum([...LOG_LEVELS]),
    statusPollMs: Type.Integer({ minimum: 1000, maximum: 3_600_000 }),
    clockSkewWarnMs: Type.Integer({ minimum: 1000, maximum: 86_400_000 }),
    requestBoundMs: Type.Integer({
      minimum: REQUEST_BOUND_RANGE[0],
      maximum: REQUEST_BOUND_RANGE[1],
      description: "longest a POS request waits for the device before 504 DEVICE_TIMEOUT, in ms",
    }),
    cloud: SyncConfigSchema,
    trust: Type.Object(
      {
        allowEmulator: Type.Boolean({ description: "development mode: emulator, dev root, http loopback" }),
        cloudRootKey: Type.Optional(Type.String({ pattern: CLOUD_ROOT_KEY_PATTERN })),
      },
      { additionalProperties: false },
    ),
    merchant: Type.Object(
      {
        nif: Type.Optional(Type.String({ pattern: ID_PATTERN })),
        outletId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
      },
      { additionalProperties: false },
    ),
    sfe: SfeConfigSchema,
    locale: Type.Object(
      {
        timeZone: Type.String({
          minLength: 1,
          maxLength: 64,
          description: "the shop's IANA time zone: Africa/Kinshasa (UTC+1) or Africa/Lubumbashi (UTC+2)",
        }),
      },
      { additionalProperties: false },
    ),
    day: Type.Object(
      {
        closingTime: Type.String({
          pattern: CLOSING_TIME_PATTERN,
          description: "when the fiscal day closes, HH:MM in the shop's time zone",
        }),
        autoClose: Type.Boolean({ description: "make the Z report at the closing time" }),
        errorAfterHours: Type.Integer({
          minimum: 1,
          maximum: 720,
          description: "hours after the closing time from which an unclosed day is an error condition",
        }),
        refuseSalesAfterHours: Type.Integer({
          minimum: 0,
          maximum: 720,
          description: "hours after the closing time from which new sales are refused until the Z; 0: never",
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** The POS API's listening settings. */
export interface HttpSettings {
  host: string;
  port: number;
  allowedHosts: string[];
  bodyLimitBytes: number;
  /** A non-loopback `host` is refused (CONFIG_INSECURE) unless this is true; then it is a warning. */
  allowNonLoopback: boolean;
}

/** What the daemon trusts (docs/SECURITY.md). */
export interface TrustSettings {
  /** The one development mode: emulator models, the development cloud root, http to loopback. */
  allowEmulator: boolean;
  /** The pinned production cloud root Ed25519 public key, hex (a packaging setting). */
  cloudRootKey?: string;
}

/** Who the bound device's activation must name. */
export interface MerchantSettings {
  nif?: string;
  outletId?: string;
}

/** The daemon's configuration, every section complete. */
export interface DaemonConfig {
  device: DeviceSettings;
  stateDir: string;
  http: HttpSettings;
  metrics: { requireKey: boolean };
  logLevel: LogLevel;
  statusPollMs: number;
  clockSkewWarnMs: number;
  requestBoundMs: number;
  cloud: SyncConfig;
  trust: TrustSettings;
  merchant: MerchantSettings;
  /** The SFE identity version-2 invoices carry (daemon/fiscal/sfe.ts). */
  sfe: SfeConfig;
  /** How times read for people: receipts, reports, the console (protocol/i18n/time.ts). */
  locale: { timeZone: string };
  /** The fiscal day's closing rules (daemon/reports/closing.ts). */
  day: DaySettings;
}

/** A partial configuration, as a file, the environment or flags give it: any section in part. */
export type ConfigPatch = {
  [K in keyof DaemonConfig]?: DaemonConfig[K] extends object ? Partial<DaemonConfig[K]> : DaemonConfig[K];
};

/** The built-in defaults. There is no cloud endpoint, no root key and no merchant by default. */
export function defaultConfig(): DaemonConfig {
  return {
    device: {
      uri: DEFAULT_DEVICE_URI,
      usbIds: DEFAULT_DEF_USB_IDS.map(formatUsbId),
      ...DEFAULT_SESSION_CONFIG,
    },
    stateDir: "./.state/daemon",
    http: {
      host: "127.0.0.1",
      port: DEFAULT_HTTP_PORT,
      allowedHosts: ["127.0.0.1", "localhost", "[::1]"],
      bodyLimitBytes: 256 * 1024,
      allowNonLoopback: false,
    },
    metrics: { requireKey: false },
    logLevel: "info",
    statusPollMs: STATUS_POLL_MS,
    clockSkewWarnMs: CLOCK_SKEW_WARN_MS,
    requestBoundMs: REQUEST_BOUND_MS,
    cloud: { ...DEFAULT_SYNC_CONFIG },
    trust: { allowEmulator: false },
    merchant: {},
    sfe: defaultSfeConfig(),
    locale: { timeZone: DEFAULT_TIME_ZONE },
    day: { ...DEFAULT_DAY_SETTINGS },
  };
}

/** A validated configuration with the source of every setting and the warnings to log at start. */
export interface ResolvedConfig {
  readonly config: DaemonConfig;
  /** Every setting of the schema, by dotted path (`cloud.batchSize`), to its origin; unset ones "default". */
  readonly sources: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
}

/** Records `origin` for `value` at `path`, and for every setting below it when it is a section. */
function recordSources(sources: Map<string, string>, path: string, value: unknown, origin: string): void {
  if (!isConfigSection(value)) {
    sources.set(path, origin);
    return;
  }
  for (const [key, inner] of Object.entries(value)) recordSources(sources, `${path}.${key}`, inner, origin);
}

/** Deep-merges `patch` into `target`: sections key by key, anything else (arrays too) replaced. */
function mergeLayer(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
  prefix: string,
  originOf: (path: string) => string,
  sources: Map<string, string>,
): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const current = target[key];
    if (isConfigSection(value) && isConfigSection(current)) {
      const merged = { ...current };
      target[key] = merged;
      mergeLayer(merged, value, path, originOf, sources);
    } else {
      target[key] = structuredClone(value);
      recordSources(sources, path, value, originOf(path));
    }
  }
}

/** Every setting path the schema knows, dotted, sections expanded (arrays are one setting). */
function schemaPaths(schema: { properties?: Record<string, unknown> }, prefix = ""): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, inner]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    const section = inner as { type?: string; properties?: Record<string, unknown> };
    return section.type === "object" && section.properties ? schemaPaths(section, path) : [path];
  });
}

/** Every setting of the configuration, dotted (`device.uri`, `cloud.batchSize`…). */
export const CONFIG_PATHS: readonly string[] = schemaPaths(ConfigSchema);

const checker = compileChecker(ConfigSchema);
/** The origin of values a caller's code passed to resolveConfig (not worth naming in an error). */
const CODE_ORIGIN = "code";

/** `cloud.batchSize (from file:/etc/stalela/daemon.json)`: a setting and, when not a default, its source. */
function named(path: string, sources: ReadonlyMap<string, string>): string {
  // An array item (`device.usbIds.0`) has its array's source; an unknown section its first setting's.
  let origin = [...sources].find(([p]) => p.startsWith(`${path}.`))?.[1];
  for (let at = path; at !== ""; at = at.slice(0, Math.max(0, at.lastIndexOf(".")))) {
    const found = sources.get(at);
    if (found !== undefined) {
      origin = found;
      break;
    }
  }
  return origin === undefined || origin === "default" || origin === CODE_ORIGIN
    ? path
    : `${path} (from ${origin})`;
}

/** A coded error for one setting, naming it and its source. */
function settingError(
  name: "FIELD_TYPE" | "FIELD_RANGE" | "CONFIG_INSECURE",
  path: string,
  message: string,
  sources: ReadonlyMap<string, string>,
): FiscalError {
  const issue: FieldIssue = {
    path: `/${path.replaceAll(".", "/")}`,
    code: name === "FIELD_RANGE" ? 303 : 302,
    message,
  };
  return new FiscalError(name, `configuration ${named(path, sources)}: ${message}`, { issues: [issue] });
}

/** The cross-field rules, after the schema: device address, ordered ranges, the insecure settings. */
function checkRules(config: DaemonConfig, sources: ReadonlyMap<string, string>): void {
  try {
    parseDeviceAddress(config.device.uri);
  } catch (err) {
    throw settingError("FIELD_TYPE", "device.uri", isFiscalError(err) ? err.text : String(err), sources);
  }
  if (!isTimeZone(config.locale.timeZone)) {
    const why = `${JSON.stringify(config.locale.timeZone)} is not an IANA time zone (e.g. Africa/Kinshasa)`;
    throw settingError("FIELD_TYPE", "locale.timeZone", why, sources);
  }
  const deviceConflict = sessionConfigConflict(config.device);
  if (deviceConflict !== null) {
    throw settingError("FIELD_RANGE", `device.${deviceConflict.split(" ")[0]}`, deviceConflict, sources);
  }
  const { endpoint } = config.cloud;
  if (endpoint !== undefined) {
    try {
      checkCloudEndpoint(endpoint, config.trust.allowEmulator);
    } catch (err) {
      if (!isFiscalError(err)) throw err;
      const name = err.errorName === "CONFIG_INSECURE" ? "CONFIG_INSECURE" : "FIELD_TYPE";
      throw settingError(name, "cloud.endpoint", err.text, sources);
    }
  }
  const syncConflict = syncConfigConflict(config.cloud);
  if (syncConflict !== null) {
    throw settingError("FIELD_RANGE", `cloud.${syncConflict.split(" ")[0]}`, syncConflict, sources);
  }
  if (!isLoopbackHost(config.http.host) && !config.http.allowNonLoopback) {
    throw settingError(
      "CONFIG_INSECURE",
      "http.host",
      `${config.http.host} is not a loopback address: the POS API would be reachable from the network ` +
        "(set http.allowNonLoopback, STALELA_HTTP_ALLOW_NON_LOOPBACK=1, to allow it)",
      sources,
    );
  }
}

/** What the daemon logs at start about a valid configuration (a non-loopback listen it was allowed). */
export function configWarnings(config: DaemonConfig): string[] {
  const warnings: string[] = [];
  if (!isLoopbackHost(config.http.host)) {
    warnings.push(
      `http.host ${config.http.host} is not loopback: the POS API and the operator console (/console) ` +
        "are reachable from the network (http.allowNonLoopback is set); the console still needs its password",
    );
  }
  return warnings;
}

/**
 * Deep-merges the layers over the defaults, in order (later wins), validates the result with
 * ConfigSchema and the cross-field rules, and says where each setting came from. Throws FIELD_TYPE /
 * FIELD_RANGE / FIELD_UNKNOWN / CONFIG_INSECURE naming the setting and its source.
 */
export function resolveConfigLayers(layers: readonly ConfigLayer[]): ResolvedConfig {
  const config = defaultConfig() as unknown as Record<string, unknown>;
  const sources = new Map<string, string>();
  for (const path of CONFIG_PATHS) sources.set(path, "default");
  for (const { patch, origin } of layers) {
    const originOf = typeof origin === "string" ? () => origin : (path: string) => origin[path] ?? "unknown";
    mergeLayer(config, patch as Record<string, unknown>, "", originOf, sources);
  }
  const issues = checker.issues(config);
  if (issues.length > 0) {
    throw configIssueError(issues, (pointer) => named(pointer.slice(1).replaceAll("/", "."), sources));
  }
  const valid = config as unknown as DaemonConfig;
  checkRules(valid, sources);
  return { config: valid, sources: Object.fromEntries(sources), warnings: configWarnings(valid) };
}

/** Merges patches over the defaults and validates (as resolveConfigLayers); for code that builds its own. */
export function resolveConfig(...patches: ConfigPatch[]): DaemonConfig {
  return resolveConfigLayers(patches.map((patch) => ({ patch, origin: CODE_ORIGIN }))).config;
}
