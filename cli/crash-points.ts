/**
 * Crash points for the crash-safety tests (test/e2e/crash.test.ts, commit-crash.test.ts); the process
 * kills itself with SIGKILL, so nothing after the instant runs, not even an exit handler:
 *   STALELA_CRASH_POINT=before-commit  the PREPARED state is stored, the COMMIT is about to be sent;
 *   STALELA_CRASH_POINT=after-commit   the device has sealed the record, the store has not written it.
 * Any other value sets no hook. `stalela daemon` imports this file only when STALELA_CRASH_POINT is
 * set, and the release package does not ship it (packaging/release.sh), so an installed daemon
 * cannot be made to crash itself.
 */
import type { FiscalServiceHooks } from "../daemon/fiscal/service.js";

/** The hooks that crash the process at `point`. */
export function crashHooks(point: string | undefined): FiscalServiceHooks {
  const die = (): void => {
    process.kill(process.pid, "SIGKILL");
  };
  if (point === "before-commit") return { beforeDeviceCommit: die };
  if (point === "after-commit") return { afterDeviceCommit: die };
  return {};
}
