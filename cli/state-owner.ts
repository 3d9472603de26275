/**
 * Acting as the daemon's user. Technicians run `stalela` as root (a fresh Debian 12 has no sudo), but
 * what the CLI creates next to the daemon's state must stay the service's: a root-owned `-wal` or
 * `-shm` beside the SQLite store would lock the daemon (user stalela) out of its own store, and an
 * export should belong to the service like the journal it copies. So a command that opens the
 * daemon's state (its store, the device, or admin.sock) first calls `actAsStateOwner`: running as
 * root, with the state directory existing and owned by another user, it switches to that user and the
 * directory's group, supplementary groups first, then the group, then the user, the only order the
 * kernel allows once root is given up. The supplementary groups are the user's (`initgroups`) plus
 * DEVICE_GROUP when it exists, as the service's unit gives it (`SupplementaryGroups=stalela-dev`):
 * the DEF's device node belongs to that group, so a device command opens it as the service would.
 */
import { readFileSync, statSync } from "node:fs";
import { FiscalError } from "../protocol/index.js";

/** A user and group to run as. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** The calls the switch makes (node's `process` on Linux; a test may pass a recorder). */
export interface ProcessIdentity {
  getuid?(): number;
  getgroups?(): number[];
  initgroups?(user: number, extraGroup: number): void;
  setgroups?(groups: number[]): void;
  setgid?(id: number): void;
  setuid?(id: number): void;
}

/** The group the DEF's device nodes belong to (udev/99-stalela-def.rules, packaging/debian/postinst). */
export const DEVICE_GROUP = "stalela-dev";

/** The id of group `name` in an /etc/group text, or undefined when it has none. Pure. */
export function groupIdIn(groupFile: string, name: string): number | undefined {
  for (const line of groupFile.split("\n")) {
    const [group, , gid] = line.split(":");
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

function deviceGroupId(groupFilePath: string): number | undefined {
  try {
    return groupIdIn(readFileSync(groupFilePath, "utf8"), DEVICE_GROUP);
  } catch {
    return undefined;
  }
}

/**
 * Whom to switch to: the owner of the state directory (`dir`, undefined when it does not exist) when
 * this process runs as root and the owner is not root; otherwise nobody. Pure.
 */
export function stateOwnerOf(currentUid: number | undefined, dir: RunAs | undefined): RunAs | undefined {
  if (currentUid !== 0 || dir === undefined || dir.uid === 0) return undefined;
  return { uid: dir.uid, gid: dir.gid };
}

/**
 * Switches to the owner of `stateDir` when `stateOwnerOf` says so; returns whom it switched to. A
 * missing directory (or one this user cannot stat) switches nothing: the command's own checks report it.
 * A failed switch is STORAGE_FAILURE: going on as root would leave root-owned files in the store.
 */
export function actAsStateOwner(
  stateDir: string,
  proc: ProcessIdentity = process,
  groupFilePath = "/etc/group",
): RunAs | undefined {
  let dir: RunAs | undefined;
  try {
    const st = statSync(stateDir);
    dir = st.isDirectory() ? { uid: st.uid, gid: st.gid } : undefined;
  } catch {
    dir = undefined;
  }
  const target = stateOwnerOf(proc.getuid?.(), dir);
  if (target === undefined) return undefined;
  try {
    try {
      proc.initgroups!(target.uid, target.gid);
    } catch {
      // A uid without a passwd entry has no group list to load: just the directory's group, then.
      proc.setgroups!([target.gid]);
    }
    const deviceGroup = deviceGroupId(groupFilePath);
    const groups = proc.getgroups?.() ?? [];
    if (deviceGroup !== undefined && !groups.includes(deviceGroup)) proc.setgroups!([...groups, deviceGroup]);
    proc.setgid!(target.gid);
    proc.setuid!(target.uid);
  } catch (err) {
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot act as uid ${target.uid} (gid ${target.gid}), the owner of ${stateDir}: ${(err as Error).message}`,
      { path: stateDir },
      { cause: err },
    );
  }
  return target;
}
