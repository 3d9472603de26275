/**
 * Runs the real `stalela emulator` process (dist/cli/main.js, built by `npm run build` first), for
 * the tests and benchmarks that need a real process: kills, signals, the PTY and the control channel.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file with a package.json (works from src and dist). */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
/** The built CLI entry point. */
export const CLI_MAIN = join(REPO_ROOT, "dist", "cli", "main.js");
/** How long the process may take to print its ready line, in ms. */
export const READY_TIMEOUT_MS = 15_000;

/** The `emulator.ready` log line. */
export interface ReadyLine {
  readonly device_id: string;
  readonly public_key: string;
  readonly link: string | null;
  readonly tcp: { host: string; port: number } | null;
  readonly control: { host: string; port: number } | null;
  readonly fault_seed: number;
}

/** A running emulator process. */
export interface SpawnedEmulator {
  readonly child: ChildProcess;
  readonly ready: ReadyLine;
  readonly stdout: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `stalela emulator ARGS` and waits for its ready log line. */
export async function spawnEmulator(args: readonly string[]): Promise<SpawnedEmulator> {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: run npm run build first`);
  const child = spawn(process.execPath, [CLI_MAIN, "emulator", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`emulator not ready in time; stderr:\n${err}`)),
      READY_TIMEOUT_MS,
    );
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      for (const line of err.split("\n")) {
        if (!line.includes('"emulator.ready"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line) as ReadyLine);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code ?? signal}) before ready; stderr:\n${err}`));
    });
  });
  return { child, ready, stdout: () => out, exited };
}
