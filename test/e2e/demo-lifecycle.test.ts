/**
 * `stalela demo` as a process that comes and goes cleanly: its temporary state is removed on SIGHUP
 * (the terminal closed), SIGTERM and SIGINT alike, and when its start fails; the default port gives way
 * to a free one (and the printed URL is the real one); a port asked for with --port that is taken is an
 * error. Each demo gets its own TMPDIR, so "the state is gone" means that directory is empty again.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_MAIN } from "../../bench/processes.js";
import { DEFAULT_HTTP_PORT } from "../../daemon/config.js";

/** A demo process, its output so far, and promises for its banner and its exit. */
interface DemoRun {
  readonly child: ChildProcess;
  readonly tmp: string;
  readonly out: () => string;
  readonly err: () => string;
  readonly banner: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts `stalela demo ARGS` with a TMPDIR of its own. */
function demo(args: readonly string[]): DemoRun {
  const tmp = mkdtempSync(join(tmpdir(), "stalela-demo-test-"));
  const child = spawn(process.execPath, [CLI_MAIN, "demo", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, TMPDIR: tmp },
  });
  let out = "";
  let err = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const banner = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Press Ctrl+C")) resolve(out);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`the demo exited (${code ?? signal}) before its banner:\n${out}\n${err}`)),
    );
  });
  banner.catch(() => {});
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });
  return { child, tmp, out: () => out, err: () => err, banner, exited };
}

/** Holds `port` on 127.0.0.1 for the test (0: a free one); returns the port now taken. */
async function hold(port: number): Promise<number> {
  const server: Server = createServer();
  const bound = await new Promise<boolean>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      err.code === "EADDRINUSE" ? resolve(false) : reject(err),
    );
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  // Already held by another program: taken all the same, which is what the test needs.
  if (!bound) return port;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** What the banner says about the state directory and the API. */
function parseBanner(text: string): { state: string; api: string; curl: string } {
  return {
    state: /^ {2}state\s+(\S+)/m.exec(text)![1]!,
    api: /^ {2}API\s+(\S+)\/v1\s/m.exec(text)![1]!,
    curl: /curl -s -X POST (\S+)\/v1\/invoices/.exec(text)![1]!,
  };
}

describe("stalela demo", () => {
  it.each(["SIGHUP", "SIGTERM", "SIGINT"] as const)(
    "removes its temporary state and exits 0 on %s",
    async (signal) => {
      const run = demo(["--port", "0"]);
      const { state } = parseBanner(await run.banner);
      expect(state.startsWith(run.tmp)).toBe(true);
      expect(existsSync(state)).toBe(true);
      run.child.kill(signal);
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(state)).toBe(false);
      expect(readdirSync(run.tmp)).toEqual([]);
    },
    60_000,
  );

  it("takes a free port when the default one is taken, and prints the real URL", async () => {
    await hold(DEFAULT_HTTP_PORT);
    const run = demo([]);
    const text = await run.banner;
    const { api, curl } = parseBanner(text);
    expect(Number(new URL(api).port)).not.toBe(DEFAULT_HTTP_PORT);
    expect(curl).toBe(api);
    expect(text).toContain(`port ${DEFAULT_HTTP_PORT} is in use`);
    const health = await fetch(`${api}/v1/health`);
    expect(health.status).toBe(200);
    run.child.kill("SIGTERM");
    expect((await run.exited).code).toBe(0);
    expect(readdirSync(run.tmp)).toEqual([]);
  }, 60_000);

  it("fails on a --port that is taken: non-zero, the address named, nothing left behind", async () => {
    const port = await hold(0);
    const run = demo(["--port", String(port)]);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.err()).toMatch(
      new RegExp(`^stalela: E411 ADDRESS_IN_USE: [^\\n]* — cannot listen on 127\\.0\\.0\\.1:${port}\\b`, "m"),
    );
    expect(run.out()).not.toContain("Press Ctrl+C");
    expect(readdirSync(run.tmp)).toEqual([]);
  }, 60_000);
});
