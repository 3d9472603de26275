import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGING = fileURLToPath(new URL("../../packaging/", import.meta.url));
/** Where docs/INSTALL.md puts the `stalela` binary. */
const STALELA_BIN = "/usr/bin/stalela";

type Unit = Map<string, Map<string, string[]>>;

/** Parses a unit file (systemd.syntax(7)): sections, `Key=value` lines, repeated keys kept in order. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^\[([A-Za-z]+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      unit.set(header[1]!, section);
      return;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv === null || section === null)
      throw new Error(`line ${i + 1}: not Key=value in a section: ${line}`);
    section.set(kv[1]!, [...(section.get(kv[1]!) ?? []), kv[2]!]);
  });
  return unit;
}

function load(name: string): { text: string; unit: Unit } {
  const text = readFileSync(join(PACKAGING, name), "utf8");
  return { text, unit: parseUnit(text) };
}

const one = (unit: Unit, section: string, key: string) => unit.get(section)?.get(key)?.at(-1);
const all = (unit: Unit, section: string, key: string) => unit.get(section)?.get(key) ?? [];

/** What to do when systemd-analyze is missing: this test fails, it never skips (STYLE.md, Tests). */
const SYSTEMD_ANALYZE_MISSING =
  "systemd-analyze is not installed: it comes with the systemd package (Debian/Ubuntu: apt-get install " +
  "systemd; no running systemd is needed). .ci/run installs it.";

/**
 * systemd-analyze verify on a copy whose ExecStart is an existing binary; returns its exit status and
 * its complaints. Fails with SYSTEMD_ANALYZE_MISSING when the tool is not installed.
 */
function systemdVerify(name: string, text: string): { status: number | null; complaints: string } {
  const dir = mkdtempSync(join(tmpdir(), "stalela-unit-"));
  try {
    const path = join(dir, name);
    writeFileSync(path, text.replaceAll(STALELA_BIN, process.execPath));
    const run = spawnSync("systemd-analyze", ["verify", path], { encoding: "utf8" });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
      throw new Error(SYSTEMD_ANALYZE_MISSING);
    if (run.error) throw new Error(`systemd-analyze cannot run: ${run.error.message}`);
    return { status: run.status, complaints: `${run.stderr}`.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("packaging/stalela-daemon.service", () => {
  const { text, unit } = load("stalela-daemon.service");

  it("runs `stalela daemon` as the stalela user under Type=notify, restarting on failure", () => {
    expect([...unit.keys()]).toEqual(["Unit", "Service", "Install"]);
    expect(one(unit, "Service", "ExecStart")).toBe(`${STALELA_BIN} daemon`);
    expect(one(unit, "Service", "Type")).toBe("notify");
    // The daemon notifies through the systemd-notify child process.
    expect(one(unit, "Service", "NotifyAccess")).toBe("all");
    expect(one(unit, "Service", "User")).toBe("stalela");
    expect(one(unit, "Service", "Group")).toBe("stalela");
    expect(one(unit, "Service", "Restart")).toBe("on-failure");
    expect(all(unit, "Service", "Environment")).toContain("STALELA_STATE_DIR=/var/lib/stalela");
    expect(one(unit, "Install", "WantedBy")).toBe("multi-user.target");
  });

  it("is also enabled as stalela.service (Alias), while hints name the unit file's own name", () => {
    expect(all(unit, "Install", "Alias")).toEqual(["stalela.service"]);
    // An alias only exists once the unit is enabled: `systemctl start stalela-daemon` always works.
    expect(text).not.toMatch(/systemctl (start|stop|restart|status) stalela(?![-\w])/);
  });

  it("is hardened: no new privileges, read-only system but the state directory, DEF-only devices", () => {
    expect(one(unit, "Service", "NoNewPrivileges")).toBe("yes");
    expect(one(unit, "Service", "ProtectSystem")).toBe("strict");
    expect(one(unit, "Service", "ReadWritePaths")).toBe("/var/lib/stalela");
    expect(one(unit, "Service", "ProtectHome")).toBe("yes");
    expect(one(unit, "Service", "PrivateTmp")).toBe("yes");
    expect(one(unit, "Service", "DevicePolicy")).toBe("closed");
    expect(all(unit, "Service", "DeviceAllow")).toEqual([
      "/dev/stalela-def rw",
      "char-ttyACM rw",
      "char-hidraw rw",
      "char-usb_device rw",
    ]);
    expect(one(unit, "Service", "CapabilityBoundingSet")).toBe("");
    expect(unit.get("Service")?.has("PrivateDevices")).toBe(false);
  });

  // systemd-analyze is required: where it is missing this fails (SYSTEMD_ANALYZE_MISSING), it never skips.
  it("passes systemd-analyze verify (no unknown keys, no bad values)", () => {
    expect(systemdVerify("stalela-daemon.service", text)).toEqual({ status: 0, complaints: "" });
    // The check can fail: a key systemd does not know is reported.
    expect(systemdVerify("stalela-daemon.service", `${text}\n[Service]\nNoSuchKey=1\n`).complaints).toContain(
      "NoSuchKey",
    );
  });
});

describe("packaging/stalela-emulator.service", () => {
  const { text, unit } = load("stalela-emulator.service");

  it("runs `stalela emulator` on loopback TCP only (the package has no PTY link), with no devices", () => {
    expect(one(unit, "Service", "ExecStart")).toBe(
      `${STALELA_BIN} emulator --no-link --tcp 127.0.0.1:7300 --state /var/lib/stalela-emulator`,
    );
    expect(one(unit, "Service", "User")).toBe("stalela");
    expect(one(unit, "Service", "PrivateDevices")).toBe("yes");
    expect(all(unit, "Service", "DeviceAllow")).toEqual([]);
    expect(one(unit, "Service", "IPAddressDeny")).toBe("any");
    expect(one(unit, "Service", "IPAddressAllow")).toBe("localhost");
  });

  it("passes systemd-analyze verify", () => {
    expect(systemdVerify("stalela-emulator.service", text)).toEqual({ status: 0, complaints: "" });
  });
});
