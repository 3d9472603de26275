/**
 * Who serves a PTY link path. The symlink alone cannot say: its target /dev/pts/N may belong to a live
 * emulator, to nobody (a crashed run's leftover), or to an unrelated terminal that reused the number.
 * So an emulator holds `PATH.lock` for as long as it serves PATH, a lock the kernel releases when the
 * process dies (daemon/store/process-lock.ts). A held lock means a live emulator serves the path
 * (refused with LINK_PATH_IN_USE); a free one means any symlink there is stale and may be replaced.
 * The lock file stays after a clean stop, as that module explains.
 */
import { type ProcessLock, tryProcessLock } from "../../daemon/store/process-lock.js";
import { FiscalError } from "../../protocol/index.js";

/** Appended to the link path to name its lock file. */
export const LINK_LOCK_SUFFIX = ".lock";

/** A held link path. */
export interface LinkPathClaim {
  readonly path: string;
  /** Gives the path up (after the symlink is removed). Idempotent. */
  release(): void;
}

/**
 * Claims `path` for this process, without waiting. LINK_PATH_IN_USE when a live emulator (this
 * process included) serves it; a plain Error when the lock file cannot be made.
 */
export function claimLinkPath(path: string): LinkPathClaim {
  const lockPath = `${path}${LINK_LOCK_SUFFIX}`;
  let lock: ProcessLock | "held";
  try {
    lock = tryProcessLock(lockPath);
  } catch (err) {
    throw new Error(`pty link: cannot lock ${lockPath}: ${(err as Error).message}`, { cause: err });
  }
  if (lock === "held") {
    throw new FiscalError(
      "LINK_PATH_IN_USE",
      `${path} is served by another running emulator (it holds ${lockPath}): stop it, or give this one another --link path`,
      { path },
    );
  }
  return { path, release: () => lock.release() };
}
