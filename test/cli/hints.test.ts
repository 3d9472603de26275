/**
 * The commands the CLI and the daemon tell a technician to type. Every `stalela …` named in a message,
 * a fix or a help text of cli/, daemon/ and the message catalogues (protocol/i18n/) is written in backticks, and parses with the real program
 * (built by buildProgram, its actions replaced, commander's exit overridden): a hint that names an
 * option that does not exist (`queue list --status FAILED`, for `--failed`) fails here. Services are
 * named by the unit file that exists, stalela-daemon, and nothing says sudo (a fresh Debian 12 has none).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../cli/program.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Code lines of a TypeScript file (doc comments and line comments left out), with their places. */
function codeLines(file: string): { where: string; text: string }[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((text, i) => ({ where: `${relative(ROOT, file)}:${i + 1}`, text }))
    .filter(({ text }) => !/^\s*(\*|\/\*\*|\/\/)/.test(text));
}

// The message catalogues too: the CLI's and the daemon's texts live there, in French and English.
const LINES = [...sources("cli"), ...sources("daemon"), ...sources("protocol/i18n")].flatMap(codeLines);

/** The top-level commands, so that "stalela device" is told apart from prose like "stalela-daemon". */
const TOP = buildProgram().commands.map((c) => c.name());
const NAMED = new RegExp(`(\\\\?\`)?\\bstalela (${TOP.join("|")})\\b`, "g");

/** Every `stalela …` in backticks (a template literal's \` too), with `${…}` put as a sample value. */
function hintedCommands(text: string): string[] {
  return [...text.matchAll(/\\?`stalela ([^`\\]+)\\?`/g)].map((m) => m[1]!.replace(/\$\{[^}]*\}/g, "X"));
}

/** A fresh program whose leaf commands do nothing: parsing is all that runs. */
function parseOnly(): Command {
  const program = buildProgram();
  const visit = (c: Command): void => {
    if (c.commands.length === 0) c.action(() => {});
    c.commands.forEach(visit);
  };
  visit(program);
  return program;
}

describe("commands named in hints", () => {
  const hints = LINES.flatMap(({ where, text }) =>
    hintedCommands(text).map((command) => ({ where, command })),
  );

  it("finds the hints (the scan itself works)", () => {
    const commands = hints.map((h) => h.command);
    expect(commands).toContain("queue list --failed");
    expect(commands).toContain("device time --set now");
    expect(hints.length).toBeGreaterThan(15);
  });

  it("writes every `stalela <command>` of cli/ and daemon/ in backticks", () => {
    const bare = LINES.flatMap(({ where, text }) =>
      [...text.matchAll(NAMED)].filter((m) => m[1] === undefined).map((m) => `${where}: ${m[0]}`),
    );
    expect(bare).toEqual([]);
  });

  it("parses every one with the real program", async () => {
    const refused: string[] = [];
    for (const { where, command } of hints) {
      try {
        await parseOnly().parseAsync(command.split(/\s+/).filter(Boolean), { from: "user" });
      } catch (err) {
        refused.push(`${where}: stalela ${command}: ${(err as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("the parse-only program does refuse a wrong hint (the check can fail)", async () => {
    await expect(
      parseOnly().parseAsync(["queue", "list", "--status", "FAILED"], { from: "user" }),
    ).rejects.toThrow("unknown option '--status'");
  });

  it("names the systemd unit stalela-daemon and never says sudo", () => {
    const wrongUnit = LINES.filter(({ text }) =>
      /(systemctl \w+|journalctl -u) stalela(?![-\w])/.test(text),
    ).map(({ where, text }) => `${where}: ${text.trim()}`);
    expect(wrongUnit).toEqual([]);
    const sudo = LINES.filter(({ text }) => /["'`][^"'`]*\bsudo\b/.test(text)).map(
      ({ where, text }) => `${where}: ${text.trim()}`,
    );
    expect(sudo).toEqual([]);
  });
});
