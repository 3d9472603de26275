/**
 * What the emulator's listeners (TCP link, control channel, cloud emulator) report when they cannot
 * bind: a port another process holds is ADDRESS_IN_USE naming the listener and the address, the same
 * code the daemon's API uses, instead of a bare EADDRINUSE.
 */
import { FiscalError } from "../protocol/index.js";

/** `err` from listening on `host:port` for `what` (e.g. "tcp link"), as the error to throw. */
export function listenError(err: unknown, what: string, host: string, port: number): unknown {
  if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") return err;
  const address = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  return new FiscalError(
    "ADDRESS_IN_USE",
    `${what}: cannot listen on ${address}: another process already listens there; stop it or choose another port`,
    { host, port },
    { cause: err },
  );
}
