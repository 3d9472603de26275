import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_DEF_USB_IDS } from "../../daemon/transport/usb-ids.js";

const RULES_PATH = fileURLToPath(new URL("../../udev/99-stalela-def.rules", import.meta.url));

/**
 * The group the rules give the device to; the package's postinst creates it (packaging/debian). Not
 * "stalela", the group that owns the fiscal state: device access must not give the store.
 */
const DEF_GROUP = "stalela-dev";
/** Where udevadm reads the rules under test inside its private namespace (a fresh tmpfs /run). */
const RULES_UNDER_TEST = "/run/udev/rules.d/99-stalela-def.rules";
/** A device every Linux has in sysfs: `udevadm test` needs one to run, our rules never match it. */
const TEST_DEVPATH = "/devices/virtual/mem/null";
/** What to do when udevadm is missing: this test fails, it never skips (STYLE.md, Tests). */
const UDEVADM_MISSING =
  "udevadm is not installed: it comes with the udev package (Debian/Ubuntu: apt-get install udev; no " +
  "running udevd is needed). .ci/run installs it.";

/**
 * udev's own reading of a rules file: `udevadm test` loads every rules file and logs each problem as
 * `FILE:LINE message` (Debian 12's udev 252 has no `udevadm verify`, which came in 253). It runs in a
 * private mount namespace (as root; otherwise in a user namespace too), where /run and /dev are fresh
 * tmpfs, the machine's rules directories are hidden, /etc/group also names DEF_GROUP and the rules are
 * RULES_UNDER_TEST: nothing on the machine is read as a rule or changed. Returns whether udevadm read
 * the file and its lines about it.
 */
function udevRead(rules: string): { read: boolean; complaints: string[] } {
  const version = spawnSync("udevadm", ["--version"], { encoding: "utf8" });
  if ((version.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    throw new Error(UDEVADM_MISSING);
  if (version.error || version.status !== 0)
    throw new Error(`udevadm --version failed: ${version.error?.message ?? version.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), "stalela-udev-"));
  try {
    const group = join(dir, "group");
    writeFileSync(group, `${readFileSync("/etc/group", "utf8").trimEnd()}\n${DEF_GROUP}:x:64999:\n`);
    // /etc/group is bound first: the temporary directory may itself lie under /run.
    const script = [
      "set -e",
      'mount --bind "$1" /etc/group',
      "mount -t tmpfs tmpfs /run",
      "mount -t tmpfs tmpfs /dev",
      "for d in /etc/udev/rules.d /usr/local/lib/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d; do",
      '  if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi',
      "done",
      'mkdir -p "$(dirname "$2")"',
      'cat > "$2"',
      'exec udevadm test --action=add "$3" 2>&1',
    ].join("\n");
    const namespace = process.getuid?.() === 0 ? ["--mount"] : ["--user", "--map-root-user", "--mount"];
    const run = spawnSync(
      "unshare",
      [...namespace, "sh", "-c", script, "sh", group, RULES_UNDER_TEST, TEST_DEVPATH],
      { input: rules, encoding: "utf8" },
    );
    if (run.error) throw new Error(`unshare (util-linux) cannot run: ${run.error.message}`);
    const lines = `${run.stdout}${run.stderr}`.split("\n");
    if (run.status !== 0) {
      throw new Error(
        `udevadm test in a private mount namespace failed (${run.status}); it needs root or user ` +
          `namespaces:\n${lines.slice(-20).join("\n")}`,
      );
    }
    return {
      read: lines.includes(`Reading rules file: ${RULES_UNDER_TEST}`),
      complaints: lines.filter((l) => l.startsWith(`${RULES_UNDER_TEST}:`)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One `KEY{attr}OP"value"` assignment or match of a rule. */
interface RuleToken {
  readonly key: string;
  readonly attr: string | null;
  readonly op: string;
  readonly value: string;
}

/** Keys our rules may use (udev(7)); anything else is a typo udev would ignore with a warning. */
const KNOWN_KEYS = new Set([
  "ACTION",
  "SUBSYSTEM",
  "SUBSYSTEMS",
  "KERNEL",
  "KERNELS",
  "ATTR",
  "ATTRS",
  "ENV",
  "DRIVERS",
  "GROUP",
  "OWNER",
  "MODE",
  "SYMLINK",
  "TAG",
  "OPTIONS",
]);
const MATCH_OPS = new Set(["==", "!="]);
const MATCH_ONLY_KEYS = new Set([
  "ACTION",
  "SUBSYSTEM",
  "SUBSYSTEMS",
  "KERNEL",
  "KERNELS",
  "ATTR",
  "ATTRS",
  "DRIVERS",
]);
const ASSIGN_ONLY_KEYS = new Set(["GROUP", "OWNER", "MODE", "SYMLINK", "TAG", "OPTIONS"]);
const ASSIGN_OPS = new Set(["=", "+=", "-=", ":="]);
const TOKEN = /^([A-Z_]+)(?:\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$/;

/** Parses a rules file the way udev reads it: one rule per line, comma-separated tokens. */
function parseRules(text: string): RuleToken[][] {
  const rules: RuleToken[][] = [];
  text.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const tokens = trimmed.split(/,\s*/).map((part) => {
      const m = TOKEN.exec(part.trim());
      if (m === null) throw new Error(`line ${i + 1}: cannot parse ${JSON.stringify(part)}`);
      return { key: m[1]!, attr: m[2] ?? null, op: m[3]!, value: m[4]! };
    });
    rules.push(tokens);
  });
  return rules;
}

const value = (rule: RuleToken[], key: string, attr: string | null = null) =>
  rule.find((t) => t.key === key && t.attr === attr)?.value;

describe("udev/99-stalela-def.rules", () => {
  const text = readFileSync(RULES_PATH, "utf8");
  const rules = parseRules(text);
  const { vendorId, productId } = DEFAULT_DEF_USB_IDS[0]!;
  const vid = vendorId.toString(16).padStart(4, "0");
  const pid = productId.toString(16).padStart(4, "0");

  it("parses: known keys, match operators on matches, assignments on actions", () => {
    expect(rules.length).toBe(3);
    for (const rule of rules) {
      for (const t of rule) {
        expect(KNOWN_KEYS.has(t.key), `unknown key ${t.key}`).toBe(true);
        // ATTR with "=" would write to sysfs: in these rules it only ever matches.
        if (MATCH_ONLY_KEYS.has(t.key)) expect(MATCH_OPS.has(t.op), `${t.key}${t.op}`).toBe(true);
        if (ASSIGN_ONLY_KEYS.has(t.key)) expect(ASSIGN_OPS.has(t.op), `${t.key}${t.op}`).toBe(true);
      }
      expect(rule.filter((t) => MATCH_OPS.has(t.op)).length).toBeGreaterThanOrEqual(3);
    }
  });

  it("covers the tty, hidraw and usb nodes of the daemon's default VID:PID, group stalela-dev, mode 0660", () => {
    const bySubsystem = new Map(rules.map((r) => [value(r, "SUBSYSTEM"), r]));
    expect([...bySubsystem.keys()].sort()).toEqual(["hidraw", "tty", "usb"]);
    for (const [subsystem, rule] of bySubsystem) {
      const attrKey = subsystem === "usb" ? "ATTR" : "ATTRS";
      expect(value(rule, attrKey, "idVendor"), subsystem).toBe(vid);
      expect(value(rule, attrKey, "idProduct"), subsystem).toBe(pid);
      expect(value(rule, "GROUP")).toBe(DEF_GROUP);
      expect(value(rule, "MODE")).toBe("0660");
      expect(rule.some((t) => t.key === "TAG" && t.value === "uaccess")).toBe(false);
    }
    expect(value(bySubsystem.get("usb")!, "ENV", "DEVTYPE")).toBe("usb_device");
  });

  it("gives the serial port the stable /dev/stalela-def symlink the daemon's default transport uses", () => {
    const symlinks = rules.map((r) => [value(r, "SUBSYSTEM"), value(r, "SYMLINK")]);
    expect(symlinks).toEqual([
      ["tty", "stalela-def"],
      ["hidraw", "stalela-def-hidraw"],
      ["usb", "stalela-def-usb"],
    ]);
    const tty = rules.find((r) => value(r, "SUBSYSTEM") === "tty")!;
    expect(value(tty, "ENV", "ID_MM_DEVICE_IGNORE")).toBe("1");
  });

  // udevadm is required: where it is missing this fails (UDEVADM_MISSING), it never skips.
  it("is read by udev itself (udevadm test) without a single complaint", () => {
    expect(udevRead(text)).toEqual({ read: true, complaints: [] });
    // The check can fail: udev names an unknown key and an unknown group, with their line.
    const broken = udevRead(
      `${text}SUBSYSTEM=="tty", NO_SUCH_KEY="1"\nSUBSYSTEM=="tty", GROUP="no-such-group"\n`,
    );
    const lines = text.trimEnd().split("\n").length;
    expect(broken.read).toBe(true);
    expect(broken.complaints).toEqual([
      expect.stringMatching(new RegExp(`^${RULES_UNDER_TEST}:${lines + 1} .*NO_SUCH_KEY`)),
      expect.stringMatching(new RegExp(`^${RULES_UNDER_TEST}:${lines + 2} .*no-such-group`)),
    ]);
  });
});
