/**
 * `stalela config check`: the effective configuration from the daemon's own sources, each setting with
 * its value and its source, secrets masked, and the daemon's coded error for an invalid one.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkConfig,
  configEntries,
  configLines,
  configReport,
  isSecretSetting,
  MASK,
} from "../../cli/commands/config.js";
import { buildProgram, runProgram } from "../../cli/program.js";
import { CONFIG_PATHS, configFromEnv, resolveConfigLayers } from "../../daemon/config.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

function configFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-config-check-"));
  dirs.push(dir);
  const path = join(dir, "daemon.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
}

/** Runs `stalela ARGS` in this process; what it printed and the exit code it set. */
async function stalela(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  await runProgram(buildProgram(), args);
  vi.mocked(process.stdout.write).mockRestore();
  vi.mocked(process.stderr.write).mockRestore();
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { stdout, stderr, code };
}

const ROOT_KEY = "0123456789abcdef".repeat(4);

describe("config check", () => {
  it("lists every setting with its value and where it came from", () => {
    const path = configFile({ cloud: { endpoint: "https://cloud.example.cd", batchSize: 50 } });
    const report = configReport(
      checkConfig({ config: path }, { STALELA_SYNC_MAX_ATTEMPTS: "5", STALELA_CLOUD_ROOT_KEY: ROOT_KEY }),
    );
    const by = Object.fromEntries(report.settings.map((e) => [e.path, e]));
    expect(report.settings.map((e) => e.path)).toEqual(CONFIG_PATHS);
    expect(by["cloud.endpoint"]).toEqual({
      path: "cloud.endpoint",
      value: "https://cloud.example.cd",
      source: `file:${path}`,
    });
    expect(by["cloud.batchSize"]).toMatchObject({ value: 50, source: `file:${path}` });
    expect(by["cloud.maxAttempts"]).toMatchObject({ value: 5, source: "env:STALELA_SYNC_MAX_ATTEMPTS" });
    expect(by["cloud.pollIntervalMs"]).toMatchObject({ value: 1_000, source: "default" });
    expect(by["device.uri"]).toMatchObject({ value: "auto", source: "default" });
    // The cloud root key is a public key: shown in full.
    expect(by["trust.cloudRootKey"]).toMatchObject({ value: ROOT_KEY, source: "env:STALELA_CLOUD_ROOT_KEY" });
    expect(by["merchant.nif"]).toMatchObject({ value: undefined, source: "default" });
    const lines = configLines(report, "fr").join("\n");
    expect(lines).toMatch(/^Configuration valide\nparamètre\s+valeur\s+origine\n/);
    expect(lines).toMatch(/cloud\.maxAttempts\s+5\s+env:STALELA_SYNC_MAX_ATTEMPTS/);
    expect(lines).toMatch(/merchant\.nif\s+\(non défini\)\s+default/);
    const english = configLines(report, "en").join("\n");
    expect(english).toMatch(/^configuration is valid\nsetting\s+value\s+source\n/);
    expect(english).toMatch(/merchant\.nif\s+\(not set\)\s+default/);
    // The columns line up under their headings in each language.
    for (const text of [lines, english]) {
      const [, heading, first] = text.split("\n") as [string, string, string];
      expect(heading.search(/\S+$/), text).toBe(first.search(/\S+$/));
    }
  });

  it("masks secrets by name, but not a public key nor a yes/no setting", () => {
    for (const path of [
      "cloud.credential",
      "cloud.apiToken",
      "admin.password",
      "cloud.signingKey",
      "x.secret",
    ]) {
      expect(isSecretSetting(path, "s3cr3t"), path).toBe(true);
    }
    expect(isSecretSetting("trust.cloudRootKey", ROOT_KEY)).toBe(false);
    expect(isSecretSetting("metrics.requireKey", true)).toBe(false);
    expect(isSecretSetting("cloud.endpoint", "https://x")).toBe(false);
    // A secret-named text setting prints the mask, never its value; the public key prints in full.
    const resolved = resolveConfigLayers([configFromEnv({ STALELA_CLOUD_ROOT_KEY: ROOT_KEY })]);
    const withSecret = {
      ...resolved,
      config: { ...resolved.config, cloud: { ...resolved.config.cloud, apiToken: "s3cr3t" } },
      sources: { ...resolved.sources, "cloud.apiToken": "file:/etc/x.json" },
    };
    const entries = configEntries(withSecret, [...CONFIG_PATHS, "cloud.apiToken"]);
    expect(entries.find((e) => e.path === "cloud.apiToken")).toEqual({
      path: "cloud.apiToken",
      value: MASK,
      source: "file:/etc/x.json",
    });
    expect(entries.find((e) => e.path === "trust.cloudRootKey")?.value).toBe(ROOT_KEY);
    expect(JSON.stringify(entries)).not.toContain("s3cr3t");
  });

  it("prints JSON with --json, secrets masked, and the warnings the daemon would log", async () => {
    vi.stubEnv("STALELA_HTTP_HOST", "0.0.0.0");
    vi.stubEnv("STALELA_HTTP_ALLOW_NON_LOOPBACK", "1");
    const path = configFile({ merchant: { nif: "A1234567B" } });
    const run = await stalela(["config", "check", "--config", path, "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      valid: boolean;
      settings: { path: string; value: unknown; source: string }[];
      warnings: string[];
    };
    expect(report.valid).toBe(true);
    expect(report.settings.find((e) => e.path === "http.host")).toEqual({
      path: "http.host",
      value: "0.0.0.0",
      source: "env:STALELA_HTTP_HOST",
    });
    expect(report.settings.find((e) => e.path === "merchant.nif")?.source).toBe(`file:${path}`);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toContain("0.0.0.0");
    const human = await stalela(["--lang", "en", "config", "check", "--config", path]);
    expect(human.stdout).toMatch(/^configuration is valid\n/);
    expect(human.stdout).toMatch(/\nwarning: .*0\.0\.0\.0/);
    const french = await stalela(["--lang", "fr", "config", "check", "--config", path]);
    expect(french.stdout).toMatch(/\nAvertissement : .*0\.0\.0\.0/);
  });

  it("exits non-zero with the coded error, naming the setting and its source, when invalid", async () => {
    const path = configFile({ cloud: { batchSize: 2.5 } });
    const run = await stalela(["config", "check", "--config", path]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("E302 FIELD_TYPE");
    expect(run.stderr).toContain(`cloud.batchSize (from file:${path})`);

    vi.stubEnv("STALELA_CLOUD_URL", "http://127.0.0.1:8780");
    const insecure = await stalela(["config", "check", "--json"]);
    expect(insecure.code).toBe(2);
    expect(JSON.parse(insecure.stdout)).toMatchObject({ error: { code: 326, name: "CONFIG_INSECURE" } });
  });
});
