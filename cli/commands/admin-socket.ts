/**
 * Finding a running daemon's admin channel (docs/ADMIN.md): `<stateDir>/admin.sock`. A socket file
 * left by a crashed daemon refuses connections, so "is the daemon there" is answered by connecting,
 * not by the file existing. A socket this user may not open (mode 0600, the daemon's user) is not
 * "no daemon": it is a permission refusal, named as such.
 */
import { createConnection } from "node:net";
import { join } from "node:path";
import { AdminClient } from "../../daemon/admin/client.js";
import { ADMIN_SOCKET_FILE } from "../../daemon/admin/server.js";
import { permissionDenied } from "../state.js";

/** How long to wait for the admin socket to accept a connection, in ms. */
export const ADMIN_PROBE_TIMEOUT_MS = 1_000;

/** The admin socket path of a state directory. */
export function adminSocketPath(stateDir: string): string {
  return join(stateDir, ADMIN_SOCKET_FILE);
}

/**
 * True when something accepts connections on the socket (a live daemon), false when nothing does.
 * Rejects with STORAGE_FAILURE when this user may not connect (EACCES, EPERM).
 */
export function adminSocketLive(path: string, timeoutMs: number = ADMIN_PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    const done = (live: boolean): void => {
      socket.destroy();
      resolve(live);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === "EACCES" || err.code === "EPERM") {
        reject(permissionDenied(path, "the daemon's admin socket", err));
      } else resolve(false);
    });
  });
}

/** A client for the daemon of `stateDir`, or undefined when no daemon listens there. */
export async function liveAdminClient(stateDir: string): Promise<AdminClient | undefined> {
  const path = adminSocketPath(stateDir);
  return (await adminSocketLive(path)) ? new AdminClient(path) : undefined;
}
