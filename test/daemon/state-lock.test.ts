/**
 * The state-directory lock (daemon/store/state-lock.ts): one holder at a time, the refusal names the
 * holder's pid, a release frees it, and the kernel frees it when the holder is SIGKILLed, so a crash
 * never blocks the restart. The other holder is a real process (the built module, from `npm run build`).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../bench/processes.js";
import {
  acquireStateLock,
  STATE_LOCK_FILE,
  STATE_PID_FILE,
  type StateLock,
} from "../../daemon/store/state-lock.js";
import { isFiscalError } from "../../protocol/index.js";

const LOCK_MODULE = pathToFileURL(join(REPO_ROOT, "dist", "daemon", "store", "state-lock.js")).href;

const dirs: string[] = [];
const held: StateLock[] = [];
const children: ChildProcess[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-lock-"));
  dirs.push(dir);
  return join(dir, "state");
}

function take(dir: string): StateLock {
  const lock = acquireStateLock(dir);
  held.push(lock);
  return lock;
}

/** The error acquireStateLock throws for `dir` (fails the test if it does not throw). */
function refusal(dir: string): unknown {
  try {
    take(dir);
  } catch (err) {
    return err;
  }
  throw new Error(`the lock on ${dir} was granted twice`);
}

/** A separate process that takes the lock on `dir` and holds it until killed. */
async function holdInChild(dir: string): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const script = `const { acquireStateLock } = await import(${JSON.stringify(LOCK_MODULE)});
acquireStateLock(${JSON.stringify(dir)});
process.stdout.write("held\\n");
setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      if (d.toString().includes("held")) resolve();
    });
    void exited.then(() => reject(new Error(`the lock holder exited first:\n${err}`)));
  });
  return { child, exited };
}

afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("the state-directory lock", () => {
  it("creates the directory, records the holder's pid, and refuses a second holder by name", () => {
    const dir = stateDir();
    take(dir);
    expect(existsSync(join(dir, STATE_LOCK_FILE))).toBe(true);
    expect(readFileSync(join(dir, STATE_PID_FILE), "utf8").trim()).toBe(String(process.pid));
    const err = refusal(dir);
    expect(isFiscalError(err, "STATE_LOCKED")).toBe(true);
    expect((err as Error).message).toMatch(/^E410 STATE_LOCKED: /);
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
  });

  it("is free again once released, and the pid file goes with it", () => {
    const dir = stateDir();
    const first = take(dir);
    first.release();
    first.release(); // idempotent
    expect(existsSync(join(dir, STATE_PID_FILE))).toBe(false);
    take(dir);
    expect(readFileSync(join(dir, STATE_PID_FILE), "utf8").trim()).toBe(String(process.pid));
  });

  it("refuses while another process holds it, and is free the moment that process is SIGKILLed", async () => {
    const dir = stateDir();
    const { child, exited } = await holdInChild(dir);
    const err = refusal(dir);
    expect(isFiscalError(err, "STATE_LOCKED")).toBe(true);
    expect((err as Error).message).toContain(`pid ${child.pid}`);
    child.kill("SIGKILL");
    await exited;
    // The crashed holder's pid file is still there, but the lock is the kernel's and it is free.
    expect(existsSync(join(dir, STATE_PID_FILE))).toBe(true);
    take(dir);
    expect(readFileSync(join(dir, STATE_PID_FILE), "utf8").trim()).toBe(String(process.pid));
  });

  it("reports a directory it cannot create as a storage failure naming the path", () => {
    const dir = stateDir();
    take(dir);
    // A state "directory" below a regular file cannot exist.
    const below = join(dir, STATE_PID_FILE, "nested");
    const err = refusal(below);
    expect(isFiscalError(err, "STORAGE_FAILURE")).toBe(true);
    expect((err as Error).message).toContain(below);
  });
});
