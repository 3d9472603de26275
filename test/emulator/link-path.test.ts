/**
 * Who owns an emulator's `--link PATH`, with real `stalela emulator` processes: a second emulator is
 * refused a path a live one serves (it used to take the symlink over, and delete it on exit, leaving
 * the first unreachable); a symlink left by a dead emulator, or pointing at a PTY that is gone, is
 * replaced; and an emulator removes the path on exit only while it still points at its own PTY.
 */
import { lstatSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { type SpawnedEmulator, spawnEmulator } from "./spawn.js";
import { WireHost } from "./wire-host.js";

const dir = mkdtempSync(join(tmpdir(), "stalela-linkpath-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: SpawnedEmulator[] = [];
afterEach(async () => {
  for (const proc of running.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill("SIGKILL");
      await proc.exited;
    }
  }
});

let n = 0;
/** A fresh link path and two state directories for one test. */
function paths(): { link: string; stateA: string; stateB: string } {
  n++;
  return { link: join(dir, `ttyDEF${n}`), stateA: join(dir, `a${n}`), stateB: join(dir, `b${n}`) };
}

async function emulatorOn(link: string, state: string): Promise<SpawnedEmulator> {
  const proc = await spawnEmulator(["--state", state, "--link", link, "--log-level", "warn"]);
  running.push(proc);
  return proc;
}

/** Opens `link` as a host does and asks the device behind it for its id. */
async function deviceIdBehind(link: string): Promise<string> {
  const port = new SerialPort({ path: link, baudRate: 115_200, autoOpen: false });
  await promisify(port.open.bind(port))();
  const host = new WireHost({
    write: (bytes) => port.write(Buffer.from(bytes)),
    onData: (handler) => port.on("data", (d: Buffer) => handler(new Uint8Array(d))),
  });
  try {
    return (await host.call("INFO", {})).device_id;
  } finally {
    host.close("test done");
    await promisify(port.close.bind(port))();
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

describe("an emulator's link path", () => {
  it("is refused to a second emulator while the first serves it; the first keeps it", async () => {
    const p = paths();
    const first = await emulatorOn(p.link, p.stateA);
    const target = readlinkSync(p.link);
    const second = await runCli(["emulator", "--state", p.stateB, "--link", p.link, "--log-level", "warn"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `stalela: E412 LINK_PATH_IN_USE: le chemin de liaison de l'appareil est déjà servi par un autre émulateur — ${p.link} is served by another running emulator`,
    );
    expect(readlinkSync(p.link)).toBe(target);
    expect(await deviceIdBehind(p.link)).toBe(first.ready.device_id);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    expect(exists(p.link)).toBe(false);
  }, 60_000);

  it("is taken over from an emulator that was SIGKILLed (its symlink left behind)", async () => {
    const p = paths();
    const dead = await emulatorOn(p.link, p.stateA);
    dead.child.kill("SIGKILL");
    await dead.exited;
    expect(lstatSync(p.link).isSymbolicLink()).toBe(true);
    const next = await emulatorOn(p.link, p.stateB);
    expect(next.ready.link).toBe(p.link);
    expect(await deviceIdBehind(p.link)).toBe(next.ready.device_id);
  }, 60_000);

  it("replaces a stale symlink to a PTY that is gone, with no emulator recorded", async () => {
    const p = paths();
    symlinkSync("/dev/pts/stalela-test-gone", p.link);
    const proc = await emulatorOn(p.link, p.stateA);
    expect(readlinkSync(p.link)).toMatch(/^\/dev\/pts\/\d+$/);
    expect(await deviceIdBehind(p.link)).toBe(proc.ready.device_id);
  }, 60_000);

  it("is left alone on exit once it points somewhere else", async () => {
    const p = paths();
    const proc = await emulatorOn(p.link, p.stateA);
    const elsewhere = `${p.link}.elsewhere`;
    symlinkSync("/dev/null", elsewhere);
    renameSync(elsewhere, p.link);
    proc.child.kill("SIGTERM");
    expect((await proc.exited).code).toBe(0);
    expect(readlinkSync(p.link)).toBe("/dev/null");
  }, 60_000);
});
