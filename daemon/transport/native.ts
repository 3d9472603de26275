/**
 * The slices of `node-hid` and `usb` (3.x, WebUSB-style) the transports use, and their lazy loaders.
 *
 * Both are native modules, so they are imported only when a `hid:`, `usb:` or `auto` device is
 * configured: a serial or TCP daemon must start on a machine without libusb. node-hid's Linux binary links
 * libusb-1.0 (and libudev) at load time; when the library is missing the loader says which Debian package
 * to install instead of surfacing a dlopen error. Tests inject fakes of these interfaces.
 */
import { FiscalError } from "../../protocol/index.js";
import { messageOf } from "./types.js";

/** One HID interface as node-hid enumerates it. */
export interface HidDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly path?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly interface: number;
}

/** An open HID device (node-hid's HIDAsync): reports in and out, report ID first. */
export interface HidHandle {
  on(event: "data", listener: (report: Uint8Array) => void): unknown;
  on(event: "error", listener: (err: Error) => void): unknown;
  write(report: number[] | Buffer): Promise<number>;
  close(): Promise<void>;
}

/** What the HID transport needs from node-hid. */
export interface HidApi {
  devicesAsync(vendorId: number, productId: number): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidHandle>;
}

/** One endpoint of a USB interface (WebUSB USBEndpoint). */
export interface UsbEndpointInfo {
  readonly endpointNumber: number;
  readonly direction: string;
  readonly type: string;
  readonly packetSize: number;
}

/** One interface of the active configuration (WebUSB USBInterface). */
export interface UsbInterfaceInfo {
  readonly interfaceNumber: number;
  readonly alternate: { readonly interfaceClass: number; readonly endpoints: readonly UsbEndpointInfo[] };
}

/** A USB device (WebUSB USBDevice as `usb` 3.x implements it). */
export interface UsbDeviceHandle {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null | undefined;
  readonly configuration?: { readonly interfaces: readonly UsbInterfaceInfo[] } | null | undefined;
  open(): Promise<void>;
  close(): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  transferIn(
    endpointNumber: number,
    length: number,
    timeoutMs?: number,
  ): Promise<{ readonly data?: DataView | undefined; readonly status: string }>;
  transferOut(
    endpointNumber: number,
    data: Uint8Array,
    timeoutMs?: number,
  ): Promise<{ readonly bytesWritten: number; readonly status: string }>;
}

/** A hot-plug event (WebUSB USBConnectionEvent). */
export interface UsbConnectionEvent {
  readonly device: UsbDeviceHandle;
}

/** What the USB transports need from `usb` (its WebUSB object). */
export interface UsbApi {
  getDevices(): Promise<UsbDeviceHandle[]>;
  addEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEvent) => void): void;
  removeEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEvent) => void): void;
}

/** Shared libraries the native modules link, and the Debian package that provides each. */
const RUNTIME_PACKAGES: readonly (readonly [RegExp, string])[] = [
  [/libusb-1\.0/, "libusb-1.0-0"],
  [/libudev/, "libudev1"],
];

/** Turns a native-module load failure into a coded error that names the package to install. */
export function nativeLoadError(module: string, err: unknown): FiscalError {
  const message = messageOf(err);
  const pkg = RUNTIME_PACKAGES.find(([pattern]) => pattern.test(message))?.[1];
  const why =
    pkg === undefined
      ? `${module} cannot load its native binary (${message})`
      : `${module} needs the ${pkg} runtime library, which is missing: run \`apt-get install ${pkg}\` (${message})`;
  return new FiscalError("DEVICE_UNAVAILABLE", why, { module, package: pkg }, { cause: err });
}

let hidApi: Promise<HidApi> | null = null;
let usbApi: Promise<UsbApi> | null = null;

/** Loads node-hid once, forcing its binary to load now so a missing libusb is reported here. */
export function loadNodeHid(): Promise<HidApi> {
  hidApi ??= (async () => {
    try {
      const mod = await import("node-hid");
      mod.getHidapiVersion(); // node-hid loads its binary lazily; this makes a dlopen failure surface now
      return {
        devicesAsync: (vendorId: number, productId: number) => mod.devicesAsync(vendorId, productId),
        open: (path: string) => mod.HIDAsync.open(path) as Promise<unknown> as Promise<HidHandle>,
      };
    } catch (err) {
      hidApi = null; // the package may be installed while the daemon runs: try again next time
      throw nativeLoadError("node-hid", err);
    }
  })();
  return hidApi;
}

/** Loads `usb` once and returns its WebUSB object (all devices allowed; filtering is ours). */
export function loadUsb(): Promise<UsbApi> {
  usbApi ??= (async () => {
    try {
      const mod = await import("usb");
      // usb's WebUSB class is structurally this interface; its event type is the DOM one.
      return mod.usb as unknown as UsbApi;
    } catch (err) {
      usbApi = null;
      throw nativeLoadError("usb", err);
    }
  })();
  return usbApi;
}

/**
 * Lists USB devices; an enumeration failure (no /sys/bus/usb in a container, no permission on the bus)
 * means "no devices", not a crash. `onError` hears why, for one log line.
 */
export async function listUsbDevices(
  api: UsbApi,
  onError?: (err: unknown) => void,
): Promise<UsbDeviceHandle[]> {
  try {
    return await api.getDevices();
  } catch (err) {
    onError?.(err);
    return [];
  }
}
