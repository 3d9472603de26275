/**
 * Fakes of the node-hid and `usb` (WebUSB) APIs whose "hardware" is an in-memory link to a real emulated
 * DEF. The HID fake rebuilds the host's reports into frames with the protocol's HidReassembler and
 * fragments the device's frames back into 64-byte reports; the USB fake moves the raw byte stream
 * through bulk endpoints one packet per transfer. Both can be unplugged at any report or packet.
 */
import { EventEmitter } from "node:events";
import type {
  HidApi,
  HidDeviceInfo,
  HidHandle,
  UsbApi,
  UsbConnectionEvent,
  UsbDeviceHandle,
  UsbInterfaceInfo,
} from "../../../daemon/transport/index.js";
import type { MemoryHostEnd } from "../../../emulator/link/memory.js";
import {
  encodeFrame,
  FrameParser,
  fragmentFrame,
  HID_REPORT_BYTES,
  HidReassembler,
} from "../../../protocol/index.js";

/** The DEF side of a fake USB device: frames in from the host, frames out from the emulator. */
abstract class FakeHardware {
  plugged = true;
  /** Device → host units (reports or packets) still to deliver before the device vanishes; null = never. */
  removeAfter: number | null = null;
  readonly hostWrites: Uint8Array[] = [];
  /** Called after an unplug (the USB fake dispatches its detach event from here). */
  onUnplug: (() => void) | null = null;
  protected readonly fromDevice = new FrameParser();

  /** Assigns only. */
  constructor(protected readonly link: MemoryHostEnd) {}

  /** Pulls the cable: the emulator sees the host go, the host sees its transfers fail. */
  unplug(): void {
    if (!this.plugged) return;
    this.plugged = false;
    this.link.close();
    this.fromDevice.reset();
    this.vanished();
    this.onUnplug?.();
  }

  /** Plugs it back in. */
  replug(): void {
    this.plugged = true;
    this.link.reopen();
  }

  /** Counts one delivered unit; true when the device must vanish instead of delivering it. */
  protected spend(): boolean {
    if (this.removeAfter === null) return false;
    if (this.removeAfter === 0) {
      this.removeAfter = null;
      this.unplug();
      return true;
    }
    this.removeAfter--;
    return false;
  }

  protected abstract vanished(): void;
}

/** A fake HID DEF (node-hid HIDAsync). */
export class FakeHidDevice extends FakeHardware {
  /** Deliver each report in two reads (a platform handing a report over in pieces). */
  splitReports = false;
  readonly info: HidDeviceInfo;
  private handle: (EventEmitter & HidHandle) | null = null;
  private readonly toDevice = new HidReassembler();

  /** Wires the emulator's bytes to reports. */
  constructor(link: MemoryHostEnd, serialNumber = "SN-HID-1") {
    super(link);
    this.info = { vendorId: 0x1209, productId: 0xdef1, path: "/dev/hidraw-fake", serialNumber, interface: 0 };
    link.onData((bytes) => {
      for (const event of this.fromDevice.push(bytes)) {
        if (event.kind === "frame") this.deliver(encodeFrame(event.frame));
      }
    });
  }

  /** The node-hid API slice over this device. */
  api(): HidApi {
    return {
      devicesAsync: async (vid, pid) =>
        this.plugged && vid === this.info.vendorId && pid === this.info.productId ? [this.info] : [],
      open: async (path) => {
        if (!this.plugged || path !== this.info.path) throw new Error(`cannot open ${path}`);
        if (!this.link.isOpen) this.link.reopen();
        const handle = Object.assign(new EventEmitter(), {
          write: async (report: number[] | Buffer) => this.receive(Uint8Array.from(report)),
          close: async () => {
            if (this.handle === handle) this.handle = null;
          },
        });
        this.handle = handle;
        return handle;
      },
    };
  }

  private receive(report: Uint8Array): number {
    if (!this.plugged) throw new Error("Cannot write to hid device");
    this.hostWrites.push(report);
    for (const event of this.toDevice.push(report, Date.now())) {
      if (event.kind === "frame") this.link.write(event.bytes);
    }
    return report.length;
  }

  private deliver(frame: Uint8Array): void {
    for (const report of fragmentFrame(frame)) {
      if (this.spend()) return;
      const handle = this.handle;
      if (handle === null) return;
      if (this.splitReports) {
        handle.emit("data", Buffer.from(report.subarray(0, 20)));
        handle.emit("data", Buffer.from(report.subarray(20, HID_REPORT_BYTES)));
      } else {
        handle.emit("data", Buffer.from(report));
      }
    }
  }

  protected vanished(): void {
    this.handle?.emit("error", new Error("could not read from HID device"));
  }
}

/** Endpoint numbers and packet size of the fake bulk interface. */
const BULK_IN = 1;
const BULK_OUT = 2;
const PACKET = 64;

/** A fake raw-USB DEF (WebUSB USBDevice) with a vendor interface and two bulk endpoints. */
export class FakeUsbDevice extends FakeHardware implements UsbDeviceHandle {
  readonly vendorId = 0x1209;
  readonly productId = 0xdef1;
  readonly serialNumber = "SN-USB-1";
  readonly claims: number[] = [];
  readonly releases: number[] = [];
  opened = false;
  private rx: Uint8Array = new Uint8Array(0);
  private reader: { resolve: () => void; reject: (err: Error) => void } | null = null;

  /** Queues the emulator's bytes for bulk IN. */
  constructor(
    link: MemoryHostEnd,
    readonly interfaceClass = 0xff,
  ) {
    super(link);
    link.onData((bytes) => {
      const next = new Uint8Array(this.rx.length + bytes.length);
      next.set(this.rx, 0);
      next.set(bytes, this.rx.length);
      this.rx = next;
      this.reader?.resolve();
    });
  }

  get configuration(): { interfaces: UsbInterfaceInfo[] } {
    const endpoints = [
      { endpointNumber: BULK_IN, direction: "in", type: "bulk", packetSize: PACKET },
      { endpointNumber: BULK_OUT, direction: "out", type: "bulk", packetSize: PACKET },
    ];
    return {
      interfaces: [{ interfaceNumber: 0, alternate: { interfaceClass: this.interfaceClass, endpoints } }],
    };
  }

  async open(): Promise<void> {
    if (!this.plugged) throw new Error("open error: device disconnected");
    if (!this.link.isOpen) this.link.reopen();
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  async claimInterface(n: number): Promise<void> {
    this.claims.push(n);
  }

  async releaseInterface(n: number): Promise<void> {
    this.releases.push(n);
  }

  async transferOut(ep: number, data: Uint8Array): Promise<{ bytesWritten: number; status: string }> {
    if (!this.plugged) throw new Error("transferOut error: Disconnected");
    if (ep !== BULK_OUT) throw new Error("transferOut error: endpoint not found");
    this.hostWrites.push(data.slice());
    this.link.write(data);
    return { bytesWritten: data.length, status: "ok" };
  }

  async transferIn(
    ep: number,
    length: number,
    timeoutMs = 1_000,
  ): Promise<{ data?: DataView; status: string }> {
    if (ep !== BULK_IN) throw new Error("transferIn error: endpoint not found");
    if (!this.plugged) throw new Error("transferIn error: Disconnected");
    if (this.rx.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.reader = null;
          reject(new Error("transferIn error: Cancelled"));
        }, timeoutMs);
        this.reader = {
          resolve: () => {
            clearTimeout(timer);
            this.reader = null;
            resolve();
          },
          reject: (err) => {
            clearTimeout(timer);
            this.reader = null;
            reject(err);
          },
        };
      });
    }
    if (this.spend()) throw new Error("transferIn error: Disconnected");
    const n = Math.min(length, PACKET, this.rx.length);
    const packet = this.rx.slice(0, n);
    this.rx = this.rx.slice(n);
    return { data: new DataView(packet.buffer), status: "ok" };
  }

  protected vanished(): void {
    this.rx = new Uint8Array(0);
    this.reader?.reject(new Error("transferIn error: Disconnected"));
  }
}

/** A fake of `usb`'s WebUSB object over a set of fake devices, with hot-plug events. */
export class FakeUsb implements UsbApi {
  readonly devices: UsbDeviceHandle[] = [];
  /** Make enumeration fail as it does without /sys/bus/usb. */
  enumerationFails = false;
  private readonly listeners = new Map<string, Set<(event: UsbConnectionEvent) => void>>();

  async getDevices(): Promise<UsbDeviceHandle[]> {
    if (this.enumerationFails) throw new Error("getDevices error: /sys/bus/usb/devices/ not found (errno 2)");
    return this.devices.filter((d) => !(d instanceof FakeHardware) || d.plugged);
  }

  addEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEvent) => void): void {
    const set = this.listeners.get(type) ?? new Set();
    set.add(listener);
    this.listeners.set(type, set);
  }

  removeEventListener(type: "connect" | "disconnect", listener: (event: UsbConnectionEvent) => void): void {
    this.listeners.get(type)?.delete(listener);
  }

  /** Listeners subscribed now, for checking that close() unsubscribes. */
  get listenerCount(): number {
    return [...this.listeners.values()].reduce((n, s) => n + s.size, 0);
  }

  /** Dispatches a hot-plug event. */
  dispatch(type: "connect" | "disconnect", device: UsbDeviceHandle): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) listener({ device });
  }
}
