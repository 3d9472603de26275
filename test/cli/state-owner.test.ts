/**
 * Acting as the daemon's user: run as root, a command that opens the daemon's state switches to the
 * owner of the state directory (groups, then gid, then uid) before it opens anything, so that what it
 * creates belongs to the service. The decision is pure and tested here everywhere; the real switch is
 * tested with a directory owned by `nobody` (65534), which needs root, as CI runs: not being root fails
 * that test rather than skipping it.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedEmulator, spawnEmulator } from "../../bench/processes.js";
import { actAsStateOwner, groupIdIn, type ProcessIdentity, stateOwnerOf } from "../../cli/state-owner.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { isFiscalError } from "../../protocol/index.js";
import { bundleFor } from "../emulator/fixtures.js";
import { runCli } from "./run-cli.js";

const NOBODY = 65_534;

/** A process identity that records the calls made on it. */
function recorder(uid: number, failInitgroups = false): ProcessIdentity & { calls: string[] } {
  const calls: string[] = [];
  // The supplementary groups as the kernel would hold them: initgroups loads the user's (here, just
  // the group it is given), setgroups replaces them.
  let groups = [uid];
  return {
    calls,
    getuid: () => uid,
    getgroups: () => [...groups],
    initgroups: (user, group) => {
      calls.push(`initgroups(${user}, ${group})`);
      if (failInitgroups) throw new Error("initgroups user not found");
      groups = [group];
    },
    setgroups: (list) => {
      calls.push(`setgroups(${list.join(",")})`);
      groups = [...list];
    },
    setgid: (id) => void calls.push(`setgid(${id})`),
    setuid: (id) => void calls.push(`setuid(${id})`),
  };
}

let dir: string;
/** An /etc/group without the device group, and one with it (gid 4242). */
let noDeviceGroup: string;
let withDeviceGroup: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-owner-"));
  noDeviceGroup = join(dir, "group-plain");
  writeFileSync(noDeviceGroup, "root:x:0:\nstalela:x:998:\nnogroup:x:65534:\n");
  withDeviceGroup = join(dir, "group-dev");
  writeFileSync(withDeviceGroup, "root:x:0:\nstalela:x:998:\nstalela-devices:x:4241:\nstalela-dev:x:4242:\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("whom to act as (pure)", () => {
  it("root with a state directory owned by another user becomes that user and the directory's group", () => {
    expect(stateOwnerOf(0, { uid: 998, gid: 997 })).toEqual({ uid: 998, gid: 997 });
  });

  it("nobody else switches: not root, a root-owned directory, or no directory yet", () => {
    expect(stateOwnerOf(1000, { uid: 998, gid: 997 })).toBeUndefined();
    expect(stateOwnerOf(undefined, { uid: 998, gid: 997 })).toBeUndefined();
    expect(stateOwnerOf(0, { uid: 0, gid: 997 })).toBeUndefined();
    expect(stateOwnerOf(0, undefined)).toBeUndefined();
  });
});

/** A state directory owned by uid:gid (chown needs root: CI runs as root, and the test fails otherwise). */
function ownedState(name: string, uid: number, gid: number): string {
  expect(process.getuid?.(), "chown needs root (CI runs as root)").toBe(0);
  const state = join(dir, name);
  mkdirSync(state);
  chownSync(state, uid, gid);
  return state;
}

describe("actAsStateOwner", () => {
  it("loads the groups, then sets the gid, then the uid (the only order root allows)", () => {
    const state = ownedState("owned", NOBODY, NOBODY);
    const proc = recorder(0);
    expect(actAsStateOwner(state, proc, noDeviceGroup)).toEqual({ uid: NOBODY, gid: NOBODY });
    expect(proc.calls).toEqual([
      `initgroups(${NOBODY}, ${NOBODY})`,
      `setgid(${NOBODY})`,
      `setuid(${NOBODY})`,
    ]);
  });

  it("adds group stalela-dev, as the service's unit does, so the DEF's device node opens", () => {
    const state = ownedState("device-group", NOBODY, NOBODY);
    const proc = recorder(0);
    expect(actAsStateOwner(state, proc, withDeviceGroup)).toEqual({ uid: NOBODY, gid: NOBODY });
    expect(proc.calls).toEqual([
      `initgroups(${NOBODY}, ${NOBODY})`,
      `setgroups(${NOBODY},4242)`,
      `setgid(${NOBODY})`,
      `setuid(${NOBODY})`,
    ]);
  });

  it("reads a group's id from /etc/group by its exact name", () => {
    const file = "root:x:0:\nstalela-devices:x:4241:\nstalela-dev:x:4242:tech\nbroken-line\n";
    expect(groupIdIn(file, "stalela-dev")).toBe(4242);
    expect(groupIdIn(file, "stalela")).toBeUndefined();
    expect(groupIdIn("stalela-dev:x::\n", "stalela-dev")).toBeUndefined();
  });

  it("falls back to the directory's group alone for a uid without a passwd entry", () => {
    const state = ownedState("orphan", 54_321, 54_322);
    const proc = recorder(0, true);
    expect(actAsStateOwner(state, proc, noDeviceGroup)).toEqual({ uid: 54_321, gid: 54_322 });
    expect(proc.calls).toEqual([
      "initgroups(54321, 54322)",
      "setgroups(54322)",
      "setgid(54322)",
      "setuid(54321)",
    ]);
    expect(actAsStateOwner(state, recorder(1000)), "not root: no switch").toBeUndefined();
    expect(actAsStateOwner(join(dir, "absent"), recorder(0)), "no directory: no switch").toBeUndefined();
  });

  it("a refused switch is STORAGE_FAILURE, never a silent run as root", () => {
    const state = ownedState("refused", NOBODY, NOBODY);
    const proc = recorder(0);
    proc.setuid = () => {
      throw new Error("EPERM");
    };
    let caught: unknown;
    try {
      actAsStateOwner(state, proc, noDeviceGroup);
    } catch (err) {
      caught = err;
    }
    expect(isFiscalError(caught, "STORAGE_FAILURE")).toBe(true);
    expect((caught as Error).message).toContain(`the owner of ${state}`);
  });
});

describe("stalela as root on a state directory owned by the service's user", () => {
  let emulator: SpawnedEmulator;
  let uri: string;

  beforeAll(async () => {
    emulator = await spawnEmulator(["--tcp", "127.0.0.1:0", "--no-link", "--state", join(dir, "emu")]);
    uri = `tcp:127.0.0.1:${emulator.ready.tcp!.port}`;
    const device = createFiscalDevice(uri);
    await device.open();
    try {
      await device.session.waitConnected(5_000);
      await device.activate(bundleFor(emulator.ready.device_id));
    } finally {
      await device.close();
    }
  });
  afterAll(async () => {
    emulator?.child.kill("SIGTERM");
    await emulator?.exited;
  });

  it("writes its export as that user; with a root-owned directory, as root", async () => {
    expect(process.getuid?.(), "the switch happens only as root (CI runs as root)").toBe(0);
    chmodSync(dir, 0o755);
    const service = join(dir, "service-state");
    mkdirSync(service, { mode: 0o750 });
    chownSync(service, NOBODY, NOBODY);
    const out = join(service, "journal.json");
    const run = await runCli([
      "device",
      "export",
      "--out",
      out,
      "--device",
      uri,
      "--state",
      service,
      "--json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(statSync(out)).toMatchObject({ uid: NOBODY, gid: NOBODY });

    const rootState = join(dir, "root-state");
    mkdirSync(rootState);
    const rootOut = join(rootState, "journal.json");
    const control = await runCli([
      "device",
      "export",
      "--out",
      rootOut,
      "--device",
      uri,
      "--state",
      rootState,
    ]);
    expect(control.code).toBe(0);
    expect(statSync(rootOut).uid).toBe(0);
  });
});
