import { describe, expect, it } from "vitest";
import { configFromEnv, resolveConfig } from "../../daemon/config.js";
import { resolveSyncConfig, SYNC_ENV_VARIABLES, syncConfigFromEnv } from "../../daemon/sync/config.js";

describe("sync settings from the environment", () => {
  it("reads every documented variable into its key, and the daemon config carries them", () => {
    const env = {
      STALELA_CLOUD_URL: "http://127.0.0.1:9999",
      STALELA_SYNC_BATCH_SIZE: "20",
      STALELA_SYNC_IN_FLIGHT: "3",
      STALELA_SYNC_MAX_ATTEMPTS: "3",
      STALELA_SYNC_BACKOFF_BASE_MS: "200",
      STALELA_SYNC_BACKOFF_MAX_MS: "5000",
      STALELA_SYNC_POLL_MS: "100",
      STALELA_SYNC_PENDING_WARN_MS: "120000",
      STALELA_SYNC_OFFLINE_WARN_DAYS: "2",
    };
    expect(Object.keys(env).sort()).toEqual(Object.keys(SYNC_ENV_VARIABLES).sort());
    expect(resolveSyncConfig(syncConfigFromEnv(env))).toMatchObject({
      endpoint: "http://127.0.0.1:9999",
      batchSize: 20,
      inFlight: 3,
      maxAttempts: 3,
      backoffBaseMs: 200,
      backoffMaxMs: 5000,
      pollIntervalMs: 100,
      pendingWarnMs: 120_000,
      offlineWarnDays: 2,
    });
    expect(resolveConfig(configFromEnv(env)).cloud).toMatchObject({ batchSize: 20, pollIntervalMs: 100 });
  });

  it("refuses an out-of-range value with a coded error naming the key", () => {
    expect(() => resolveSyncConfig(syncConfigFromEnv({ STALELA_SYNC_POLL_MS: "1" }))).toThrow(
      /E303.*pollIntervalMs/,
    );
  });
});
