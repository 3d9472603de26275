/**
 * `stalela device info | status | time | self-test | activate --bundle` as a technician runs them:
 * the real binary against a real emulator process on TCP, one command at a time (one host per link),
 * with no daemon on the state directory, so each opens the device directly.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedEmulator, spawnEmulator } from "../../bench/processes.js";
import { STORE_FILE } from "../../cli/state.js";
import { formatBundleFile } from "../../daemon/activation/bundle-file.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { openDatabase } from "../../daemon/store/database.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { bundleFor, sale } from "../emulator/fixtures.js";
import { type CliRun, removeTempFiles, runCli, tempFile } from "./run-cli.js";

let emulator: SpawnedEmulator;
let dir: string;
let device: string[];

/** The coded error a --json run printed. */
function errorOf(run: CliRun): { code: number; name: string; message: string; detail?: string } {
  return (
    JSON.parse(run.stdout) as { error: { code: number; name: string; message: string; detail?: string } }
  ).error;
}

function bundleFile(name: string, deviceId: string, overrides: Parameters<typeof bundleFor>[2] = {}): string {
  return tempFile(name, formatBundleFile(bundleFor(deviceId, undefined, overrides)));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cli-device-"));
  emulator = await spawnEmulator([
    "--tcp",
    "127.0.0.1:0",
    "--no-link",
    "--state",
    join(dir, "emu"),
    "--control",
    "127.0.0.1:0",
    "--fault-seed",
    "7",
  ]);
  // The emulator is a development device: activating it needs the development mode (`activating`).
  device = ["--device", `tcp:127.0.0.1:${emulator.ready.tcp!.port}`, "--state", join(dir, "daemon")];
  // The daemon's store, as its first start leaves it: an offline activation records into it.
  mkdirSync(join(dir, "daemon"));
  openDatabase(join(dir, "daemon", STORE_FILE)).close();
});
afterAll(async () => {
  emulator?.child.kill("SIGTERM");
  await emulator?.exited;
  rmSync(dir, { recursive: true, force: true });
  removeTempFiles();
});

/** The direct-device flags: the device, and a state directory where no daemon answers. */
const link = (): string[] => device;
/** The flags of an activation of the emulated device: development mode (docs/SECURITY.md §3). */
const activating = (): string[] => [...device, "--allow-emulator"];

describe("stalela device (direct)", () => {
  it("info, status, time and self-test answer with JSON that parses", async () => {
    const info = await runCli(["device", "info", ...link(), "--json"]);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      device_id: emulator.ready.device_id,
      public_key: emulator.ready.public_key,
      state: "UNACTIVATED",
      identity: null,
    });
    const status = await runCli(["device", "status", ...link(), "--json"]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as {
      state: string;
      warnings: string[];
      clock_check: { skew_ms: number };
    };
    expect(s.state).toBe("UNACTIVATED");
    expect(s.warnings).toContain("NOT_ACTIVATED");
    expect(Math.abs(s.clock_check.skew_ms)).toBeLessThan(5_000);
    const time = await runCli(["device", "time", ...link(), "--json"]);
    expect(time.code).toBe(0);
    expect(JSON.parse(time.stdout)).toMatchObject({ set: false, valid: true });
    const test = await runCli(["device", "self-test", ...link(), "--json"]);
    expect(test.code).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ passed: true });
    const human = await runCli(["device", "status", ...link()]);
    expect(human.stdout).toMatch(/journal\s+0 \/ \d+ enregistrements \(0,0 %\)/);
    expect(human.stdout).toMatch(/écart\s+[+-]?\d+,\d s \(appareil moins ce PC\)/);
    expect(human.stdout).toMatch(/via\s+l'appareil fiscal/);
    const english = await runCli(["device", "status", ...link(), "--lang", "en"]);
    expect(english.stdout).toMatch(/journal\s+0 \/ \d+ records \(0\.0 %\)/);
    expect(english.stdout).toMatch(/skew\s+[+-]?\d+\.\d s \(device minus this PC\)/);
  });

  it("activate --bundle refuses an emulated device outside development mode (E121, exit 3), activating nothing", async () => {
    const run = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("production.json", emulator.ready.device_id),
      ...device,
      "--json",
    ]);
    expect(run.code).toBe(3);
    expect(errorOf(run)).toMatchObject({ code: 121, name: "DEVICE_UNTRUSTED" });
    const info = await runCli(["device", "info", ...link(), "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ state: "UNACTIVATED" });
  });

  it("activate --bundle refuses a bundle for another device, a bad signature and a malformed file, each with exit 3", async () => {
    const other = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("other.json", "DEF-00000000"),
      ...activating(),
      "--json",
    ]);
    expect(other.code).toBe(3);
    expect(errorOf(other)).toMatchObject({ code: 117, name: "ACTIVATION_WRONG_DEVICE" });
    const forged = bundleFor(emulator.ready.device_id, new Uint8Array(32).fill(9));
    const bad = await runCli([
      "device",
      "activate",
      "--bundle",
      tempFile("forged.json", formatBundleFile(forged)),
      ...activating(),
      "--json",
    ]);
    expect(bad.code).toBe(3);
    expect(errorOf(bad)).toMatchObject({ code: 116, name: "ACTIVATION_BAD_SIGNATURE" });
    const junk = await runCli([
      "device",
      "activate",
      "--bundle",
      tempFile("junk.json", "{}"),
      ...activating(),
    ]);
    expect(junk.code).toBe(3);
    expect(junk.stderr).toContain("E118 ACTIVATION_INVALID");
  });

  it("activate needs exactly one of --code and --bundle (exit 2), and --code needs the daemon (exit 4)", async () => {
    const neither = await runCli(["device", "activate", ...activating()]);
    expect(neither.code).toBe(2);
    const code = await runCli(["device", "activate", "--code", "ACT-1234", ...activating(), "--json"]);
    expect(code.code).toBe(4);
    expect(errorOf(code).detail).toContain("no daemon answers");
  });

  it("activate --bundle refuses a state directory without a store (exit 2) and creates none", async () => {
    const empty = join(dir, "never-started");
    const run = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("early.json", emulator.ready.device_id),
      ...device.slice(0, 2),
      "--allow-emulator",
      "--state",
      empty,
      "--json",
    ]);
    expect(run.code).toBe(2);
    expect(errorOf(run)).toMatchObject({ code: 115, name: "RECORD_NOT_FOUND" });
    expect(errorOf(run).detail).toContain(join(empty, STORE_FILE));
    expect(errorOf(run).detail).toContain("start the daemon once");
    expect(existsSync(empty)).toBe(false);
    const info = await runCli(["device", "info", ...link(), "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ state: "UNACTIVATED", via: "device" });
  });

  it("activate --bundle activates an unactivated device offline, then refuses another bundle (E103, exit 3)", async () => {
    const run = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("good.json", emulator.ready.device_id),
      ...activating(),
      "--json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      device_id: emulator.ready.device_id,
      merchant_nif: "A1234567B",
      // docs/INSTALL.md has the technician write the key down: the emulator's own ready line is the truth.
      public_key: emulator.ready.public_key,
      registered: false,
      via: "device",
    });
    // Not registered yet (the bundle carries no credential): the same command again continues it.
    const human = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("good-again.json", emulator.ready.device_id),
      ...activating(),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("activation de l'appareil fiscal");
    expect(human.stdout).toContain("reprise et terminée (via l'appareil fiscal)");
    expect(human.stdout).toMatch(new RegExp(`clé publique\\s+${emulator.ready.public_key}`));
    expect(human.stdout).toContain("PAS encore enregistré auprès du Stalela Cloud");
    const info = await runCli(["device", "info", ...link(), "--json"]);
    expect(JSON.parse(info.stdout)).toMatchObject({ state: "ACTIVE", identity: { outlet_id: "OUTLET-1" } });
    const again = await runCli([
      "device",
      "activate",
      "--bundle",
      bundleFile("second.json", emulator.ready.device_id, { bundle_id: "BUNDLE-2" }),
      ...activating(),
      "--json",
    ]);
    expect(again.code).toBe(3);
    expect(errorOf(again)).toMatchObject({ code: 103, name: "DEVICE_ALREADY_ACTIVATED" });
  });

  it("time --set moves an activated device's clock within the allowed step and refuses beyond it (exit 3)", async () => {
    const ahead = new Date(Date.now() + 10 * 60_000).toISOString();
    const set = await runCli(["device", "time", "--set", ahead, ...link(), "--json"]);
    expect(set.code).toBe(0);
    const clock = JSON.parse(set.stdout) as { set: boolean; skew_ms: number };
    expect(clock.set).toBe(true);
    expect(clock.skew_ms).toBeGreaterThan(9 * 60_000);
    const back = await runCli(["device", "time", "--set", "now", ...link(), "--json"]);
    expect(back.code).toBe(0);
    expect(Math.abs((JSON.parse(back.stdout) as { skew_ms: number }).skew_ms)).toBeLessThan(5_000);
    const far = new Date(Date.now() + 86_400_000).toISOString();
    const refused = await runCli(["device", "time", "--set", far, ...link(), "--json"]);
    expect(refused.code).toBe(3);
    expect(errorOf(refused)).toMatchObject({ code: 107, name: "TIME_SET_REFUSED" });
    const badArg = await runCli(["device", "time", "--set", "tomorrow", ...link()]);
    expect(badArg.code).toBe(2);
    // A time without a zone would be read in some zone: refused with the same coded error.
    const noZone = await runCli(["device", "time", "--set", "2026-12-01T14:05:33", ...link(), "--json"]);
    expect(noZone.code).toBe(2);
    expect(errorOf(noZone)).toMatchObject({ code: 302, name: "FIELD_TYPE" });
  });

  it("time --set takes the shop's local time with its offset, and shows the clock in UTC and local time", async () => {
    // Five minutes ahead, written as a technician in Kinshasa reads it: local wall time, +01:00.
    const target = Date.now() + 5 * 60_000;
    const kinshasa = `${new Date(target + 3_600_000).toISOString().slice(0, 19)}+01:00`;
    const set = await runCli(["device", "time", "--set", kinshasa, ...link()]);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain("horloge de l'appareil fiscal réglée");
    const shown = /appareil {5}(\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+01:00\)) = (\S+Z)/.exec(set.stdout);
    expect(shown, set.stdout).not.toBeNull();
    // The offset was applied: the device's UTC time is the target, not an hour off.
    expect(Math.abs(Date.parse(shown![2]!) - target)).toBeLessThan(10_000);
    expect(shown![1]).toBe(formatLocalTime(Date.parse(shown![2]!), "Africa/Kinshasa"));
    expect(set.stdout).toMatch(/ce PC {8}\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+01:00\) = \S+Z/);
    const east = await runCli(["device", "time", ...link(), "--lang", "en"], {
      STALELA_TIME_ZONE: "Africa/Lubumbashi",
    });
    expect(east.code).toBe(0);
    expect(east.stdout).toMatch(/^device clock\n/);
    expect(east.stdout).toMatch(/device time {2}\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+02:00\) = \S+Z/);
    expect(east.stdout).toMatch(/this PC {6}\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+02:00\) = \S+Z/);
    const back = await runCli(["device", "time", "--set", "now", ...link(), "--json"]);
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ set: true, device_time: expect.stringMatching(/Z$/) });
  });

  it("self-test exits 3 when it fails (clock behind the last record)", async () => {
    // One sealed record, then the device clock is pushed an hour behind it: the clock check fails.
    const host = createFiscalDevice(link()[1]!);
    await host.open();
    try {
      await host.session.waitConnected(5_000);
      const prepared = await host.prepare(sale("CLI-SELFTEST-1"));
      await host.commit(prepared.nonce, prepared.payload_hash);
    } finally {
      await host.close();
    }
    const control = emulator.ready.control!;
    const res = await fetch(`http://${control.host}:${control.port}/faults`, {
      method: "PUT",
      body: JSON.stringify({ clock_skew_ms: -3_600_000 }),
    });
    expect(res.status).toBe(200);
    const run = await runCli(["device", "self-test", ...link(), "--json"]);
    expect(run.code).toBe(3);
    const result = JSON.parse(run.stdout) as { passed: boolean; checks: { name: string; passed: boolean }[] };
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => c.name === "clock")?.passed).toBe(false);
    const human = await runCli(["device", "self-test", ...link()]);
    expect(human.code).toBe(3);
    expect(human.stdout).toContain("autotest ÉCHOUÉ");
    expect(human.stdout).toMatch(/ÉCHEC {2}clock/);
  });

  it("exits 3 with the likely causes when no device answers", async () => {
    const run = await runCli([
      "device",
      "info",
      "--device",
      "tcp:127.0.0.1:1",
      "--connect-timeout-ms",
      "300",
      "--json",
    ]);
    expect(run.code).toBe(3);
    expect(errorOf(run)).toMatchObject({ name: "DEVICE_UNAVAILABLE" });
    expect(errorOf(run).detail).toContain("no device answered on tcp:127.0.0.1:1 within 300 ms");
    expect(errorOf(run).detail).toContain("holding the port");
  });
});
