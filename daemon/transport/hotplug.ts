/**
 * USB hot-plug watching for the USB transports: attach and detach events of devices with the DEF's
 * VID:PID, from `usb`'s WebUSB connect/disconnect events.
 *
 * `usb` 3.x starts its native watcher, and enumerates in the background, when the first listener is
 * added; in a sandbox without /sys/bus/usb that background enumeration rejects unhandled and would crash
 * the process. So enumeration is probed first, and without a working bus nothing is subscribed: the
 * reconnect loop's bounded backoff still finds a device that appears later.
 */
import { listUsbDevices, type UsbApi, type UsbConnectionEvent, type UsbDeviceHandle } from "./native.js";
import { matchesUsbId, type UsbId } from "./usb-ids.js";

/** What a watcher reports. */
export interface HotplugHandlers {
  /** A matching device appeared. */
  arrived(device: UsbDeviceHandle): void;
  /** A matching device went away. */
  departed(device: UsbDeviceHandle): void;
}

/** True when `device` has one of `ids` and, if `serial` is given, that serial number. */
export function isWantedDevice(
  device: UsbDeviceHandle,
  ids: readonly UsbId[],
  serial: string | null,
): boolean {
  if (!matchesUsbId(device, ids)) return false;
  if (serial === null) return true;
  try {
    return device.serialNumber === serial;
  } catch {
    // Reading the serial string needs the device opened; one we cannot open is not ours to use.
    return false;
  }
}

/** Subscribes to attach/detach of matching devices while started. */
export class UsbHotplugWatcher {
  private api: UsbApi | null = null;
  private readonly onConnect = (event: UsbConnectionEvent): void => {
    if (isWantedDevice(event.device, this.ids, this.serial)) this.handlers.arrived(event.device);
  };
  private readonly onDisconnect = (event: UsbConnectionEvent): void => {
    // No serial check on the way out: a departed device can no longer be asked for its serial string.
    if (matchesUsbId(event.device, this.ids)) this.handlers.departed(event.device);
  };

  /** Assigns only; `start()` subscribes. */
  constructor(
    private readonly ids: readonly UsbId[],
    private readonly serial: string | null,
    private readonly handlers: HotplugHandlers,
  ) {}

  /** Subscribes when enumeration works; returns whether events will come. Idempotent. */
  async start(api: UsbApi): Promise<boolean> {
    if (this.api !== null) return true;
    let usable = true;
    await listUsbDevices(api, () => {
      usable = false;
    });
    if (!usable || this.api !== null) return this.api !== null;
    this.api = api;
    api.addEventListener("connect", this.onConnect);
    api.addEventListener("disconnect", this.onDisconnect);
    return true;
  }

  /** Unsubscribes (which also lets `usb` stop its native watcher, so the process can exit). */
  stop(): void {
    const api = this.api;
    this.api = null;
    if (api === null) return;
    api.removeEventListener("connect", this.onConnect);
    api.removeEventListener("disconnect", this.onDisconnect);
  }
}
