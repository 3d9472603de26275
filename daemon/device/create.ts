/**
 * One call from a device URI, the daemon's `device` settings (or a ready transport) to a FiscalDevice,
 * for the composition root, the CLI and tools. Builds only; the caller opens it.
 */
import type { DeviceAddress } from "../transport/address.js";
import { type CreateTransportOptions, createTransport } from "../transport/create.js";
import type { Transport } from "../transport/types.js";
import { parseUsbId } from "../transport/usb-ids.js";
import { type DeviceSessionConfig, type DeviceSettings, sessionConfigOf } from "./config.js";
import type { SessionLogger, SessionLogLevel } from "./events.js";
import { FiscalDevice } from "./fiscal-device.js";
import { DeviceSession } from "./session.js";

/** A structured logger with pino's call shape (`logger.warn(fields, message)`), e.g. the daemon's. */
export type StructuredLogger = Readonly<Record<SessionLogLevel, (fields: object, message: string) => void>>;

/** Transport options plus the session's tunables and logger. */
export interface FiscalDeviceOptions extends CreateTransportOptions {
  readonly config?: Partial<DeviceSessionConfig>;
  /** Where the session logs `link_down`, `reply_lost`, `write_failed`… (default: nowhere). */
  readonly logger?: SessionLogger | StructuredLogger;
}

/** The session's log lines on a pino-style logger: the event name is the message, fields as they are. */
export function sessionLoggerOf(logger: SessionLogger | StructuredLogger): SessionLogger {
  if ("log" in logger && typeof logger.log === "function") return logger as SessionLogger;
  const structured = logger as StructuredLogger;
  return {
    log: (level, event, fields) => structured[level]({ ...fields, event }, event),
  };
}

function isTransport(device: object): device is Transport {
  return "open" in device;
}

function isSettings(device: object): device is DeviceSettings {
  return "uri" in device && "usbIds" in device;
}

/**
 * Builds transport → session → FiscalDevice for `device`: a URI, a parsed address, a transport, or the
 * daemon's `device` settings (whose usbIds reach `auto` discovery and whose tunables reach the
 * session; `options.config` and `options.usbIds`, when given, win over them).
 */
export function createFiscalDevice(
  device: string | DeviceAddress | Transport | DeviceSettings,
  options: FiscalDeviceOptions = {},
): FiscalDevice {
  let target: string | DeviceAddress | Transport = device as string | DeviceAddress | Transport;
  let transportOptions: CreateTransportOptions = options;
  let config = options.config;
  if (typeof device === "object" && isSettings(device)) {
    target = device.uri;
    transportOptions = { ...options, usbIds: options.usbIds ?? device.usbIds.map(parseUsbId) };
    config = { ...sessionConfigOf(device), ...options.config };
  }
  const transport =
    typeof target === "object" && isTransport(target) ? target : createTransport(target, transportOptions);
  const logger = options.logger === undefined ? undefined : sessionLoggerOf(options.logger);
  return new FiscalDevice(new DeviceSession({ transport, config, logger }));
}
