/**
 * Builds the transport a device URI names. The native USB modules are not touched here: HID and USB
 * transports load them on their first `open()`, so a serial or TCP configuration never needs them.
 */
import { type DeviceAddress, formatDeviceAddress, parseDeviceAddress } from "./address.js";
import { AutoTransport, type SerialPortInfo } from "./auto.js";
import { HidTransport } from "./hid.js";
import type { HidApi, UsbApi } from "./native.js";
import { SerialTransport } from "./serial.js";
import { TcpTransport } from "./tcp.js";
import type { Transport } from "./types.js";
import { UsbBulkTransport } from "./usb-bulk.js";
import { DEFAULT_DEF_USB_IDS, type UsbId } from "./usb-ids.js";

/** Options for `createTransport`; the loaders exist for tests and tools that bring their own. */
export interface CreateTransportOptions {
  /**
   * VID:PID list `auto` searches: the daemon's `device.usbIds` (default DEFAULT_DEF_USB_IDS). A hid: or
   * usb: URI carries its own VID:PID and ignores it.
   */
  readonly usbIds?: readonly UsbId[];
  readonly loadHid?: () => Promise<HidApi>;
  readonly loadUsb?: () => Promise<UsbApi>;
  readonly listSerialPorts?: () => Promise<SerialPortInfo[]>;
}

/** Builds (without opening) the transport for a URI or a parsed address. */
export function createTransport(
  device: string | DeviceAddress,
  options: CreateTransportOptions = {},
): Transport {
  const address = typeof device === "string" ? parseDeviceAddress(device) : device;
  switch (address.kind) {
    case "serial":
      return new SerialTransport({
        path: address.path,
        baudRate: address.baudRate,
        address: formatDeviceAddress(address),
      });
    case "tcp":
      return new TcpTransport({ host: address.host, port: address.port });
    case "hid":
      return new HidTransport({
        id: address.id,
        serial: address.serial,
        loadHid: options.loadHid,
        loadUsb: options.loadUsb,
      });
    case "usb":
      return new UsbBulkTransport({ id: address.id, serial: address.serial, loadUsb: options.loadUsb });
    case "auto":
      return new AutoTransport({
        ids: options.usbIds ?? DEFAULT_DEF_USB_IDS,
        loadUsb: options.loadUsb,
        loadHid: options.loadHid,
        listSerialPorts: options.listSerialPorts,
      });
  }
}
