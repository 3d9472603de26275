/**
 * Daemon.start() (the composition root) when a part cannot start: the API port taken, a host that is
 * not this machine's, a corrupt store, a store from a newer daemon, a bad sync setting, a state
 * directory another daemon holds. Each failure is a coded error, and whatever had started is stopped
 * again: the device link closed (the emulated DEF sees its host go), no admin.sock left, the state lock
 * free. In process, over an in-memory link to an emulated DEF; test/e2e/failed-start.test.ts runs the
 * real `stalela daemon` process.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../daemon/admin/client.js";
import { type ConfigPatch, type DaemonConfig, resolveConfig } from "../../daemon/config.js";
import { Daemon, STORE_FILE } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { acquireStateLock, STATE_PID_FILE } from "../../daemon/store/state-lock.js";
import { MemoryTransport } from "../../daemon/transport/index.js";
import { createMemoryLinkPair, type MemoryDeviceEnd } from "../../emulator/link/memory.js";
import { FAST_SESSION, startDef, type TestDef } from "./device/fixtures.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A temporary state directory path (not created). */
function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-start-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, "state");
}

/** An emulated DEF, started once per test. */
async function def(): Promise<TestDef> {
  const started = await startDef(9_001);
  cleanups.push(() => started.stop());
  return started;
}

/** A daemon on `dir` whose device is a fresh in-memory link to `dev`; `link` is the DEF's end. */
function daemonOn(
  dev: TestDef,
  dir: string,
  patch: ConfigPatch = {},
  /** Changes the validated config, to hand the daemon what resolveConfig itself would refuse. */
  edit: (config: DaemonConfig) => DaemonConfig = (config) => config,
): { daemon: Daemon; link: MemoryDeviceEnd } {
  const pair = createMemoryLinkPair();
  dev.emulator.attach(pair.device);
  const config = edit(resolveConfig({ stateDir: dir, http: { port: 0 } }, patch));
  const device = createFiscalDevice(new MemoryTransport(pair.host), { config: FAST_SESSION });
  const daemon = new Daemon(config, device, pino({ level: "silent" }));
  cleanups.push(() => daemon.stop());
  return { daemon, link: pair.device };
}

/** A port another listener holds on 127.0.0.1. */
async function takenPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** The lock is free: another holder gets it at once. */
function expectLockFree(dir: string): void {
  acquireStateLock(dir).release();
}

describe("a daemon whose start fails", () => {
  it("stops the device link, cloud sync, admin socket, store and lock when the API port is taken", async () => {
    const dev = await def();
    const dir = stateDir();
    const port = await takenPort();
    const { daemon, link } = daemonOn(dev, dir, { http: { port } });
    expect(link.hostAttached).toBe(true);
    await expect(daemon.start()).rejects.toMatchObject({
      errorName: "ADDRESS_IN_USE",
      message: expect.stringContaining(`127.0.0.1:${port}`),
    });
    expect(link.hostAttached).toBe(false);
    expect(existsSync(join(dir, "admin.sock"))).toBe(false);
    expect(existsSync(join(dir, STATE_PID_FILE))).toBe(false);
    expectLockFree(dir);
  });

  it("treats an API host that is not this machine's as a bad setting, and undoes the same", async () => {
    const dev = await def();
    const dir = stateDir();
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const { daemon, link } = daemonOn(dev, dir, { http: { host: "192.0.2.1", allowNonLoopback: true } });
    await expect(daemon.start()).rejects.toMatchObject({
      errorName: "FIELD_RANGE",
      message: expect.stringContaining("http.host 192.0.2.1"),
    });
    expect(link.hostAttached).toBe(false);
    expect(existsSync(join(dir, "admin.sock"))).toBe(false);
    expectLockFree(dir);
  });

  it("refuses a store that is not a database with a coded storage error, before the device link", async () => {
    const dev = await def();
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, STORE_FILE),
      "this is not an SQLite database, it is a shopping list ".repeat(100),
    );
    const { daemon, link } = daemonOn(dev, dir);
    await expect(daemon.start()).rejects.toMatchObject({
      errorName: "STORAGE_FAILURE",
      message: expect.stringContaining(join(dir, STORE_FILE)),
    });
    // The device link had not started: the DEF's host end was never taken over and is still as made.
    expect(link.hostAttached).toBe(true);
    expectLockFree(dir);
  });

  it("refuses a store written by a newer daemon", async () => {
    const dev = await def();
    const dir = stateDir();
    mkdirSync(dir, { recursive: true });
    const future = new Database(join(dir, STORE_FILE));
    future.pragma("user_version = 9999");
    future.close();
    const { daemon } = daemonOn(dev, dir);
    await expect(daemon.start()).rejects.toMatchObject({
      errorName: "STORAGE_FAILURE",
      message: expect.stringMatching(/schema version 9999, newer than/),
    });
    expectLockFree(dir);
  });

  it("checks the sync settings before anything starts: the state directory is not even created", async () => {
    const dev = await def();
    const dir = stateDir();
    const { daemon, link } = daemonOn(dev, dir, {}, (c) => ({ ...c, cloud: { ...c.cloud, batchSize: 0 } }));
    await expect(daemon.start()).rejects.toMatchObject({ errorName: "FIELD_RANGE" });
    expect(existsSync(dir)).toBe(false);
    expect(link.hostAttached).toBe(true);
  });
});

describe("two daemons on one state directory", () => {
  it("refuses the second before it touches the device or admin.sock; the first keeps serving", async () => {
    const dev = await def();
    const dir = stateDir();
    const first = daemonOn(dev, dir);
    await first.daemon.start();
    const second = daemonOn(dev, dir);
    await expect(second.daemon.start()).rejects.toMatchObject({
      errorName: "STATE_LOCKED",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    expect(second.link.hostAttached).toBe(true);
    // The first daemon's admin socket is still its own, and answers.
    const queue = await new AdminClient(join(dir, "admin.sock")).queueStatus();
    expect(queue).toMatchObject({ pending: 0 });
    const health = await fetch(`${first.daemon.url}/v1/health`);
    expect(health.status).toBe(200);
  });

  it("lets the next daemon start once the first has stopped", async () => {
    const dev = await def();
    const dir = stateDir();
    const first = daemonOn(dev, dir);
    await first.daemon.start();
    await first.daemon.stop();
    expect(first.link.hostAttached).toBe(false);
    expect(existsSync(join(dir, "admin.sock"))).toBe(false);
    const second = daemonOn(dev, dir);
    await second.daemon.start();
    expect((await fetch(`${second.daemon.url}/v1/health`)).status).toBe(200);
  });
});
