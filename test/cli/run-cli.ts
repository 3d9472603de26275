/**
 * Runs the built `stalela` binary (dist/cli/main.js, from `npm run build`, which `npm test` runs first)
 * and collects its exit code and output. Its stdio are pipes, as in a script.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The built CLI entry point. */
export const CLI_MAIN = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
/** Longest a CLI run may take, in ms. */
export const CLI_TIMEOUT_MS = 20_000;

/** What a run gave. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How a run is started besides its arguments: as another user (tests running as root), elsewhere. */
export interface CliRunOptions {
  readonly uid?: number;
  readonly gid?: number;
  readonly cwd?: string;
  /** Text written to the command's standard input, then closed (default: no input). */
  readonly stdin?: string;
}

/**
 * The reader every run is for unless its `env` says otherwise: no locale that names a language (so
 * French, the default, whatever the machine running the tests has in LANG or LC_ALL) and no shop time
 * zone (so Africa/Kinshasa, UTC+01:00). Undefined values are left out of the child's environment.
 */
export const DEFAULT_READER_ENV: NodeJS.ProcessEnv = {
  LC_ALL: undefined,
  LC_MESSAGES: undefined,
  LANG: "C.UTF-8",
  STALELA_TIME_ZONE: undefined,
};

/**
 * Runs `stalela ARGS` to completion, with `env` added to this process's environment over
 * DEFAULT_READER_ENV.
 */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  options: CliRunOptions = {},
): Promise<CliRun> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const { stdin, ...spawnOptions } = options;
    const child = spawn(process.execPath, [CLI_MAIN, ...args], {
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: { ...process.env, ...DEFAULT_READER_ENV, ...env },
      ...spawnOptions,
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`stalela ${args.join(" ")} did not finish in ${CLI_TIMEOUT_MS} ms; stderr:\n${stderr}`),
      );
    }, CLI_TIMEOUT_MS);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const dirs: string[] = [];

/** Writes `content` to a file in a temporary directory removed by `removeTempFiles`. */
export function tempFile(name: string, content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-cli-"));
  dirs.push(dir);
  const path = join(dir, name);
  if (content !== undefined) writeFileSync(path, content);
  return path;
}

/** Removes every temporary directory made so far. */
export function removeTempFiles(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `stalela ARGS` on a pseudo-terminal (as a technician at a console): stdout and stderr are a TTY. */
export async function runCliOnTerminal(args: readonly string[]): Promise<{ code: number; output: string }> {
  const { spawn: spawnPty } = (await import("node-pty")).default;
  return new Promise((resolve, reject) => {
    const term = spawnPty(process.execPath, [CLI_MAIN, ...args], { cols: 200, rows: 50, env: process.env });
    let output = "";
    term.onData((d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      term.kill();
      reject(new Error(`stalela ${args.join(" ")} did not finish on the terminal; output:\n${output}`));
    }, CLI_TIMEOUT_MS);
    term.onExit(({ exitCode }) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
}
