/**
 * Reaching the DEF from the CLI (`device info`, `status`, `time`, `self-test`, `export`, offline
 * `activate`). The running daemon holds the device port, so when a daemon answers on the state
 * directory's admin.sock a command goes through it (daemon/admin/device-routes.ts); otherwise the CLI
 * opens the device itself. A link that does not come up names its causes in one line, and a
 * permission refusal is named as such at once, with the fix, instead of "no device answered".
 */
import { accessSync, constants, existsSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import type { AdminClient } from "../../daemon/admin/client.js";
import { DEFAULT_DEVICE_URI } from "../../daemon/config.js";
import { createFiscalDevice, type FiscalDevice } from "../../daemon/device/index.js";
import { parseDeviceAddress } from "../../daemon/transport/address.js";
import { createTransport } from "../../daemon/transport/create.js";
import type { Transport } from "../../daemon/transport/types.js";
import { FiscalError, isFiscalError } from "../../protocol/index.js";
import { DEVICE_ACCESS_FIX, EMULATOR_DEVICE_URI } from "../doctor/report.js";
import { enterStateDir, stateDirHelp } from "../state.js";
import { liveAdminClient } from "./admin-socket.js";

/** How long to wait for the device link to come up, in ms (flag --connect-timeout-ms). */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Flags every device command shares. */
export interface DeviceFlags {
  readonly device?: string;
  readonly connectTimeoutMs: number;
  /** The daemon state directory, where a running daemon's admin.sock is looked for. */
  readonly state?: string;
}

/** Which way a device command went. */
export type DeviceRoute = "daemon" | "device";

/** The device URI: --device, else $STALELA_DEVICE, else the daemon's default. */
export function deviceUri(flags: { readonly device?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.device ?? env.STALELA_DEVICE ?? DEFAULT_DEVICE_URI;
}

/** Parses a positive integer flag value (commander parser). */
export function positiveInt(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InvalidArgumentError("must be a positive integer");
  return Number(text);
}

/** Adds `--device`, `--connect-timeout-ms`, `--state` and `--json` to a command. */
export function withDeviceOptions(command: Command): Command {
  return command
    .option("--device <uri>", "help.option.device")
    .option("--connect-timeout-ms <ms>", "help.option.connect-timeout-ms", positiveInt, CONNECT_TIMEOUT_MS)
    .option("--state <dir>", stateDirHelp("help.option.state.device"))
    .option("--json", "help.option.json");
}

/**
 * Runs a device task through the daemon of the state directory when one answers on its admin.sock,
 * else directly on the device; having first switched to the state directory's owner when root.
 */
export async function viaDaemonOrDevice<T>(
  flags: DeviceFlags,
  tasks: { daemon: (admin: AdminClient) => Promise<T>; device: (device: FiscalDevice) => Promise<T> },
): Promise<{ result: T; via: DeviceRoute }> {
  const admin = await liveAdminClient(enterStateDir(flags));
  if (admin !== undefined) return { result: await tasks.daemon(admin), via: "daemon" };
  return { result: await withDevice(flags, tasks.device), via: "device" };
}

/** The EACCES / EPERM behind a transport's open failure, or undefined when it was something else. */
export function accessRefusal(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return code;
    const named = /\b(EACCES|EPERM|LIBUSB_ERROR_ACCESS)\b|permission denied/i.exec(e.message);
    if (named !== null) return named[1] ?? "EACCES";
    // node-hid says only "cannot open device": the node it names tells whether it was permissions.
    for (const path of e.message.match(/\/dev\/[\w./-]+/g) ?? []) {
      const denied = deniedAccess(path);
      if (denied !== undefined) return denied;
    }
  }
  return undefined;
}

function deniedAccess(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" ? code : undefined;
  }
}

/** The DEVICE_UNAVAILABLE of a device this user may not open: named as such, with the fix. */
export function deviceAccessDenied(what: string, code: string, cause?: unknown): FiscalError {
  return new FiscalError(
    "DEVICE_UNAVAILABLE",
    `permission denied (${code}) opening ${what}: this user may not use the device. Fix: ${DEVICE_ACCESS_FIX}`,
    { address: what, refusal: code },
    cause === undefined ? undefined : { cause },
  );
}

/** A transport that reports each failed open, so a permission refusal ends the wait at once. */
class WatchedTransport implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly openFailed: (err: unknown) => void,
  ) {}

  get address(): string {
    return this.inner.address;
  }

  async open(): Promise<void> {
    try {
      await this.inner.open();
    } catch (err) {
      this.openFailed(err);
      throw err;
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.inner.write(bytes);
  }

  onData(handler: (bytes: Uint8Array) => void): void {
    this.inner.onData(handler);
  }

  onDisconnect(handler: (reason: Error) => void): void {
    this.inner.onDisconnect(handler);
  }

  onArrival(handler: () => void): void {
    this.inner.onArrival?.(handler);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Opens the device, waits for its link, runs `body`, and closes the device whatever happens. A serial
 * path this user may not open, or a transport open refused for permissions, is DEVICE_UNAVAILABLE
 * saying so at once; a link that does not come up in time is DEVICE_UNAVAILABLE with the likely causes.
 */
export async function withDevice<T>(
  flags: DeviceFlags,
  body: (device: FiscalDevice) => Promise<T>,
  transportOf: (uri: string) => Transport = (uri) => createTransport(uri),
): Promise<T> {
  const uri = deviceUri(flags);
  const serialPath = serialPathOf(uri);
  if (serialPath !== undefined && existsSync(serialPath)) {
    const denied = deniedAccess(serialPath);
    if (denied !== undefined) throw deviceAccessDenied(serialPath, denied);
  }
  let refuse: (err: FiscalError) => void = () => {};
  const refused = new Promise<never>((_resolve, reject) => {
    refuse = reject;
  });
  refused.catch(() => {}); // raced below; a refusal after the race is moot
  const transport = new WatchedTransport(transportOf(uri), (err) => {
    const code = accessRefusal(err);
    if (code !== undefined) refuse(deviceAccessDenied(serialPath ?? uri, code, err));
  });
  const device = createFiscalDevice(transport);
  try {
    await device.open();
    try {
      await Promise.race([device.session.waitConnected(flags.connectTimeoutMs), refused]);
    } catch (err) {
      if (!isFiscalError(err, "DEVICE_UNAVAILABLE") || err.details?.refusal !== undefined) throw err;
      throw new FiscalError(
        "DEVICE_UNAVAILABLE",
        `no device answered on ${uri} within ${flags.connectTimeoutMs} ms: ${missingPathHint(uri, serialPath)}` +
          "is it plugged in, is --device right, and is no other program holding the port (a daemon on " +
          "another --state)? `stalela doctor` checks the path and its permissions",
        { address: uri },
        { cause: err },
      );
    }
    return await body(device);
  } finally {
    await device.close();
  }
}

function serialPathOf(uri: string): string | undefined {
  try {
    const address = parseDeviceAddress(uri);
    return address.kind === "serial" ? address.path : undefined;
  } catch {
    return undefined; // the transport reports the bad URI
  }
}

/** For a serial URI whose path is absent, says so first: the most common first-day mistake. */
function missingPathHint(uri: string, path: string | undefined): string {
  if (path === undefined || existsSync(path)) return "";
  return uri === EMULATOR_DEVICE_URI
    ? `${path} does not exist (it is the emulator's port: start \`stalela emulator\`); `
    : `${path} does not exist; `;
}
