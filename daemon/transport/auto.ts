/**
 * `auto`: find the DEF by its VID:PID and pick the transport from what it exposes. A CDC-ACM device
 * already has a kernel tty (serialport's port list carries its VID:PID), so it is used as a serial port;
 * otherwise the USB device's interfaces decide: a HID interface means `hid:`, a vendor interface with bulk
 * endpoints means `usb:`. Discovery runs again on every open, so a DEF swapped for another model while
 * unplugged is still found.
 */
import { SerialPort } from "serialport";
import { DEFAULT_SERIAL_BAUD } from "./address.js";
import { HidTransport } from "./hid.js";
import { UsbHotplugWatcher } from "./hotplug.js";
import { type HidApi, listUsbDevices, loadUsb, type UsbApi, type UsbDeviceHandle } from "./native.js";
import { SerialTransport } from "./serial.js";
import { deviceUnavailable, HotplugTransportBase, type Transport } from "./types.js";
import { findBulkInterface, UsbBulkTransport } from "./usb-bulk.js";
import { formatUsbId, matchesUsbId, USB_CLASS_HID, type UsbId } from "./usb-ids.js";

/** A serial port as serialport lists it (VID/PID are hex strings without 0x). */
export interface SerialPortInfo {
  readonly path: string;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
}

/** What `auto` searches with. */
export interface AutoTransportOptions {
  /** The DEF VID:PID list: the daemon's `device.usbIds` setting (default DEFAULT_DEF_USB_IDS). */
  readonly ids: readonly UsbId[];
  /** Lists serial ports (default serialport's `SerialPort.list`). */
  readonly listSerialPorts?: () => Promise<SerialPortInfo[]>;
  /** `usb` or a fake (default: loaded lazily). */
  readonly loadUsb?: () => Promise<UsbApi>;
  /** node-hid or a fake (default: loaded lazily). */
  readonly loadHid?: () => Promise<HidApi>;
}

/** The concrete transport `auto` chose for a device. */
export type AutoChoice = "serial" | "hid" | "usb";

/** Decides the transport from a USB device's interfaces; null when it has neither HID nor bulk. */
export function chooseUsbTransport(device: UsbDeviceHandle): Exclude<AutoChoice, "serial"> | null {
  const interfaces = device.configuration?.interfaces ?? [];
  if (interfaces.some((i) => i.alternate.interfaceClass === USB_CLASS_HID)) return "hid";
  return findBulkInterface(interfaces) === null ? null : "usb";
}

/** Discovers the DEF on every open and delegates to the transport it needs. */
export class AutoTransport extends HotplugTransportBase implements Transport {
  readonly address = "auto";
  private readonly watcher: UsbHotplugWatcher;
  private inner: Transport | null = null;
  /** What the last open chose, for the status endpoint. */
  chosen: { readonly kind: AutoChoice; readonly address: string } | null = null;

  /** Assigns only. */
  constructor(private readonly options: AutoTransportOptions) {
    super();
    this.watcher = new UsbHotplugWatcher(options.ids, null, {
      arrived: () => this.handlers.emitArrival(),
      departed: () => {},
    });
  }

  /** Discovers, builds the concrete transport and opens it. */
  async open(): Promise<void> {
    if (this.inner !== null) return;
    const inner = await this.discover();
    const session = this.handlers.opened();
    inner.onData((bytes) => this.handlers.emitData(session, bytes));
    inner.onDisconnect((reason) => {
      if (this.inner === inner) this.inner = null;
      // The next open discovers afresh; this one's hot-plug watching is `auto`'s job from now on.
      void inner.close();
      this.handlers.emitDisconnect(session, reason);
    });
    try {
      await inner.open();
    } catch (err) {
      await inner.close();
      throw err;
    }
    this.inner = inner;
    this.chosen = { kind: inner.address.split(":")[0] as AutoChoice, address: inner.address };
  }

  /** Writes through the chosen transport. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.inner === null) return Promise.reject(deviceUnavailable(this.address, "no device is open"));
    return this.inner.write(bytes);
  }

  /** Closes the chosen transport and stops watching. */
  async close(): Promise<void> {
    this.handlers.closed();
    this.watcher.stop();
    const inner = this.inner;
    this.inner = null;
    await inner?.close();
  }

  private async discover(): Promise<Transport> {
    const wanted = this.options.ids;
    const ports = await (this.options.listSerialPorts ?? (() => SerialPort.list()))().catch(() => []);
    const tty = ports.find(
      (p) =>
        p.vendorId !== undefined &&
        p.productId !== undefined &&
        matchesUsbId(
          { vendorId: Number.parseInt(p.vendorId, 16), productId: Number.parseInt(p.productId, 16) },
          wanted,
        ),
    );
    if (tty !== undefined) return new SerialTransport({ path: tty.path, baudRate: DEFAULT_SERIAL_BAUD });
    const usb = await (this.options.loadUsb ?? loadUsb)();
    await this.watcher.start(usb);
    for (const device of await listUsbDevices(usb)) {
      if (!matchesUsbId(device, wanted)) continue;
      const id = { vendorId: device.vendorId, productId: device.productId };
      const choice = chooseUsbTransport(device);
      if (choice === "hid") {
        return new HidTransport({ id, serial: null, loadHid: this.options.loadHid, loadUsb: null });
      }
      if (choice === "usb") return new UsbBulkTransport({ id, serial: null, loadUsb: async () => usb });
    }
    const looked = wanted.map(formatUsbId).join(", ");
    throw deviceUnavailable(this.address, `no DEF found (looked for USB ids ${looked})`);
  }
}
