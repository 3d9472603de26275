import { describe, expect, it } from "vitest";
import { configFromEnv, ENV_VARIABLES, resolveConfigLayers } from "../../daemon/config.js";
import { DEFAULT_SYNC_CONFIG, SYNC_ENV_VARIABLES } from "../../daemon/sync/config.js";

describe("sync settings from the environment", () => {
  it("reads every documented variable into its key, and the daemon config carries them", () => {
    const env = {
      STALELA_CLOUD_URL: "https://cloud.example.cd",
      STALELA_SYNC_BATCH_SIZE: "20",
      STALELA_SYNC_IN_FLIGHT: "3",
      STALELA_SYNC_MAX_ATTEMPTS: "3",
      STALELA_SYNC_BACKOFF_BASE_MS: "200",
      STALELA_SYNC_BACKOFF_MAX_MS: "5000",
      STALELA_SYNC_BACKOFF_JITTER: "0.25",
      STALELA_SYNC_REQUEST_TIMEOUT_MS: "4000",
      STALELA_SYNC_POLL_MS: "100",
      STALELA_SYNC_PENDING_WARN_MS: "120000",
      STALELA_SYNC_OFFLINE_WARN_DAYS: "2",
    };
    expect(Object.keys(env).sort()).toEqual(Object.keys(SYNC_ENV_VARIABLES).sort());
    for (const name of Object.keys(SYNC_ENV_VARIABLES)) expect(ENV_VARIABLES[name], name).toBeDefined();
    const { config, sources } = resolveConfigLayers([configFromEnv(env)]);
    expect(config.cloud).toEqual({
      endpoint: "https://cloud.example.cd",
      batchSize: 20,
      inFlight: 3,
      maxAttempts: 3,
      backoffBaseMs: 200,
      backoffMaxMs: 5000,
      backoffJitter: 0.25,
      requestTimeoutMs: 4000,
      pollIntervalMs: 100,
      pendingWarnMs: 120_000,
      offlineWarnDays: 2,
    });
    expect(sources["cloud.batchSize"]).toBe("env:STALELA_SYNC_BATCH_SIZE");
  });

  it("keeps the other sync defaults when the environment sets one key", () => {
    const { config } = resolveConfigLayers([configFromEnv({ STALELA_SYNC_MAX_ATTEMPTS: "5" })]);
    expect(config.cloud).toEqual({ ...DEFAULT_SYNC_CONFIG, maxAttempts: 5 });
    expect(config.cloud.endpoint).toBeUndefined();
  });

  it("refuses an out-of-range value with a coded error naming the key and the variable", () => {
    expect(() => resolveConfigLayers([configFromEnv({ STALELA_SYNC_POLL_MS: "1" })])).toThrow(
      /E303.*pollIntervalMs.*STALELA_SYNC_POLL_MS/,
    );
  });

  it("refuses a value that is not a decimal integer, naming the variable", () => {
    expect(() => configFromEnv({ STALELA_SYNC_BATCH_SIZE: "abc" })).toThrow(
      /E302 FIELD_TYPE: STALELA_SYNC_BATCH_SIZE/,
    );
    expect(() => configFromEnv({ STALELA_SYNC_MAX_ATTEMPTS: "1.5" })).toThrow(/STALELA_SYNC_MAX_ATTEMPTS/);
  });
});
