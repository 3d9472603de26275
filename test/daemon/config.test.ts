/**
 * The daemon configuration (daemon/config.ts): one schema over defaults < file < environment < flags,
 * deep-merged section by section, integers within their ranges, no unknown key, the CONFIG_INSECURE
 * rules, and the source of every value.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ConfigLayer,
  configFromEnv,
  configFromFile,
  defaultConfig,
  resolveConfig,
  resolveConfigLayers,
} from "../../daemon/config.js";
import { DEFAULT_SESSION_CONFIG, SESSION_CONFIG_BOUNDS } from "../../daemon/device/config.js";
import { DEFAULT_SYNC_CONFIG } from "../../daemon/sync/config.js";
import { DEFAULT_DEF_USB_IDS, formatUsbId } from "../../daemon/transport/usb-ids.js";
import { isFiscalError } from "../../protocol/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A JSON config file holding `content`. */
function file(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-config-"));
  dirs.push(dir);
  const path = join(dir, "daemon.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

/** The coded error `run` throws (fails the test when it throws none or another kind). */
function errorOf(run: () => unknown): { name: string; message: string } {
  try {
    run();
  } catch (err) {
    if (isFiscalError(err)) return { name: err.errorName, message: err.message };
    throw err;
  }
  throw new Error("expected a coded error, got none");
}

const fromFile = (content: unknown): ConfigLayer => configFromFile(file(content));

describe("the merge", () => {
  it("keeps a file's cloud section when the environment sets another cloud key (the issue's probe)", () => {
    const { config } = resolveConfigLayers([
      fromFile({ cloud: { endpoint: "https://cloud.example.cd", batchSize: 50 } }),
      configFromEnv({ STALELA_SYNC_MAX_ATTEMPTS: "5" }),
    ]);
    expect(config.cloud).toEqual({
      ...DEFAULT_SYNC_CONFIG,
      endpoint: "https://cloud.example.cd",
      batchSize: 50,
      maxAttempts: 5,
    });
  });

  it("deep-merges every section: a later layer changes only the keys it names", () => {
    const config = resolveConfig(
      { device: { replyTimeoutMs: 2_000 }, http: { port: 9000 }, merchant: { nif: "NIF-1" } },
      { device: { uri: "tcp:127.0.0.1:7878" }, merchant: { outletId: "OUT-1" } },
    );
    expect(config.device).toMatchObject({ uri: "tcp:127.0.0.1:7878", replyTimeoutMs: 2_000 });
    expect(config.device.maxRetransmits).toBe(DEFAULT_SESSION_CONFIG.maxRetransmits);
    expect(config.http).toMatchObject({ host: "127.0.0.1", port: 9000, allowNonLoopback: false });
    expect(config.merchant).toEqual({ nif: "NIF-1", outletId: "OUT-1" });
  });

  it("ranks flags over the environment over the file, and says where each value came from", () => {
    const path = file({ http: { port: 9001 }, cloud: { batchSize: 7 }, logLevel: "debug" });
    const { config, sources } = resolveConfigLayers([
      configFromFile(path),
      configFromEnv({ STALELA_HTTP_PORT: "9002", STALELA_LOG_LEVEL: "warn" }),
      { patch: { logLevel: "error" }, origin: { logLevel: "flag:--log-level" } },
    ]);
    expect(config.http.port).toBe(9002);
    expect(config.logLevel).toBe("error");
    expect(config.cloud.batchSize).toBe(7);
    expect(sources["http.port"]).toBe("env:STALELA_HTTP_PORT");
    expect(sources.logLevel).toBe("flag:--log-level");
    expect(sources["cloud.batchSize"]).toBe(`file:${path}`);
    expect(sources["cloud.maxAttempts"]).toBe("default");
    expect(sources["cloud.endpoint"]).toBe("default");
  });
});

describe("types and ranges", () => {
  it.each([
    [{ cloud: { batchSize: 2.5 } }, "cloud.batchSize"],
    [{ cloud: { maxAttempts: 1.5 } }, "cloud.maxAttempts"],
    [{ device: { replyTimeoutMs: 10.5 } }, "device.replyTimeoutMs"],
    [{ http: { port: "8765" } }, "http.port"],
    [{ trust: { allowEmulator: "yes" } }, "trust.allowEmulator"],
  ])("refuses a non-integer or mistyped value in a file: %j", (content, path) => {
    const error = errorOf(() => resolveConfigLayers([fromFile(content)]));
    expect(error.name).toBe("FIELD_TYPE");
    expect(error.message).toContain(path);
    expect(error.message).toContain("(from file:");
  });

  it("refuses an environment number that is not a decimal integer, naming the variable", () => {
    for (const text of ["abc", "2.5", "1e3", "0x10"]) {
      const error = errorOf(() => configFromEnv({ STALELA_SYNC_MAX_ATTEMPTS: text }));
      expect(error).toMatchObject({ name: "FIELD_TYPE" });
      expect(error.message).toContain("STALELA_SYNC_MAX_ATTEMPTS");
    }
    expect(errorOf(() => configFromEnv({ STALELA_ALLOW_EMULATOR: "yes" })).message).toContain(
      "STALELA_ALLOW_EMULATOR",
    );
  });

  it("reads booleans and lists from the environment", () => {
    const { patch } = configFromEnv({
      STALELA_ALLOW_EMULATOR: "1",
      STALELA_HTTP_ALLOW_NON_LOOPBACK: "false",
      STALELA_METRICS_REQUIRE_KEY: "true",
      STALELA_DEVICE_IDS: "1209:DEF1, 0483:5740",
      STALELA_SYNC_BACKOFF_JITTER: "0.25",
    });
    expect(patch).toEqual({
      trust: { allowEmulator: true },
      http: { allowNonLoopback: false },
      metrics: { requireKey: true },
      device: { usbIds: ["1209:DEF1", "0483:5740"] },
      cloud: { backoffJitter: 0.25 },
    });
  });

  it.each([
    [{ cloud: { batchSize: 1001 } }, "cloud.batchSize"],
    [{ cloud: { inFlight: 0 } }, "cloud.inFlight"],
    [{ device: { replyTimeoutMs: SESSION_CONFIG_BOUNDS.replyTimeoutMs[1] + 1 } }, "device.replyTimeoutMs"],
    [{ device: { maxRetransmits: -1 } }, "device.maxRetransmits"],
    [{ requestBoundMs: 1_999 }, "requestBoundMs"],
  ])("refuses an out-of-range value: %j", (patch, path) => {
    const error = errorOf(() => resolveConfig(patch));
    expect(error.name).toBe("FIELD_RANGE");
    expect(error.message).toContain(path);
  });

  it("names the environment variable an out-of-range value came from", () => {
    const error = errorOf(() => resolveConfigLayers([configFromEnv({ STALELA_SYNC_POLL_MS: "1" })]));
    expect(error.name).toBe("FIELD_RANGE");
    expect(error.message).toContain("cloud.pollIntervalMs (from env:STALELA_SYNC_POLL_MS)");
  });

  it.each([
    [{ colud: {} }, "colud"],
    [{ cloud: { batchsize: 5 } }, "cloud.batchsize"],
    [{ device: { timeout: 5 } }, "device.timeout"],
    [{ http: { hots: "127.0.0.1" } }, "http.hots"],
    [{ trust: { rootKey: "00" } }, "trust.rootKey"],
    [{ merchant: { name: "x" } }, "merchant.name"],
  ])("refuses an unknown key anywhere: %j", (content, path) => {
    const error = errorOf(() => resolveConfigLayers([fromFile(content)]));
    expect(error.name).toBe("FIELD_UNKNOWN");
    expect(error.message).toContain(path);
  });

  it("applies the device's ordered ranges", () => {
    expect(
      errorOf(() => resolveConfig({ device: { busyBackoffMinMs: 500, busyBackoffMaxMs: 400 } })),
    ).toMatchObject({
      name: "FIELD_RANGE",
    });
    expect(
      errorOf(() => resolveConfig({ device: { reconnectInitialDelayMs: 5_000, reconnectMaxDelayMs: 1_000 } }))
        .message,
    ).toContain("device.reconnectInitialDelayMs");
    expect(
      resolveConfig({ device: { busyBackoffMinMs: 400, busyBackoffMaxMs: 400 } }).device.busyBackoffMinMs,
    ).toBe(400);
  });

  it("refuses a cloud backoff ceiling below its base", () => {
    expect(
      errorOf(() => resolveConfig({ cloud: { backoffBaseMs: 5_000, backoffMaxMs: 2_000 } })),
    ).toMatchObject({
      name: "FIELD_RANGE",
    });
  });
});

describe("defaults", () => {
  it("has no cloud endpoint, no root key and no merchant", () => {
    const config = resolveConfig();
    expect(config.cloud.endpoint).toBeUndefined();
    expect(config.trust).toEqual({ allowEmulator: false });
    expect(config.merchant).toEqual({});
    expect(config.metrics).toEqual({ requireKey: false });
  });

  it("discovers the device by VID:PID, never a /tmp path", () => {
    const { device } = defaultConfig();
    expect(device.uri).toBe("auto");
    expect(device.usbIds).toEqual(DEFAULT_DEF_USB_IDS.map(formatUsbId));
    expect(JSON.stringify(defaultConfig())).not.toContain("/tmp");
    expect(device).toMatchObject(DEFAULT_SESSION_CONFIG);
  });
});

describe("device, trust and merchant forms", () => {
  it("takes VID:PID usb ids in hex, and refuses anything else", () => {
    expect(resolveConfig({ device: { usbIds: ["1209:DEF1", "0x0483:0x5740"] } }).device.usbIds).toHaveLength(
      2,
    );
    for (const id of ["1209", "1209:DEF1:X", "12345:0001", "GGGG:0001", ""]) {
      expect(errorOf(() => resolveConfig({ device: { usbIds: [id] } })).message, id).toContain(
        "device.usbIds",
      );
    }
    expect(errorOf(() => resolveConfig({ device: { usbIds: [] } })).name).toBe("FIELD_RANGE");
  });

  it("refuses a device URI of no known form", () => {
    const error = errorOf(() => resolveConfig({ device: { uri: "memory:" } }));
    expect(error).toMatchObject({ name: "FIELD_TYPE" });
    expect(error.message).toContain("device.uri");
  });

  it("takes a 64-hex-digit cloud root key and refuses any other", () => {
    const key = "ab".repeat(32);
    expect(resolveConfig({ trust: { cloudRootKey: key } }).trust.cloudRootKey).toBe(key);
    for (const bad of ["ab".repeat(31), `${"ab".repeat(32)}00`, "zz".repeat(32)]) {
      expect(errorOf(() => resolveConfig({ trust: { cloudRootKey: bad } }))).toMatchObject({
        name: "FIELD_TYPE",
      });
    }
  });

  it("takes a merchant NIF and outlet in the invoice ID form", () => {
    expect(resolveConfig({ merchant: { nif: "A1234567B", outletId: "OUT-01" } }).merchant.nif).toBe(
      "A1234567B",
    );
    expect(errorOf(() => resolveConfig({ merchant: { nif: "has space" } })).message).toContain(
      "merchant.nif",
    );
    expect(errorOf(() => resolveConfig({ merchant: { outletId: "x".repeat(33) } })).message).toContain(
      "merchant.outletId",
    );
  });
});

describe("insecure settings", () => {
  it("accepts an https cloud, in production and in development mode", () => {
    expect(resolveConfig({ cloud: { endpoint: "https://cloud.example.cd" } }).cloud.endpoint).toBe(
      "https://cloud.example.cd",
    );
    expect(
      resolveConfig({ cloud: { endpoint: "https://cloud.example.cd" }, trust: { allowEmulator: true } }).cloud
        .endpoint,
    ).toBe("https://cloud.example.cd");
  });

  it("refuses a plain-http cloud outside development mode, even on loopback", () => {
    for (const endpoint of ["http://127.0.0.1:8780", "http://cloud.example.cd"]) {
      const error = errorOf(() => resolveConfig({ cloud: { endpoint } }));
      expect(error.name, endpoint).toBe("CONFIG_INSECURE");
      expect(error.message).toContain("cloud.endpoint");
    }
  });

  it("accepts plain http only to a loopback host, and only in development mode", () => {
    for (const endpoint of ["http://127.0.0.1:8780", "http://localhost:8780", "http://[::1]:8780"]) {
      expect(resolveConfig({ cloud: { endpoint }, trust: { allowEmulator: true } }).cloud.endpoint).toBe(
        endpoint,
      );
    }
    const error = errorOf(() =>
      resolveConfig({ cloud: { endpoint: "http://192.168.1.5:8780" }, trust: { allowEmulator: true } }),
    );
    expect(error.name).toBe("CONFIG_INSECURE");
  });

  it("names the source of an insecure cloud URL", () => {
    const error = errorOf(() =>
      resolveConfigLayers([configFromEnv({ STALELA_CLOUD_URL: "http://127.0.0.1:8780" })]),
    );
    expect(error.message).toContain("cloud.endpoint (from env:STALELA_CLOUD_URL)");
  });

  it("refuses a cloud endpoint that is not an http(s) URL as FIELD_TYPE", () => {
    for (const endpoint of ["cloud.example.cd", "ftp://cloud.example.cd", "not a url"]) {
      expect(errorOf(() => resolveConfig({ cloud: { endpoint } })).name, endpoint).toBe("FIELD_TYPE");
    }
  });

  it("refuses a non-loopback listen address unless allowed, and then warns", () => {
    for (const host of ["0.0.0.0", "192.168.1.5", "::"]) {
      const error = errorOf(() => resolveConfig({ http: { host } }));
      expect(error.name, host).toBe("CONFIG_INSECURE");
      expect(error.message).toContain("http.host");
      const allowed = resolveConfigLayers([
        { patch: { http: { host, allowNonLoopback: true } }, origin: "code" },
      ]);
      expect(allowed.config.http.host).toBe(host);
      expect(allowed.warnings).toHaveLength(1);
      expect(allowed.warnings[0]).toContain(host);
    }
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) {
      expect(resolveConfigLayers([{ patch: { http: { host } }, origin: "code" }]).warnings, host).toEqual([]);
    }
  });
});
