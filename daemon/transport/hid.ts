/**
 * USB-HID transport (`node-hid`): frames travel in fixed 64-byte reports, report ID 0x01 first, split and
 * rebuilt by the fragmentation of docs/PROTOCOL.md §3 (protocol/frame/hid.ts). Reports a platform hands
 * over in pieces are joined back to 64 bytes before reassembly. Unplugging shows as an 'error' from
 * node-hid's read loop or a failed write, and (when `usb` can watch the bus) as a detach event.
 */
import {
  fragmentFrame,
  HID_REPORT_BYTES,
  HidReassembler,
  type ReassemblyFault,
} from "../../protocol/index.js";
import { UsbHotplugWatcher } from "./hotplug.js";
import { type HidApi, type HidHandle, loadNodeHid, loadUsb, type UsbApi } from "./native.js";
import { deviceUnavailable, HotplugTransportBase, messageOf, type Transport } from "./types.js";
import { formatUsbId, type UsbId } from "./usb-ids.js";

/** How to find and reach one HID DEF. */
export interface HidTransportOptions {
  readonly id: UsbId;
  /** Only the device with this USB serial number; any matching device when null. */
  readonly serial: string | null;
  /** node-hid, or a fake of it (default: loaded lazily). */
  readonly loadHid?: () => Promise<HidApi>;
  /** `usb` for hot-plug events, or null for none (default: loaded lazily, best effort). */
  readonly loadUsb?: (() => Promise<UsbApi>) | null;
  /** The clock the reassembly timeout runs on, in ms. */
  readonly now?: () => number;
}

/** A Transport over one HID interface. */
export class HidTransport extends HotplugTransportBase implements Transport {
  readonly address: string;
  /** Reports dropped by reassembly, by cause (the frame CRC and the session's retries recover them). */
  readonly reassemblyFaults: Record<ReassemblyFault, number> = {
    "bad-report": 0,
    orphan: 0,
    "out-of-order": 0,
    interrupted: 0,
    timeout: 0,
    oversize: 0,
  };
  private readonly watcher: UsbHotplugWatcher;
  private handle: HidHandle | null = null;
  private reassembler = new HidReassembler();
  private partial: Uint8Array = new Uint8Array(0);
  private writing: Promise<void> = Promise.resolve();

  /** Assigns only; `open()` finds and opens the device. */
  constructor(private readonly options: HidTransportOptions) {
    super();
    const base = `hid:${formatUsbId(options.id)}`;
    this.address = options.serial === null ? base : `${base}:${options.serial}`;
    this.watcher = new UsbHotplugWatcher([options.id], options.serial, {
      arrived: () => this.handlers.emitArrival(),
      departed: () => this.lost(this.handlers.current, new Error("USB device detached")),
    });
  }

  /** Enumerates, opens the first matching HID interface, and starts reading reports. */
  async open(): Promise<void> {
    if (this.handle !== null) return;
    const api = await (this.options.loadHid ?? loadNodeHid)();
    await this.watchHotplug();
    const { vendorId, productId } = this.options.id;
    const listed = await api.devicesAsync(vendorId, productId).catch((err: unknown) => {
      throw deviceUnavailable(this.address, `HID enumeration failed: ${messageOf(err)}`, err);
    });
    const found = listed.filter(
      (d) => d.path !== undefined && (this.options.serial === null || d.serialNumber === this.options.serial),
    );
    const info = found[0];
    if (info?.path === undefined)
      throw deviceUnavailable(this.address, "no matching HID device is connected");
    const session = this.handlers.opened();
    let handle: HidHandle;
    try {
      handle = await api.open(info.path);
    } catch (err) {
      throw deviceUnavailable(this.address, `cannot open ${info.path}: ${messageOf(err)}`, err);
    }
    this.reassembler = new HidReassembler();
    this.partial = new Uint8Array(0);
    this.handle = handle;
    handle.on("data", (chunk) => this.onChunk(session, new Uint8Array(chunk)));
    handle.on("error", (err) => this.lost(session, err));
  }

  /** Sends one whole frame as its reports, in order; frames from concurrent calls never interleave. */
  write(bytes: Uint8Array): Promise<void> {
    const handle = this.handle;
    if (handle === null) return Promise.reject(deviceUnavailable(this.address, "device is not open"));
    const session = this.handlers.current;
    let reports: Uint8Array[];
    try {
      reports = fragmentFrame(bytes);
    } catch (err) {
      return Promise.reject(err);
    }
    const run = this.writing.then(async () => {
      for (const report of reports) {
        if (this.handle !== handle) throw deviceUnavailable(this.address, "device closed during a write");
        try {
          await handle.write(Buffer.from(report));
        } catch (err) {
          this.lost(session, err instanceof Error ? err : new Error(messageOf(err)));
          throw deviceUnavailable(this.address, `write failed: ${messageOf(err)}`, err);
        }
      }
    });
    this.writing = run.catch(() => {});
    return run;
  }

  /** Closes the device and stops hot-plug watching. */
  async close(): Promise<void> {
    this.handlers.closed();
    this.watcher.stop();
    await this.release();
  }

  private async watchHotplug(): Promise<void> {
    const load = this.options.loadUsb === undefined ? loadUsb : this.options.loadUsb;
    if (load === null) return;
    try {
      await this.watcher.start(await load());
    } catch {
      // Hot-plug events are a speed-up only: without `usb` the reconnect backoff finds the device.
    }
  }

  /** Joins chunks into whole reports, then reports into frames. */
  private onChunk(session: number, chunk: Uint8Array): void {
    if (session !== this.handlers.current) return;
    const now = (this.options.now ?? Date.now)();
    let data = chunk;
    if (this.partial.length > 0) {
      data = new Uint8Array(this.partial.length + chunk.length);
      data.set(this.partial, 0);
      data.set(chunk, this.partial.length);
    }
    let off = 0;
    for (; data.length - off >= HID_REPORT_BYTES; off += HID_REPORT_BYTES) {
      for (const event of this.reassembler.push(data.subarray(off, off + HID_REPORT_BYTES), now)) {
        if (event.kind === "frame") this.handlers.emitData(session, event.bytes);
        else this.reassemblyFaults[event.fault]++;
      }
    }
    this.partial = data.slice(off);
  }

  private lost(session: number, reason: Error): void {
    if (session !== this.handlers.current || this.handle === null) return;
    void this.release();
    this.handlers.emitDisconnect(session, reason);
  }

  private async release(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    if (handle === null) return;
    try {
      await handle.close();
    } catch {
      // A device already unplugged cannot be closed cleanly; its handle is gone either way.
    }
  }
}
