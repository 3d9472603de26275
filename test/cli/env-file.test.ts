/**
 * The installed defaults: `$STALELA_ENV_FILE` (the service's EnvironmentFile, /etc/stalela/daemon.env)
 * read once before the commands parse, filling in only what the environment leaves unset, so that
 * flags > environment > env file > built-in defaults.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_FILE_VARIABLE, loadEnvFile, parseEnvFile } from "../../cli/env-file.js";
import { isFiscalError } from "../../protocol/index.js";
import { runCli, tempFile } from "./run-cli.js";

/** The error `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("parseEnvFile", () => {
  it("reads KEY=VALUE lines, skips comments and blank lines, and unquotes values", () => {
    const text = [
      "# settings",
      "",
      "STALELA_STATE_DIR=/var/lib/stalela",
      "  ; a systemd comment too",
      'STALELA_DEVICE="serial:/dev/stalela-def"',
      "STALELA_CLOUD_URL='https://cloud.example/a b'",
      'QUOTED="say \\"hi\\" \\\\ done"',
      "SPACED = value with spaces  ",
      "EMPTY=",
      "STALELA_STATE_DIR=/srv/stalela",
    ].join("\n");
    expect(Object.fromEntries(parseEnvFile(text, "/etc/stalela/daemon.env"))).toEqual({
      STALELA_STATE_DIR: "/srv/stalela",
      STALELA_DEVICE: "serial:/dev/stalela-def",
      STALELA_CLOUD_URL: "https://cloud.example/a b",
      QUOTED: 'say "hi" \\ done',
      SPACED: "value with spaces",
      EMPTY: "",
    });
  });

  it.each([
    ["no =", "STALELA_DEVICE serial:/dev/x", 2],
    ["an unterminated quote", 'STALELA_DEVICE="serial:/dev/x', 2],
    ["text after a closing quote", "STALELA_DEVICE='a' b", 2],
    ["a key that is no name", "1ABC=x", 2],
    ["a stray quote", "STALELA_DEVICE=it's", 2],
  ])("refuses %s as FIELD_TYPE naming the file and the line", (_what, line, lineNumber) => {
    const err = thrown(() => parseEnvFile(`# ok\n${line}\n`, "/etc/stalela/daemon.env"));
    expect(isFiscalError(err, "FIELD_TYPE")).toBe(true);
    expect((err as Error).message).toContain(`/etc/stalela/daemon.env line ${lineNumber}`);
  });

  it("parses the env file the package ships", () => {
    const shipped = new URL("../../packaging/daemon.env", import.meta.url);
    const vars = parseEnvFile(readFileSync(shipped, "utf8"), "packaging/daemon.env");
    expect(vars.get("STALELA_STATE_DIR")).toBe("/var/lib/stalela");
    expect(vars.get("STALELA_DEVICE")).toBe("serial:/dev/stalela-def");
  });
});

describe("loadEnvFile", () => {
  it("adds only what the environment does not set (even to the empty string)", () => {
    const file = tempFile("daemon.env", "A=from-file\nB=from-file\nC=from-file\n");
    const env: NodeJS.ProcessEnv = { [ENV_FILE_VARIABLE]: file, A: "from-env", B: "" };
    expect(loadEnvFile(env)).toEqual(["C"]);
    expect(env).toMatchObject({ A: "from-env", B: "", C: "from-file" });
  });

  it("is no settings without the variable or without the file", () => {
    expect(loadEnvFile({})).toEqual([]);
    const env: NodeJS.ProcessEnv = { [ENV_FILE_VARIABLE]: tempFile("absent.env") };
    expect(loadEnvFile(env)).toEqual([]);
  });

  it("a file it may not read is STORAGE_FAILURE naming it", () => {
    const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const err = thrown(() =>
      loadEnvFile({ [ENV_FILE_VARIABLE]: "/etc/stalela/daemon.env" }, () => {
        throw denied;
      }),
    );
    expect(isFiscalError(err, "STORAGE_FAILURE")).toBe(true);
    expect((err as Error).message).toContain("cannot read /etc/stalela/daemon.env");
    expect((err as Error).message).toContain("EACCES");
  });
});

describe("the CLI with an env file", () => {
  it("takes the device from the file, the environment over it, and a flag over both", async () => {
    // Nothing listens on these ports: the error names the device each run used.
    const file = tempFile("daemon.env", "STALELA_DEVICE=tcp:127.0.0.1:1\n");
    const state = ["--state", tempFile("no-daemon"), "--connect-timeout-ms", "200", "--json"];
    const message = async (args: string[], env: NodeJS.ProcessEnv) =>
      (
        JSON.parse((await runCli(["device", "info", ...args, ...state], env)).stdout) as {
          error: { detail: string };
        }
      ).error.detail;
    expect(await message([], { STALELA_ENV_FILE: file })).toContain("on tcp:127.0.0.1:1 ");
    expect(await message([], { STALELA_ENV_FILE: file, STALELA_DEVICE: "tcp:127.0.0.1:2" })).toContain(
      "on tcp:127.0.0.1:2 ",
    );
    expect(
      await message(["--device", "tcp:127.0.0.1:3"], {
        STALELA_ENV_FILE: file,
        STALELA_DEVICE: "tcp:127.0.0.1:2",
      }),
    ).toContain("on tcp:127.0.0.1:3 ");
  });

  it("a malformed line stops every command with exit 2, naming the file and the line", async () => {
    const file = tempFile("daemon.env", "STALELA_STATE_DIR=/var/lib/stalela\nnot a setting\n");
    const run = await runCli(["keys", "list"], { STALELA_ENV_FILE: file });
    expect(run.code).toBe(2);
    expect(run.stderr.startsWith("stalela: E302 FIELD_TYPE: ")).toBe(true);
    expect(run.stderr).toContain(` — ${file} line 2: not KEY=VALUE`);
    expect(run.stderr).toContain("not a setting");
  });
});
