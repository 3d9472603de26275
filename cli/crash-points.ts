/**
 * Crash points for the crash-safety tests (test/e2e/crash.test.ts, commit-crash.test.ts); the process
 * kills itself with SIGKILL, so nothing after the instant runs, not even an exit handler:
 *   STALELA_CRASH_POINT=before-commit  the PREPARED state is stored, the COMMIT is about to be sent;
 *   STALELA_CRASH_POINT=after-commit   the device has sealed the record, the store has not written it;
 *   STALELA_CRASH_POINT=in-group       seals are committed and wait for their shared fsync: the first
 *                                      fsync is slowed (GROUP_FIRST_SYNC_MS) so the seals that come
 *                                      meanwhile form a group, and the process dies as that group's
 *                                      fsync is asked for (daemon/store/group-commit.ts).
 * Any other value sets no hook. `stalela daemon` imports this file only when STALELA_CRASH_POINT is
 * set, and the release package does not ship it (packaging/release.sh), so an installed daemon
 * cannot be made to crash itself.
 */
import { fdatasync } from "node:fs";
import type { DaemonHooks } from "../daemon/daemon.js";

/** How long the in-group crash point holds the first fsync, in ms: long enough for a group to form. */
export const GROUP_FIRST_SYNC_MS = 500;

/** The hooks that crash the process at `point`. */
export function crashHooks(point: string | undefined): DaemonHooks {
  const die = (): void => {
    process.kill(process.pid, "SIGKILL");
  };
  if (point === "before-commit") return { beforeDeviceCommit: die };
  if (point === "after-commit") return { afterDeviceCommit: die };
  if (point === "in-group") {
    let syncs = 0;
    return {
      storeSync: (fd, done) => {
        syncs++;
        if (syncs === 1) setTimeout(() => fdatasync(fd, done), GROUP_FIRST_SYNC_MS);
        else die();
      },
    };
  }
  return {};
}
