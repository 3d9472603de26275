/**
 * `stalela doctor`: the pure verdicts (every check's ok / warn / fail and the exit-code rule), then the
 * real binary on this machine: a missing device (exit 3), a fine setup against an emulator process
 * (exit 0), and an unreachable cloud alone (exit 4).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedEmulator, spawnEmulator } from "../../bench/processes.js";
import {
  type CheckResult,
  checkClock,
  checkCloud,
  checkDatabase,
  checkDevice,
  checkDisk,
  checkUdev,
  DISK_FAIL_BYTES,
  DISK_WARN_BYTES,
  type DoctorObservations,
  doctorExitCode,
  doctorReport,
} from "../../cli/doctor/report.js";
import { STORE_FILE } from "../../cli/state.js";
import { openDatabase } from "../../daemon/store/database.js";
import { runCli } from "./run-cli.js";

const NOW = Date.UTC(2026, 5, 1, 12);

/** A healthy machine; each test breaks one thing. */
function healthy(): DoctorObservations {
  return {
    device: {
      uri: "serial:/dev/stalela-def",
      path: "/dev/stalela-def",
      exists: true,
      answer: { deviceId: "DEF-1", state: "ACTIVE", warnings: [] },
    },
    udevRule: "/etc/udev/rules.d/99-stalela-def.rules",
    hostNow: NOW,
    deviceClock: { now: NOW + 1_000, valid: true },
    disk: { path: "/var/lib/stalela", freeBytes: 20 * 1024 ** 3 },
    database: {
      path: "/var/lib/stalela/daemon.sqlite",
      exists: true,
      quickCheck: "ok",
      schemaVersion: 2,
      expectedVersion: 2,
    },
    daemon: { url: "http://127.0.0.1:8765", version: "0.1.0" },
    cloud: { url: "https://cloud.example", status: 404 },
  };
}

describe("doctor verdicts (pure)", () => {
  it("a healthy machine is all ok and exits 0", () => {
    const checks = doctorReport(healthy());
    expect(checks.map((c) => c.level)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok", "ok"]);
    expect(doctorExitCode(checks)).toBe(0);
  });

  it("a missing default path explains the emulator; another path explains plugging in", () => {
    const emu = checkDevice({ uri: "serial:/tmp/stalela-def", path: "/tmp/stalela-def", exists: false });
    expect(emu).toMatchObject({ level: "fail", area: "device" });
    expect(emu.fix).toContain("stalela emulator");
    const hw = checkDevice({ uri: "serial:/dev/stalela-def", path: "/dev/stalela-def", exists: false });
    expect(hw.fix).toContain("plug the DEF in");
  });

  it("permission denied names the group and the udev rule", () => {
    const c = checkDevice({
      uri: "serial:/dev/stalela-def",
      path: "/dev/stalela-def",
      exists: true,
      accessError: "EACCES",
    });
    expect(c.level).toBe("fail");
    expect(c.fix).toContain("usermod -aG stalela-dev USER");
    expect(c.fix).toContain("99-stalela-def.rules");
    expect(c.fix).toContain("udevadm trigger");
    // A fresh Debian 12 has no sudo, and technicians work as root.
    expect(c.fix).not.toContain("sudo");
  });

  it("device answers: unactivated warns, locked fails, a port held by the daemon is ok", () => {
    const answer = (state: string) => ({ deviceId: "DEF-1", state, warnings: [] });
    expect(checkDevice({ uri: "tcp:h:1", answer: answer("UNACTIVATED") }).level).toBe("warn");
    expect(checkDevice({ uri: "tcp:h:1", answer: answer("LOCKED") }).level).toBe("fail");
    expect(checkDevice({ uri: "tcp:h:1", error: "timeout" }).level).toBe("fail");
    expect(checkDevice({ uri: "serial:/x", path: "/x", exists: true, heldByDaemon: true }).level).toBe("ok");
  });

  it("udev: missing rule warns with the install command", () => {
    expect(checkUdev(null)).toMatchObject({ level: "warn" });
    expect(checkUdev(null).fix).toBe(
      "`cp udev/99-stalela-def.rules /etc/udev/rules.d/ && udevadm control --reload && udevadm trigger`",
    );
  });

  it("clock: a reset host clock fails, a skewed device warns, an invalid device clock fails", () => {
    expect(checkClock({ hostNow: Date.UTC(2001, 0, 1) }).level).toBe("fail");
    expect(checkClock({ hostNow: NOW }).level).toBe("ok");
    const skewed = checkClock({ hostNow: NOW, deviceClock: { now: NOW - 20 * 60_000, valid: true } });
    expect(skewed.level).toBe("warn");
    expect(skewed.message).toContain("-20.0 min");
    expect(skewed.fix).toContain("stalela device time --set now");
    expect(checkClock({ hostNow: NOW, deviceClock: { now: NOW, valid: false } }).level).toBe("fail");
  });

  it("disk: warns under 1 GiB, fails under 100 MiB", () => {
    expect(checkDisk({ path: "/", freeBytes: DISK_WARN_BYTES }).level).toBe("ok");
    expect(checkDisk({ path: "/", freeBytes: DISK_WARN_BYTES - 1 }).level).toBe("warn");
    expect(checkDisk({ path: "/", freeBytes: DISK_FAIL_BYTES - 1 }).level).toBe("fail");
    expect(checkDisk({ path: "/", error: "EIO" }).level).toBe("fail");
  });

  it("database: missing warns, corrupt or newer fails, older warns (migrated at start)", () => {
    const db = healthy().database;
    expect(checkDatabase({ ...db, exists: false }).level).toBe("warn");
    expect(checkDatabase({ ...db, quickCheck: "row 3 missing from index" }).level).toBe("fail");
    expect(checkDatabase({ ...db, error: "SQLITE_NOTADB" }).level).toBe("fail");
    expect(checkDatabase({ ...db, schemaVersion: 3 }).level).toBe("fail");
    expect(checkDatabase({ ...db, schemaVersion: 1 }).level).toBe("warn");
  });

  it("cloud: skipped without a URL, any HTTP answer is reachable, no answer fails", () => {
    expect(checkCloud({ url: null }).level).toBe("ok");
    expect(checkCloud({ url: "http://c", status: 503 }).level).toBe("ok");
    expect(checkCloud({ url: "http://c", error: "ECONNREFUSED" }).level).toBe("fail");
  });

  it("writes for a reader: French with the shop's local time, English and UTC ISO 8601 by default (--json)", () => {
    const french = doctorReport(healthy(), { lang: "fr", timeZone: "Africa/Kinshasa" });
    const clock = french.find((c) => c.area === "clock")!;
    // 12:00 UTC is 13:00 in Kinshasa; French writes the decimal comma.
    expect(clock.message).toBe(
      "horloge de l'appareil fiscal à +1,0 s de celle de cet ordinateur (01/06/2026 13:00:00 (UTC+01:00))",
    );
    expect(checkClock(healthy()).message).toBe(
      "device clock +1.0 s from this computer's (2026-06-01T12:00:00.000Z)",
    );
    const east = checkClock({ hostNow: NOW }, { lang: "en", timeZone: "Africa/Lubumbashi" });
    expect(east.message).toBe("this computer: 01/06/2026 14:00:00 (UTC+02:00)");
    const udev = checkUdev(null, { lang: "fr" });
    expect(udev.message).toBe(
      "la règle udev 99-stalela-def.rules n'est pas installée : un appareil fiscal branché n'appartient qu'à root",
    );
    expect(udev.fix).toBe(checkUdev(null).fix);
    expect(french.map((c) => c.level)).toEqual(doctorReport(healthy()).map((c) => c.level));
  });

  it("exit codes: device fail → 3 (even with others), cloud-only fail → 4, other fail → 1, warnings → 0", () => {
    const c = (area: CheckResult["area"], level: CheckResult["level"]): CheckResult => ({
      area,
      level,
      message: "",
    });
    expect(doctorExitCode([c("device", "fail"), c("cloud", "fail"), c("disk", "fail")])).toBe(3);
    expect(doctorExitCode([c("device", "ok"), c("cloud", "fail")])).toBe(4);
    expect(doctorExitCode([c("cloud", "fail"), c("database", "fail")])).toBe(1);
    expect(doctorExitCode([c("daemon", "warn"), c("udev", "warn")])).toBe(0);
  });
});

describe("stalela doctor (binary)", () => {
  let emulator: SpawnedEmulator;
  let dir: string;
  /** A loopback URL where nothing listens (port 1 needs root to bind, and nothing does). */
  const NOWHERE = "http://127.0.0.1:1";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stalela-cli-doctor-"));
    emulator = await spawnEmulator(["--tcp", "127.0.0.1:0", "--no-link", "--state", join(dir, "emu")]);
    // A store as the daemon leaves it (openDatabase creates and migrates it, as the daemon's start does).
    mkdirSync(join(dir, "daemon"));
    openDatabase(join(dir, "daemon", STORE_FILE)).close();
  });
  afterAll(async () => {
    emulator?.child.kill("SIGTERM");
    await emulator?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports a missing device with exit 3 and the fix", async () => {
    const run = await runCli([
      "doctor",
      "--device",
      `serial:${join(dir, "no-such-port")}`,
      "--state",
      join(dir, "daemon"),
      "--url",
      NOWHERE,
      "--json",
    ]);
    expect(run.code).toBe(3);
    const report = JSON.parse(run.stdout) as { ok: boolean; exit_code: number; checks: CheckResult[] };
    expect(report).toMatchObject({ ok: false, exit_code: 3 });
    const device = report.checks.find((c) => c.area === "device")!;
    expect(device.level).toBe("fail");
    expect(device.message).toContain("does not exist");
    const human = await runCli([
      "doctor",
      "--device",
      "serial:/tmp/stalela-def-nowhere",
      "--state",
      join(dir, "daemon"),
      "--url",
      NOWHERE,
    ]);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/^ÉCHEC {3}appareil {2}\/tmp\/stalela-def-nowhere n'existe pas : /m);
    expect(human.stdout).toMatch(/^ {18}solution : branchez l'appareil fiscal/m);
    expect(human.stdout).toContain("corrigez les lignes ÉCHEC ci-dessus, puis relancez `stalela doctor`");
    const english = await runCli(
      [
        "doctor",
        "--device",
        "serial:/tmp/stalela-def-nowhere",
        "--state",
        join(dir, "daemon"),
        "--url",
        NOWHERE,
      ],
      { LANG: "en_US.UTF-8" },
    );
    expect(english.stdout).toMatch(/^FAIL {2}device {4}\/tmp\/stalela-def-nowhere does not exist: /m);
    expect(english.stdout).toMatch(/^ {16}fix: plug the DEF in/m);
  });

  it("passes a fine setup (device answers, store ok) with exit 0, and exits 4 when only the cloud fails", async () => {
    const base = [
      "doctor",
      "--device",
      `tcp:127.0.0.1:${emulator.ready.tcp!.port}`,
      "--state",
      join(dir, "daemon"),
      "--url",
      NOWHERE,
    ];
    const run = await runCli([...base, "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { ok: boolean; checks: CheckResult[] };
    expect(report.ok).toBe(true);
    const byArea = Object.fromEntries(report.checks.map((c) => [c.area, c]));
    expect(byArea.device!.message).toContain(emulator.ready.device_id);
    expect(byArea.device!.level).toBe("warn"); // answered, but not activated
    expect(byArea.database).toMatchObject({ level: "ok" });
    expect(byArea.database!.message).toContain("quick_check ok");
    expect(byArea.clock!.level).toBe("ok");
    expect(byArea.disk!.level).not.toBe("fail");
    expect(byArea.daemon!.level).toBe("warn");
    const cloud = await runCli([...base, "--cloud", NOWHERE, "--json"]);
    expect(cloud.code).toBe(4);
    expect(
      (JSON.parse(cloud.stdout) as { checks: CheckResult[] }).checks.find((c) => c.area === "cloud"),
    ).toMatchObject({
      level: "fail",
    });
  });
});
