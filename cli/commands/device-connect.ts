/**
 * Opening the DEF directly from the CLI, for installation tasks (`device info`, `status`, `time`,
 * `self-test`, offline `activate`). The daemon holds the port while it runs, so a connect timeout
 * names that cause along with the cable and the URI: a technician sees only this one line.
 */
import { existsSync } from "node:fs";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_DEVICE_URI, defaultConfig } from "../../daemon/config.js";
import { createFiscalDevice, type FiscalDevice } from "../../daemon/device/index.js";
import { FiscalError, isFiscalError } from "../../protocol/index.js";

/** How long to wait for the device link to come up, in ms (flag --connect-timeout-ms). */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Flags every direct-device command shares. */
export interface DeviceFlags {
  readonly device?: string;
  readonly connectTimeoutMs: number;
}

/** The device URI: --device, else $STALELA_DEVICE, else the daemon's default. */
export function deviceUri(flags: { readonly device?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.device ?? env.STALELA_DEVICE ?? DEFAULT_DEVICE_URI;
}

/** The daemon state directory: $STALELA_STATE_DIR (as the systemd unit sets it), else the default. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STALELA_STATE_DIR || defaultConfig().stateDir;
}

/** Parses a positive integer flag value (commander parser). */
export function positiveInt(text: string): number {
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new InvalidArgumentError("must be a positive integer");
  return Number(text);
}

/** Adds `--device`, `--connect-timeout-ms` and `--json` to a command. */
export function withDeviceOptions(command: Command): Command {
  return command
    .option("--device <uri>", "device URI (default $STALELA_DEVICE, else serial:/tmp/stalela-def)")
    .option("--connect-timeout-ms <ms>", "wait this long for the device", positiveInt, CONNECT_TIMEOUT_MS)
    .option("--json", "machine-readable output");
}

/**
 * Opens the device, waits for its link, runs `body`, and closes the device whatever happens.
 * A link that does not come up becomes DEVICE_UNAVAILABLE with the likely causes (exit code 3).
 */
export async function withDevice<T>(
  flags: DeviceFlags,
  body: (device: FiscalDevice) => Promise<T>,
): Promise<T> {
  const uri = deviceUri(flags);
  const device = createFiscalDevice(uri);
  try {
    await device.open();
    try {
      await device.session.waitConnected(flags.connectTimeoutMs);
    } catch (err) {
      if (!isFiscalError(err, "DEVICE_UNAVAILABLE")) throw err;
      throw new FiscalError(
        "DEVICE_UNAVAILABLE",
        `no device answered on ${uri} within ${flags.connectTimeoutMs} ms: ${missingPathHint(uri)}is it plugged in, ` +
          "is --device right, and is the daemon stopped (it holds the port)? `stalela doctor` checks the path and its permissions",
        { address: uri },
        { cause: err },
      );
    }
    return await body(device);
  } finally {
    await device.close();
  }
}

/** For a serial URI whose path is absent, says so first: the most common first-day mistake. */
function missingPathHint(uri: string): string {
  if (!uri.startsWith("serial:")) return "";
  const path = uri.slice("serial:".length).split("?")[0]!;
  if (existsSync(path)) return "";
  return uri === DEFAULT_DEVICE_URI
    ? `${path} does not exist (it is the emulator's port: start \`stalela emulator\`); `
    : `${path} does not exist; `;
}
