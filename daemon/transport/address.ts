/**
 * Device addresses as URIs (docs/DEVICE_LINK.md §Addresses):
 *
 *   serial:/dev/ttyACM0[?baud=115200]   CDC-ACM port or the emulator's PTY (COM3 on Windows)
 *   hid:VID:PID[:SERIAL]                USB-HID, 64-byte reports, fragmentation from protocol/
 *   usb:VID:PID[:SERIAL]                raw USB, vendor interface with bulk IN/OUT endpoints
 *   tcp:HOST:PORT                       the emulator's TCP listener (IPv6 hosts in brackets)
 *   auto                                enumerate USB for the configured VID:PID list
 */
import { FiscalError } from "../../protocol/index.js";
import { parseHexId, type UsbId } from "./usb-ids.js";

/** Baud rate used when a serial address gives none; CDC-ACM devices and PTYs ignore it (bits/s). */
export const DEFAULT_SERIAL_BAUD = 115_200;

/** A parsed device address. */
export type DeviceAddress =
  | { readonly kind: "serial"; readonly path: string; readonly baudRate: number }
  | { readonly kind: "hid"; readonly id: UsbId; readonly serial: string | null }
  | { readonly kind: "usb"; readonly id: UsbId; readonly serial: string | null }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "auto" };

function invalid(uri: string, why: string): FiscalError {
  return new FiscalError("FIELD_TYPE", `device address ${JSON.stringify(uri)}: ${why}`, {
    issues: [{ path: "/device", code: 302, message: why }],
  });
}

function parseSerial(uri: string, rest: string): DeviceAddress {
  const [path, query] = rest.split("?", 2) as [string, string | undefined];
  if (path.length === 0) throw invalid(uri, "serial: needs a port path, e.g. serial:/dev/ttyACM0");
  let baudRate = DEFAULT_SERIAL_BAUD;
  if (query !== undefined) {
    const match = /^baud=([0-9]{3,7})$/.exec(query);
    if (match === null) throw invalid(uri, "the only serial option is ?baud=N");
    baudRate = Number(match[1]);
  }
  return { kind: "serial", path, baudRate };
}

function parseUsbLike(uri: string, kind: "hid" | "usb", rest: string): DeviceAddress {
  const parts = rest.split(":");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw invalid(uri, `${kind}: is ${kind}:VID:PID[:SERIAL], e.g. ${kind}:1209:DEF1`);
  }
  try {
    const id = {
      vendorId: parseHexId(parts[0]!, "vendor id"),
      productId: parseHexId(parts[1]!, "product id"),
    };
    return { kind, id, serial: parts[2] ?? null };
  } catch (err) {
    throw invalid(uri, (err as Error).message);
  }
}

function parseTcp(uri: string, rest: string): DeviceAddress {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):([0-9]{1,5})$/.exec(rest);
  const port = Number(match?.[2]);
  if (match === null || port < 1 || port > 65_535) {
    throw invalid(uri, "tcp: is tcp:HOST:PORT, e.g. tcp:127.0.0.1:7878");
  }
  return { kind: "tcp", host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/** Parses a device URI; throws FIELD_TYPE (a configuration error) naming the expected form. */
export function parseDeviceAddress(uri: string): DeviceAddress {
  const text = uri.trim();
  if (text === "auto") return { kind: "auto" };
  const colon = text.indexOf(":");
  const scheme = colon < 0 ? "" : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (scheme) {
    case "serial":
      return parseSerial(uri, rest);
    case "hid":
    case "usb":
      return parseUsbLike(uri, scheme, rest);
    case "tcp":
      return parseTcp(uri, rest);
    default:
      throw invalid(
        uri,
        "use serial:PATH, hid:VID:PID[:SERIAL], usb:VID:PID[:SERIAL], tcp:HOST:PORT or auto",
      );
  }
}

/** The canonical URI of an address (what logs and the status endpoint show). */
export function formatDeviceAddress(address: DeviceAddress): string {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, "0");
  switch (address.kind) {
    case "serial":
      return address.baudRate === DEFAULT_SERIAL_BAUD
        ? `serial:${address.path}`
        : `serial:${address.path}?baud=${address.baudRate}`;
    case "hid":
    case "usb": {
      const base = `${address.kind}:${hex(address.id.vendorId)}:${hex(address.id.productId)}`;
      return address.serial === null ? base : `${base}:${address.serial}`;
    }
    case "tcp":
      return address.host.includes(":")
        ? `tcp:[${address.host}]:${address.port}`
        : `tcp:${address.host}:${address.port}`;
    case "auto":
      return "auto";
  }
}
