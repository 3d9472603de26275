/**
 * Raw USB bulk transport (`usb` 3.x, WebUSB-style): the DEF's vendor-specific interface with one bulk IN
 * and one bulk OUT endpoint carries the frame byte stream as-is. The interface is claimed on open and
 * released on close. Reads are one max-size packet per transfer, so a poll timeout can only ever cancel
 * an empty transfer and never loses bytes.
 */
import { isWantedDevice, UsbHotplugWatcher } from "./hotplug.js";
import {
  listUsbDevices,
  loadUsb,
  type UsbApi,
  type UsbDeviceHandle,
  type UsbEndpointInfo,
  type UsbInterfaceInfo,
} from "./native.js";
import { deviceUnavailable, HotplugTransportBase, messageOf, type Transport } from "./types.js";
import { formatUsbId, USB_CLASS_CDC_DATA, USB_CLASS_VENDOR, type UsbId } from "./usb-ids.js";

/** How long one bulk IN transfer waits for data before it is re-armed, in ms (bounds close latency). */
export const USB_READ_POLL_MS = 500;
/** Longest a bulk OUT transfer may take, in ms; a device that does not drain is treated as gone. */
export const USB_WRITE_TIMEOUT_MS = 2_000;

/** The claimed interface and its two endpoints. */
export interface BulkInterface {
  readonly interfaceNumber: number;
  readonly in: UsbEndpointInfo;
  readonly out: UsbEndpointInfo;
}

/** Finds a vendor (or CDC data) interface with a bulk IN and a bulk OUT endpoint. */
export function findBulkInterface(interfaces: readonly UsbInterfaceInfo[]): BulkInterface | null {
  for (const iface of interfaces) {
    const cls = iface.alternate.interfaceClass;
    if (cls !== USB_CLASS_VENDOR && cls !== USB_CLASS_CDC_DATA) continue;
    const bulk = iface.alternate.endpoints.filter((e) => e.type === "bulk");
    const epIn = bulk.find((e) => e.direction === "in");
    const epOut = bulk.find((e) => e.direction === "out");
    if (epIn && epOut) return { interfaceNumber: iface.interfaceNumber, in: epIn, out: epOut };
  }
  return null;
}

/** A transfer that ended because its poll timeout ran out, not because the device failed. */
function isIdlePoll(err: unknown): boolean {
  return /cancel|time[ds]?[ _-]?out/i.test(messageOf(err));
}

/** How to find and reach one bulk DEF. */
export interface UsbBulkTransportOptions {
  readonly id: UsbId;
  readonly serial: string | null;
  /** `usb`, or a fake of it (default: loaded lazily). */
  readonly loadUsb?: () => Promise<UsbApi>;
}

/** A Transport over the bulk endpoints of one USB interface. */
export class UsbBulkTransport extends HotplugTransportBase implements Transport {
  readonly address: string;
  private readonly watcher: UsbHotplugWatcher;
  private device: UsbDeviceHandle | null = null;
  private iface: BulkInterface | null = null;
  private writing: Promise<void> = Promise.resolve();

  /** Assigns only; `open()` finds the device and claims its interface. */
  constructor(private readonly options: UsbBulkTransportOptions) {
    super();
    const base = `usb:${formatUsbId(options.id)}`;
    this.address = options.serial === null ? base : `${base}:${options.serial}`;
    this.watcher = new UsbHotplugWatcher([options.id], options.serial, {
      arrived: () => this.handlers.emitArrival(),
      departed: () => this.lost(this.handlers.current, new Error("USB device detached")),
    });
  }

  /** Finds the device, opens it, claims the bulk interface and starts the read loop. */
  async open(): Promise<void> {
    if (this.device !== null) return;
    const api = await (this.options.loadUsb ?? loadUsb)();
    await this.watcher.start(api);
    const devices = await listUsbDevices(api);
    const device = devices.find((d) => isWantedDevice(d, [this.options.id], this.options.serial));
    if (device === undefined) throw deviceUnavailable(this.address, "no matching USB device is connected");
    try {
      await device.open();
    } catch (err) {
      throw deviceUnavailable(this.address, `cannot open: ${messageOf(err)}`, err);
    }
    const iface = findBulkInterface(device.configuration?.interfaces ?? []);
    try {
      if (iface === null) throw new Error("no interface with bulk IN and OUT endpoints");
      await device.claimInterface(iface.interfaceNumber);
    } catch (err) {
      await device.close().catch(() => {});
      throw deviceUnavailable(this.address, `cannot claim the bulk interface: ${messageOf(err)}`, err);
    }
    const session = this.handlers.opened();
    this.device = device;
    this.iface = iface;
    void this.readLoop(session, device, iface.in);
  }

  /** Sends bytes on the bulk OUT endpoint; writes from concurrent calls never interleave. */
  write(bytes: Uint8Array): Promise<void> {
    const device = this.device;
    const iface = this.iface;
    if (device === null || iface === null) {
      return Promise.reject(deviceUnavailable(this.address, "device is not open"));
    }
    const session = this.handlers.current;
    const run = this.writing.then(async () => {
      try {
        const result = await device.transferOut(iface.out.endpointNumber, bytes, USB_WRITE_TIMEOUT_MS);
        if (result.status !== "ok" || result.bytesWritten !== bytes.length) {
          throw new Error(`bulk OUT ${result.status}, ${result.bytesWritten} of ${bytes.length} bytes`);
        }
      } catch (err) {
        this.lost(session, err instanceof Error ? err : new Error(messageOf(err)));
        throw deviceUnavailable(this.address, `write failed: ${messageOf(err)}`, err);
      }
    });
    this.writing = run.catch(() => {});
    return run;
  }

  /** Releases the interface, closes the device and stops hot-plug watching. */
  async close(): Promise<void> {
    this.handlers.closed();
    this.watcher.stop();
    await this.release();
  }

  private async readLoop(session: number, device: UsbDeviceHandle, endpoint: UsbEndpointInfo): Promise<void> {
    while (this.device === device && session === this.handlers.current) {
      try {
        const result = await device.transferIn(
          endpoint.endpointNumber,
          endpoint.packetSize,
          USB_READ_POLL_MS,
        );
        const data = result.data;
        if (result.status !== "ok") throw new Error(`bulk IN ${result.status}`);
        if (data !== undefined && data.byteLength > 0) {
          this.handlers.emitData(
            session,
            new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice(),
          );
        }
      } catch (err) {
        if (this.device !== device) return;
        if (isIdlePoll(err)) continue;
        this.lost(session, err instanceof Error ? err : new Error(messageOf(err)));
        return;
      }
    }
  }

  private lost(session: number, reason: Error): void {
    if (session !== this.handlers.current || this.device === null) return;
    void this.release();
    this.handlers.emitDisconnect(session, reason);
  }

  /** Reverse of open: release the interface, then close the device; failures of a gone device are moot. */
  private async release(): Promise<void> {
    const device = this.device;
    const iface = this.iface;
    this.device = null;
    this.iface = null;
    if (device === null) return;
    if (iface !== null) await device.releaseInterface(iface.interfaceNumber).catch(() => {});
    await device.close().catch(() => {});
  }
}
