import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DEFAULT_DEF_USB_IDS } from "../../daemon/transport/usb-ids.js";

const RULES_PATH = fileURLToPath(new URL("../../udev/99-stalela-def.rules", import.meta.url));

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
  const rules = parseRules(readFileSync(RULES_PATH, "utf8"));
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

  it("covers the tty, hidraw and usb nodes of the daemon's default VID:PID, group stalela, mode 0660", () => {
    const bySubsystem = new Map(rules.map((r) => [value(r, "SUBSYSTEM"), r]));
    expect([...bySubsystem.keys()].sort()).toEqual(["hidraw", "tty", "usb"]);
    for (const [subsystem, rule] of bySubsystem) {
      const attrKey = subsystem === "usb" ? "ATTR" : "ATTRS";
      expect(value(rule, attrKey, "idVendor"), subsystem).toBe(vid);
      expect(value(rule, attrKey, "idProduct"), subsystem).toBe(pid);
      expect(value(rule, "GROUP")).toBe("stalela");
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
});
