/**
 * Where configuration comes from besides the defaults: the environment (every STALELA_* variable the
 * daemon reads, with the setting it sets and how its text is read) and a JSON file. Each source is a
 * ConfigLayer that remembers the origin of its values; daemon/config.ts merges and validates them.
 */
import { readFileSync } from "node:fs";
import { FiscalError } from "../protocol/index.js";
import type { ConfigPatch } from "./config.js";
import { SYNC_ENV_VARIABLES, type SyncConfig } from "./sync/config.js";

/**
 * One source of settings: its patch, and where its values came from: one origin for all of them
 * ("file:PATH") or one per dotted setting path ("env:STALELA_HTTP_PORT").
 */
export interface ConfigLayer {
  readonly patch: ConfigPatch;
  readonly origin: string | Readonly<Record<string, string>>;
}

/** How an environment value is read. */
export type EnvKind = "string" | "integer" | "number" | "boolean" | "list";

function syncEnvKind(key: keyof SyncConfig): EnvKind {
  if (key === "endpoint") return "string";
  return key === "backoffJitter" ? "number" : "integer";
}

/** Every environment variable the daemon reads: the dotted setting it sets and how it is read. */
export const ENV_VARIABLES: Readonly<Record<string, { readonly path: string; readonly kind: EnvKind }>> = {
  STALELA_DEVICE: { path: "device.uri", kind: "string" },
  STALELA_DEVICE_IDS: { path: "device.usbIds", kind: "list" },
  STALELA_STATE_DIR: { path: "stateDir", kind: "string" },
  STALELA_HTTP_HOST: { path: "http.host", kind: "string" },
  STALELA_HTTP_PORT: { path: "http.port", kind: "integer" },
  STALELA_HTTP_ALLOW_NON_LOOPBACK: { path: "http.allowNonLoopback", kind: "boolean" },
  STALELA_METRICS_REQUIRE_KEY: { path: "metrics.requireKey", kind: "boolean" },
  STALELA_LOG_LEVEL: { path: "logLevel", kind: "string" },
  STALELA_REQUEST_BOUND_MS: { path: "requestBoundMs", kind: "integer" },
  STALELA_ALLOW_EMULATOR: { path: "trust.allowEmulator", kind: "boolean" },
  STALELA_CLOUD_ROOT_KEY: { path: "trust.cloudRootKey", kind: "string" },
  STALELA_MERCHANT_NIF: { path: "merchant.nif", kind: "string" },
  STALELA_OUTLET_ID: { path: "merchant.outletId", kind: "string" },
  STALELA_ISF: { path: "sfe.isf", kind: "string" },
  STALELA_SELLER_NAME: { path: "sfe.seller.name", kind: "string" },
  STALELA_SELLER_ADDRESS: { path: "sfe.seller.address", kind: "string" },
  STALELA_SELLER_HEAD_OFFICE: { path: "sfe.seller.headOffice", kind: "string" },
  STALELA_SELLER_PHONE: { path: "sfe.seller.phone", kind: "string" },
  STALELA_SELLER_EMAIL: { path: "sfe.seller.email", kind: "string" },
  STALELA_FX_USD_RATE: { path: "sfe.fx.usdRate", kind: "string" },
  STALELA_FX_USD_DATE: { path: "sfe.fx.usdRateDate", kind: "string" },
  STALELA_FX_TOLERANCE_BP: { path: "sfe.fx.toleranceBp", kind: "integer" },
  STALELA_TIME_ZONE: { path: "locale.timeZone", kind: "string" },
  STALELA_DAY_CLOSING_TIME: { path: "day.closingTime", kind: "string" },
  STALELA_DAY_AUTO_CLOSE: { path: "day.autoClose", kind: "boolean" },
  STALELA_DAY_ERROR_AFTER_HOURS: { path: "day.errorAfterHours", kind: "integer" },
  STALELA_DAY_REFUSE_SALES_AFTER_HOURS: { path: "day.refuseSalesAfterHours", kind: "integer" },
  ...Object.fromEntries(
    Object.entries(SYNC_ENV_VARIABLES).map(([name, key]) => [
      name,
      { path: `cloud.${key}`, kind: syncEnvKind(key) },
    ]),
  ),
};

const ENV_FORMS: Readonly<Record<EnvKind, { readonly test: RegExp; readonly says: string }>> = {
  string: { test: /^/, says: "text" },
  integer: { test: /^-?\d+$/, says: "a decimal integer" },
  number: { test: /^-?\d+(?:\.\d+)?$/, says: "a decimal number" },
  boolean: { test: /^(?:1|0|true|false)$/i, says: "1, 0, true or false" },
  list: { test: /^/, says: "a comma-separated list" },
};

function envValue(name: string, kind: EnvKind, text: string): unknown {
  if (!ENV_FORMS[kind].test.test(text)) {
    throw new FiscalError(
      "FIELD_TYPE",
      `${name} must be ${ENV_FORMS[kind].says}, got ${JSON.stringify(text)}`,
      { issues: [{ path: `/${ENV_VARIABLES[name]!.path.replaceAll(".", "/")}`, code: 302, message: name }] },
    );
  }
  if (kind === "integer" || kind === "number") return Number(text);
  if (kind === "boolean") return /^(?:1|true)$/i.test(text);
  if (kind === "list")
    return text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  return text;
}

/** Sets `value` at dotted `path` in `target`, creating sections on the way. */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** The environment's part of the configuration; an unset or empty variable sets nothing. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigLayer {
  const patch: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [name, { path, kind }] of Object.entries(ENV_VARIABLES)) {
    const text = env[name];
    if (text === undefined || text === "") continue;
    setPath(patch, path, envValue(name, kind, text));
    origin[path] = `env:${name}`;
  }
  return { patch: patch as ConfigPatch, origin };
}

/** Reads a JSON configuration file; a missing or malformed file is a coded error. */
export function configFromFile(path: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FiscalError(
      "FIELD_REQUIRED",
      `cannot read the configuration file ${path}: ${(err as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new FiscalError(
      "FIELD_TYPE",
      `the configuration file ${path} is not JSON: ${(err as Error).message}`,
    );
  }
  if (!isConfigSection(parsed)) {
    throw new FiscalError("FIELD_TYPE", `the configuration file ${path} must hold one JSON object`);
  }
  return { patch: parsed as ConfigPatch, origin: `file:${path}` };
}

/** True for a JSON object (a config section), not an array or null. */
export function isConfigSection(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
