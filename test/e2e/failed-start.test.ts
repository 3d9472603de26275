/**
 * The real `stalela daemon` process when it cannot start: it must exit by itself, non-zero, with the
 * coded error on stderr (`stalela: E<code> NAME: message`), after closing what it had opened. Before,
 * a taken port printed EADDRINUSE and the process hung, its device link and timers keeping it alive.
 * The emulated DEF serves TCP here, so the test can watch the daemon's link arrive and go.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { STATE_PID_FILE } from "../../daemon/store/state-lock.js";
import { type CliRun, runCli } from "../cli/run-cli.js";
import { type SpawnedEmulator, spawnEmulator } from "../emulator/spawn.js";

const dir = mkdtempSync(join(tmpdir(), "stalela-failstart-"));
let emulator: SpawnedEmulator;
let emulatorLog = "";
const holders: Server[] = [];

beforeAll(async () => {
  emulator = await spawnEmulator(["--no-link", "--tcp", "127.0.0.1:0", "--state", join(dir, "emulator")]);
  emulator.child.stderr!.on("data", (d: Buffer) => {
    emulatorLog += d.toString();
  });
}, 30_000);

afterEach(async () => {
  for (const server of holders.splice(0)) await new Promise((resolve) => server.close(resolve));
});

afterAll(async () => {
  if (emulator && emulator.child.exitCode === null) {
    emulator.child.kill("SIGTERM");
    await emulator.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the emulator has logged `event` after `offset` in its log (waits for the event). */
function emulatorLogs(offset: number, event: string): Promise<void> {
  const stderr = emulator.child.stderr!;
  return new Promise((resolve) => {
    const check = (): void => {
      if (!emulatorLog.slice(offset).includes(`"event":"${event}"`)) return;
      stderr.off("data", check);
      resolve();
    };
    stderr.on("data", check);
    check();
  });
}

/** A port another listener holds on 127.0.0.1. */
async function takenPort(): Promise<number> {
  const server = createServer();
  holders.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** `stalela daemon` on the emulator's TCP link with `args`, to its exit. */
function daemon(state: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const device = `tcp:127.0.0.1:${emulator.ready.tcp!.port}`;
  return runCli(["daemon", "--device", device, "--state", state, "--log-level", "warn", ...args], env);
}

describe("stalela daemon that cannot start", () => {
  it("exits 1 on a taken port, naming the address, after closing its device link and admin socket", async () => {
    const port = await takenPort();
    const state = join(dir, "port-taken");
    const offset = emulatorLog.length;
    const run = await daemon(state, ["--port", String(port)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^stalela: E411 ADDRESS_IN_USE: [^\\n]* — cannot listen on 127\\.0\\.0\\.1:${port}\\b`, "m"),
    );
    // The daemon had connected to the DEF before it tried the port, and let go of it.
    await emulatorLogs(offset, "link.host_gone");
    expect(emulatorLog.slice(offset)).toContain('"event":"link.host_attached"');
    expect(existsSync(join(state, "admin.sock"))).toBe(false);
    expect(existsSync(join(state, STATE_PID_FILE))).toBe(false);
  }, 60_000);

  it("exits 2 on an API host that is not this machine's, and lets go of the device the same way", async () => {
    const state = join(dir, "bad-host");
    const offset = emulatorLog.length;
    // Allowed as a non-loopback listen, so that the listen itself is what fails.
    const run = await daemon(state, ["--host", "192.0.2.1", "--port", "0"], {
      STALELA_HTTP_ALLOW_NON_LOOPBACK: "1",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^stalela: E303 FIELD_RANGE: [^\n]* — cannot listen on 192\.0\.2\.1:0: http\.host/m,
    );
    await emulatorLogs(offset, "link.host_gone");
    expect(emulatorLog.slice(offset)).toContain('"event":"link.host_attached"');
    expect(existsSync(join(state, "admin.sock"))).toBe(false);
  }, 60_000);

  it("exits 2 on a bad configuration value before opening anything", async () => {
    const state = join(dir, "bad-config");
    const offset = emulatorLog.length;
    const run = await daemon(state, ["--port", "0"], { STALELA_SYNC_BATCH_SIZE: "0" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^stalela: E303 FIELD_RANGE: [^\n]* — configuration cloud\.batchSize \(from env:STALELA_SYNC_BATCH_SIZE\)/m,
    );
    expect(existsSync(state)).toBe(false);
    expect(emulatorLog.slice(offset)).not.toContain('"event":"link.host_attached"');
  }, 60_000);

  it("exits 1 on a store that is not a database, naming the file", async () => {
    const state = join(dir, "corrupt");
    mkdirSync(state);
    writeFileSync(join(state, "daemon.sqlite"), "not a database ".repeat(500));
    const run = await daemon(state, ["--port", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`— cannot open the store at ${state}/daemon.sqlite`);
    expect(existsSync(join(state, STATE_PID_FILE))).toBe(false);
  }, 60_000);

  it("exits 1 on a store from a newer daemon", async () => {
    const state = join(dir, "newer");
    mkdirSync(state);
    const db = new Database(join(state, "daemon.sqlite"));
    db.pragma("user_version = 9999");
    db.close();
    const run = await daemon(state, ["--port", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^stalela: E400 STORAGE_FAILURE: [^\n]* — the store has schema version 9999, newer/m,
    );
  }, 60_000);
});
