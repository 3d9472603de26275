/**
 * admin.sock is owner-only from the instant it exists (docs/SECURITY.md): bound under a restrictive
 * umask in a 0700 directory, never the 0755 a 022 umask gives while a chmod is still to come. Checked
 * at bind() itself (net.Server's listen, which binds a Unix socket synchronously) and when start()
 * resolves, with the process umask at the common 022.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type AdminDeps, AdminServer } from "../../daemon/admin/server.js";

/** The routes are never called here: the socket's mode is under test, not what it serves. */
const NO_DEPS = {} as AdminDeps;

let root: string;
let savedUmask: number;
let server: AdminServer | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "stalela-admin-sock-"));
  savedUmask = process.umask(0o022);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.stop();
  server = undefined;
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

describe("admin.sock", () => {
  it("is owner-only at bind(), in a 0700 directory, and 0600 when start() resolves; the umask is restored", async () => {
    const stateDir = join(root, "state");
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o755);
    const socketPath = join(stateDir, "admin.sock");
    const atBind: { socket: number; dir: number }[] = [];
    const listen = net.Server.prototype.listen;
    vi.spyOn(net.Server.prototype, "listen").mockImplementation(function (
      this: net.Server,
      ...args: unknown[]
    ) {
      const result = (listen as (...a: unknown[]) => net.Server).apply(this, args);
      // A Unix socket is bound before listen() returns: this is its mode before any chmod can run.
      atBind.push({ socket: statSync(socketPath).mode & 0o777, dir: statSync(stateDir).mode & 0o777 });
      return result;
    });

    server = new AdminServer(NO_DEPS, stateDir, pino({ level: "silent" }));
    await server.start();
    expect(atBind).toHaveLength(1);
    // Nobody but the owner may connect (connecting needs write access), nor reach it through the directory.
    expect(atBind[0]!.socket & 0o077).toBe(0);
    expect(atBind[0]!.dir).toBe(0o700);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    // Setting it again returns the one in force: start() gave the 022 back.
    expect(process.umask(0o022)).toBe(0o022);
  });
});
