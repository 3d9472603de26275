/**
 * One call from a device URI (or a ready transport) to a FiscalDevice, for the composition root, the
 * CLI and tools. Builds only; the caller opens it.
 */
import type { DeviceAddress } from "../transport/address.js";
import { type CreateTransportOptions, createTransport } from "../transport/create.js";
import type { Transport } from "../transport/types.js";
import type { DeviceSessionConfig } from "./config.js";
import type { SessionLogger } from "./events.js";
import { FiscalDevice } from "./fiscal-device.js";
import { DeviceSession } from "./session.js";

/** Transport options plus the session's tunables and logger. */
export interface FiscalDeviceOptions extends CreateTransportOptions {
  readonly config?: Partial<DeviceSessionConfig>;
  readonly logger?: SessionLogger;
}

function isTransport(device: string | DeviceAddress | Transport): device is Transport {
  return typeof device === "object" && "open" in device;
}

/** Builds transport → session → FiscalDevice for `device` (a URI, a parsed address or a transport). */
export function createFiscalDevice(
  device: string | DeviceAddress | Transport,
  options: FiscalDeviceOptions = {},
): FiscalDevice {
  const transport = isTransport(device) ? device : createTransport(device, options);
  return new FiscalDevice(new DeviceSession({ transport, config: options.config, logger: options.logger }));
}
