/**
 * The machine the package tests install on: CI's throwaway machine, as root, with no systemd PID 1.
 * These tests change the machine (dpkg -i, a system user, /var/lib/stalela, /dev/stalela-def), so they
 * run only through `npm run test:install` (after `npm run release`), never in `npm test`, and they
 * refuse to start on a machine where stalela is already installed rather than touch its data.
 *
 * The DEF is the repo's emulator serving a PTY at /dev/stalela-def, the path the udev rule gives a
 * real one; the Stalela Cloud is the repo's cloud emulator on loopback with one activation code.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";

/** The repository root. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));
/** The built CLI of the repository (the emulators run from it, not from the package). */
const REPO_CLI = join(REPO, "dist/cli/main.js");
/** The stand-ins for systemctl, systemd-notify and journalctl (test/install/bin). */
export const FAKE_SYSTEMD_BIN = join(REPO, "test/install/bin");
/** Where the DEF appears, as the udev rule names it. */
export const DEF_PATH = "/dev/stalela-def";
/** The group the udev rule gives the DEF's nodes; postinst creates it, apart from the state's stalela. */
export const DEF_GROUP = "stalela-dev";
/** The identity the test activation code binds the device to. */
export const SITE_IDENTITY = { nif: "A1234567Z", outlet: "BOUTIQUE-GOMBE-1", authority: "DGI-KIN-1" };

/** The package's version, from package.json (one source). */
export const VERSION: string = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version;
/** The .deb `npm run release` builds. */
export const DEB = join(REPO, `release/stalela_${VERSION}_amd64.deb`);

/** dpkg-query's `-f` argument for one control field (its `${Field}` is dpkg's syntax, not ours). */
export function dpkgFormat(field: string): string {
  return `-f=\${${field}}`;
}

/** Fails unless this machine may be installed on: root, the .deb built, nothing of stalela there. */
export function assertInstallableMachine(): void {
  if (process.getuid?.() !== 0) throw new Error("the package tests install a .deb: run them as root");
  if (!existsSync(DEB)) throw new Error(`${DEB} is missing: run npm run release first`);
  const installed = spawnSync("dpkg-query", ["-W", dpkgFormat("Status"), "stalela"], { encoding: "utf8" });
  if (installed.stdout.includes("installed") && !installed.stdout.includes("not-installed")) {
    throw new Error("stalela is already installed on this machine: the test will not touch it");
  }
  if (existsSync("/var/lib/stalela")) throw new Error("/var/lib/stalela exists: the test will not touch it");
  if (existsSync(DEF_PATH)) throw new Error(`${DEF_PATH} exists: the test will not take it over`);
}

/** Runs a command to completion and returns its stdout; throws with stderr on a non-zero exit. */
export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: "pipe",
    maxBuffer: 256 * 1024 * 1024,
  });
}

/** A long-running repo process whose first stdout line (or a line matching `ready`) says it is up. */
async function startRepoProcess(
  args: readonly string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [REPO_CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const hit = out.split("\n").find((l) => ready.test(l));
      if (hit !== undefined) resolve(hit);
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.once("exit", (code) => reject(new Error(`stalela ${args[0]} exited (${code}): ${err}${out}`)));
  });
  return { child, line };
}

/** The site: a cloud emulator with one activation code, and the emulated DEF plugged in. */
export interface Site {
  readonly cloudUrl: string;
  readonly code: string;
  /** The PTY behind /dev/stalela-def. */
  readonly ptyPath: string;
  /** Plays the udev rule once the package created the device group: group stalela-dev, mode 0660. */
  applyUdevRule(): void;
  stop(): Promise<void>;
}

/** Starts the cloud emulator and plugs the emulated DEF in at /dev/stalela-def. */
export async function startSite(): Promise<Site> {
  const dir = mkdtempSync(join(tmpdir(), "stalela-site-"));
  const code = "ACT-INSTALL-TEST-1";
  const cloud = await startRepoProcess(
    [
      "cloud-emulator",
      "--port",
      "0",
      "--state",
      join(dir, "cloud"),
      "--issue-code",
      `${code}:${SITE_IDENTITY.nif}:${SITE_IDENTITY.outlet}:${SITE_IDENTITY.authority}`,
    ],
    /^\{"url"/,
  );
  const device = await startRepoProcess(
    ["emulator", "--link", DEF_PATH, "--state", join(dir, "def")],
    /./,
  ).catch(async (err: unknown) => {
    cloud.child.kill("SIGTERM");
    throw err;
  });
  await waitFor(() => existsSync(DEF_PATH), `${DEF_PATH} to appear`);
  const ptyPath = realpathSync(DEF_PATH);
  return {
    cloudUrl: (JSON.parse(cloud.line) as { url: string }).url,
    code,
    ptyPath,
    applyUdevRule() {
      run("chgrp", [DEF_GROUP, ptyPath]);
      run("chmod", ["0660", ptyPath]);
    },
    async stop() {
      await Promise.all([stopChild(device.child), stopChild(cloud.child)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  await exited;
}

/** Polls `test` every 50 ms, up to 200 times (a hang guard, not a time bound under test). */
export async function waitFor(test: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The environment under which dpkg and the guide run: the systemd stand-ins first on PATH. */
export function fakeSystemdEnv(stateDir: string): NodeJS.ProcessEnv {
  return {
    PATH: `${FAKE_SYSTEMD_BIN}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}`,
    STALELA_FAKE_SYSTEMD_DIR: stateDir,
  };
}

/**
 * Makes the maintainer scripts see a systemd machine (they test /run/systemd/system, as
 * deb-systemd-invoke does), so postinst and prerm drive the stand-in systemctl. Returns the undo.
 */
export function pretendSystemdRuns(): () => void {
  if (existsSync("/run/systemd/system"))
    throw new Error("systemd runs here: these tests are for CI machines");
  run("mkdir", ["-p", "/run/systemd/system"]);
  return () => rmSync("/run/systemd/system", { recursive: true, force: true });
}

/** Leaves the machine as it was: the package purged, the daemon stopped, its user and state gone. */
export function cleanMachine(fakeSystemdDir: string): void {
  spawnSync("systemctl", ["stop", "stalela-daemon"], {
    env: { ...process.env, ...fakeSystemdEnv(fakeSystemdDir) },
  });
  spawnSync("dpkg", ["--purge", "stalela"], { env: { ...process.env, ...fakeSystemdEnv(fakeSystemdDir) } });
  spawnSync("dpkg-statoverride", ["--remove", "/etc/stalela/daemon.env"]);
  for (const path of ["/var/lib/stalela", "/var/backups/stalela", "/etc/stalela", DEF_PATH, fakeSystemdDir]) {
    rmSync(path, { recursive: true, force: true });
  }
  spawnSync("userdel", ["stalela"]);
  spawnSync("groupdel", ["stalela"]);
  spawnSync("groupdel", [DEF_GROUP]);
}

/** What a test file gets from `useTestMachine`. */
export interface TestMachine {
  /** The stand-in systemd's state (its journal, calls and pid files). */
  readonly fakeSystemd: string;
  /** The environment for dpkg, systemctl and the installed CLI: the stand-ins first on PATH. */
  readonly env: NodeJS.ProcessEnv;
  /** The running site (after beforeAll). */
  site(): Site;
}

/**
 * Registers the file's beforeAll/afterAll: checks the machine may be installed on, makes the maintainer
 * scripts see systemd, starts the site; afterwards purges everything and stops the site.
 */
export function useTestMachine(): TestMachine {
  const fakeSystemd = mkdtempSync(join(tmpdir(), "stalela-fake-systemd-"));
  let site: Site | undefined;
  let undoSystemd: (() => void) | undefined;
  beforeAll(async () => {
    assertInstallableMachine();
    undoSystemd = pretendSystemdRuns();
    site = await startSite();
  });
  afterAll(async () => {
    cleanMachine(fakeSystemd);
    undoSystemd?.();
    await site?.stop();
  });
  return {
    fakeSystemd,
    env: fakeSystemdEnv(fakeSystemd),
    site: () => {
      if (site === undefined) throw new Error("the site is not running (beforeAll failed)");
      return site;
    },
  };
}
