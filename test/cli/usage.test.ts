/**
 * One error format and the documented exit codes (docs/CLI.md): a command line commander refuses is
 * exit 2 with E323 USAGE (not commander's exit 1 and its own message); any failure, coded or not,
 * prints `stalela: E<code> NAME: message` on stderr, or `{ "error": { code, name, message } }` on
 * stdout with --json; `--version` prints package.json's version.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { codedError, exitCodeOf } from "../../cli/output.js";
import { buildProgram, runProgram } from "../../cli/program.js";
import { DAEMON_VERSION } from "../../daemon/daemon.js";
import { ERRORS, FiscalError } from "../../protocol/index.js";
import { runCli, tempFile } from "./run-cli.js";

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The one stderr line of a failed human run. */
const FORMAT = /^stalela: E(\d{3}) ([A-Z_]+): .+\n$/;

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe("usage errors", () => {
  it.each([
    ["an unknown option", ["device", "info", "--bogus"], "unknown option '--bogus'"],
    ["a missing argument", ["keys", "revoke"], "missing required argument 'id'"],
    ["a missing option value", ["keys", "create", "--cashier"], "argument missing"],
    ["a missing required option", ["keys", "create"], "required option '--cashier <id>' not specified"],
    ["a bad value", ["device", "info", "--connect-timeout-ms", "soon"], "must be a positive integer"],
    ["an unknown command", ["frobnicate"], "unknown command 'frobnicate'"],
    ["too many arguments", ["doctor", "again"], "too many arguments"],
  ])("%s exits 2 with E323 USAGE in the one format", async (_what, args, text) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(FORMAT);
    expect(run.stderr).toContain(`E${ERRORS.USAGE.code} USAGE: `);
    expect(run.stderr).toContain(text);
  });

  it("with --json the usage error is JSON on stdout, nothing on stderr", async () => {
    const run = await runCli(["queue", "status", "--bogus", "--json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        code: ERRORS.USAGE.code,
        name: "USAGE",
        message:
          "la ligne de commande n'est pas valide : une option inconnue, un argument manquant ou une valeur incorrecte",
        detail: expect.stringContaining("unknown option '--bogus'"),
      },
    });
  });

  it("an old key id that starts with - is told to go after --", async () => {
    const run = await runCli(["keys", "revoke", "-_fvRXGGTnUU"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("goes after --");
  });

  it("a missing subcommand prints the help and exits 2", async () => {
    const run = await runCli(["keys"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Utilisation : stalela keys");
    expect(run.stderr.trimEnd().split("\n").at(-1)).toMatch(
      /^stalela: E323 USAGE: [^\n]* — a subcommand is required/,
    );
  });

  it("--help exits 0", async () => {
    const run = await runCli(["device", "info", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--connect-timeout-ms");
  });
});

describe("--version", () => {
  it("prints package.json's version, the one source DAEMON_VERSION reads too", async () => {
    const run = await runCli(["--version"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${PACKAGE_VERSION}\n`);
    expect(DAEMON_VERSION).toBe(PACKAGE_VERSION);
  });
});

describe("errors that are not usage errors", () => {
  it("a coded failure inside a command keeps its code and its group's exit code", async () => {
    const run = await runCli(["verify", tempFile("missing-dir/none.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(FORMAT);
    expect(run.stderr).toContain("E301 FIELD_REQUIRED: ");
    expect(run.stderr).toContain(" — cannot read");
  });

  it("an uncoded error gets the table's internal code, E400 STORAGE_FAILURE, and exit 1", () => {
    const err = codedError(new TypeError("something broke"));
    expect(err).toBeInstanceOf(FiscalError);
    expect(err).toMatchObject({ code: ERRORS.STORAGE_FAILURE.code, errorName: "STORAGE_FAILURE" });
    expect(err.text).toBe("something broke");
    expect(exitCodeOf(err)).toBe(1);
    expect(exitCodeOf(new FiscalError("RECORD_NOT_FOUND"))).toBe(2);
  });

  it("an error escaping a command's action prints coded at the top level, as JSON with --json", async () => {
    const stderr: string[] = [];
    const stdout: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
    /** The real program plus a command whose action throws something uncoded, outside runAction. */
    const exploding = () => {
      const program = buildProgram();
      program
        .command("explode")
        .option("--json")
        .action(() => {
          throw new RangeError("no coded error here");
        });
      return program;
    };
    await runProgram(exploding(), ["explode"]);
    expect(process.exitCode).toBe(1);
    expect(stderr.join("")).toBe(
      "stalela: E400 STORAGE_FAILURE: le stockage fiscal a échoué — no coded error here\n",
    );
    await runProgram(exploding(), ["explode", "--json"]);
    expect(JSON.parse(stdout.join(""))).toEqual({
      error: {
        code: 400,
        name: "STORAGE_FAILURE",
        message: "le stockage fiscal a échoué",
        detail: "no coded error here",
      },
    });
  });
});
