/**
 * packaging/daemon.env, the /etc/stalela/daemon.env conffile the .deb installs: it lists every setting
 * the daemon reads from the environment, each with the code's own default and range, and it sets the
 * installed locations (docs/INSTALL.md §3). Parsed here as systemd's EnvironmentFile= would.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  configFromEnv,
  defaultConfig,
  ENV_VARIABLES,
  REQUEST_BOUND_RANGE,
  resolveConfigLayers,
} from "../../daemon/config.js";
import { DEFAULT_SYNC_CONFIG, SYNC_ENV_VARIABLES, SYNC_RANGES } from "../../daemon/sync/config.js";

const TEXT = readFileSync(fileURLToPath(new URL("../../packaging/daemon.env", import.meta.url)), "utf8");
const LINES = TEXT.split("\n");

/** NAME -> { value, active (uncommented), the comment line just above }. */
function settings(): Map<string, { value: string; active: boolean; help: string }> {
  const found = new Map<string, { value: string; active: boolean; help: string }>();
  LINES.forEach((line, i) => {
    const m = /^(#?)(STALELA_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) found.set(m[2]!, { active: m[1] === "", value: m[3]!, help: LINES[i - 1] ?? "" });
  });
  return found;
}

/** A default as the file spells it (plain digits). */
function spelled(value: unknown): string {
  return String(value);
}

describe("packaging/daemon.env", () => {
  const listed = settings();

  it("lists every environment variable the daemon reads, and no other", () => {
    expect([...listed.keys()].sort()).toEqual(Object.keys(ENV_VARIABLES).sort());
  });

  it("sets the installed state directory and device, and leaves the rest at the code's defaults", () => {
    expect(listed.get("STALELA_STATE_DIR")).toMatchObject({ active: true, value: "/var/lib/stalela" });
    expect(listed.get("STALELA_DEVICE")).toMatchObject({ active: true, value: "serial:/dev/stalela-def" });
    const config = defaultConfig();
    const daemonDefaults: Record<string, unknown> = {
      STALELA_DEVICE_IDS: config.device.usbIds.join(","),
      STALELA_HTTP_HOST: config.http.host,
      STALELA_HTTP_PORT: config.http.port,
      STALELA_HTTP_ALLOW_NON_LOOPBACK: Number(config.http.allowNonLoopback),
      STALELA_METRICS_REQUIRE_KEY: Number(config.metrics.requireKey),
      STALELA_ALLOW_EMULATOR: Number(config.trust.allowEmulator),
      STALELA_LOG_LEVEL: config.logLevel,
      STALELA_REQUEST_BOUND_MS: config.requestBoundMs,
      // No built-in default: the line is there, empty.
      STALELA_CLOUD_ROOT_KEY: "",
      STALELA_MERCHANT_NIF: "",
      STALELA_OUTLET_ID: "",
    };
    for (const [name, value] of Object.entries(daemonDefaults)) {
      expect(listed.get(name), name).toMatchObject({ active: false, value: spelled(value) });
    }
    const [boundMin, boundMax] = REQUEST_BOUND_RANGE;
    expect(listed.get("STALELA_REQUEST_BOUND_MS")?.help).toContain(`${boundMin}..${boundMax}`);
    for (const [name, key] of Object.entries(SYNC_ENV_VARIABLES)) {
      const entry = listed.get(name)!;
      expect(entry.active, name).toBe(false);
      if (key === "endpoint") continue;
      expect(entry.value, name).toBe(spelled(DEFAULT_SYNC_CONFIG[key]));
      const [min, max] = SYNC_RANGES[key];
      expect(entry.help, name).toContain(`${min}..${max}`);
    }
  });

  it("says the cloud URL is required, https only, and that there is no built-in default", () => {
    expect(DEFAULT_SYNC_CONFIG.endpoint).toBeUndefined();
    expect(listed.get("STALELA_CLOUD_URL")?.value).toMatch(/^https:\/\//);
    expect(TEXT).toContain("There is no built-in default");
    expect(TEXT).not.toContain("http://127.0.0.1:8780");
  });

  it("gives every value it shows a form the daemon accepts", () => {
    const env = Object.fromEntries([...listed].map(([name, { value }]) => [name, value]));
    // The example cloud URL is https, so the whole file, uncommented, is a valid configuration.
    expect(() => resolveConfigLayers([configFromEnv(env)])).not.toThrow();
  });
});
