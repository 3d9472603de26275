/**
 * Device URIs, the one default VID:PID, coded errors for native-module load failures, and the
 * ReconnectingLink reconnect loop (bounded backoff, attach events) with fake timers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AutoTransport,
  createTransport,
  DEFAULT_DEF_USB_IDS,
  formatDeviceAddress,
  formatUsbId,
  HidTransport,
  nativeLoadError,
  parseDeviceAddress,
  parseUsbId,
  ReconnectingLink,
  SerialTransport,
  TcpTransport,
  type Transport,
  TransportHandlers,
  UsbBulkTransport,
} from "../../../daemon/transport/index.js";
import { isFiscalError } from "../../../protocol/index.js";

describe("device addresses", () => {
  it("parses every documented form and formats it back", () => {
    const cases: Array<[string, ReturnType<typeof parseDeviceAddress>]> = [
      ["serial:/dev/ttyACM0", { kind: "serial", path: "/dev/ttyACM0", baudRate: 115_200 }],
      ["serial:COM3?baud=9600", { kind: "serial", path: "COM3", baudRate: 9_600 }],
      ["hid:1209:DEF1", { kind: "hid", id: { vendorId: 0x1209, productId: 0xdef1 }, serial: null }],
      [
        "usb:0x1209:def1:SN-42",
        { kind: "usb", id: { vendorId: 0x1209, productId: 0xdef1 }, serial: "SN-42" },
      ],
      ["tcp:127.0.0.1:7878", { kind: "tcp", host: "127.0.0.1", port: 7878 }],
      ["tcp:[::1]:7878", { kind: "tcp", host: "::1", port: 7878 }],
      ["auto", { kind: "auto" }],
    ];
    for (const [uri, parsed] of cases) {
      expect(parseDeviceAddress(uri)).toEqual(parsed);
      expect(parseDeviceAddress(formatDeviceAddress(parsed))).toEqual(parsed);
    }
    expect(formatDeviceAddress(parseDeviceAddress("usb:0x1209:def1:SN-42"))).toBe("usb:1209:DEF1:SN-42");
  });

  it("refuses malformed addresses with a coded error that shows the expected form", () => {
    for (const bad of [
      "",
      "ttyACM0",
      "serial:",
      "hid:1209",
      "hid:XYZ:1",
      "usb:12345:1",
      "tcp:host",
      "tcp:h:0",
      "ftp:x",
    ]) {
      let error: unknown = null;
      try {
        parseDeviceAddress(bad);
      } catch (err) {
        error = err;
      }
      expect(isFiscalError(error, "FIELD_TYPE")).toBe(true);
    }
  });

  it("builds the right transport without loading any native USB module", () => {
    expect(createTransport("serial:/dev/ttyACM0")).toBeInstanceOf(SerialTransport);
    expect(createTransport("tcp:localhost:1")).toBeInstanceOf(TcpTransport);
    expect(createTransport("hid:1209:DEF1")).toBeInstanceOf(HidTransport);
    expect(createTransport("usb:1209:DEF1")).toBeInstanceOf(UsbBulkTransport);
    expect(createTransport("auto")).toBeInstanceOf(AutoTransport);
  });

  it("keeps the placeholder DEF id in one place", () => {
    expect(DEFAULT_DEF_USB_IDS.map(formatUsbId)).toEqual(["1209:DEF1"]);
    expect(parseUsbId("1209:def1")).toEqual(DEFAULT_DEF_USB_IDS[0]);
    expect(() => parseUsbId("1209")).toThrow(RangeError);
  });

  it("maps a missing shared library to the Debian package to install", () => {
    const usbErr = nativeLoadError("node-hid", new Error("libusb-1.0.so.0: cannot open shared object file"));
    expect(usbErr.errorName).toBe("DEVICE_UNAVAILABLE");
    expect(usbErr.message).toContain("apt-get install libusb-1.0-0");
    expect(usbErr.details).toMatchObject({ module: "node-hid", package: "libusb-1.0-0" });
    const udevErr = nativeLoadError("node-hid", new Error("libudev.so.1: cannot open shared object file"));
    expect(udevErr.message).toContain("apt-get install libudev1");
    expect(nativeLoadError("usb", new Error("no prebuild")).message).toContain(
      "cannot load its native binary",
    );
  });
});

/** A transport whose device can be made absent; it records open attempts. */
class FlakyTransport implements Transport {
  readonly address = "fake:flaky";
  present = false;
  opens = 0;
  private readonly handlers = new TransportHandlers();
  private session = 0;

  async open(): Promise<void> {
    this.opens++;
    if (!this.present) throw new Error("absent");
    this.session = this.handlers.opened();
  }
  async write(): Promise<void> {}
  onData(handler: (bytes: Uint8Array) => void): void {
    this.handlers.setData(handler);
  }
  onDisconnect(handler: (reason: Error) => void): void {
    this.handlers.setDisconnect(handler);
  }
  onArrival(handler: () => void): void {
    this.handlers.setArrival(handler);
  }
  async close(): Promise<void> {
    this.handlers.closed();
  }
  unplug(): void {
    this.present = false;
    this.handlers.emitDisconnect(this.session, new Error("unplugged"));
  }
  arrive(): void {
    this.present = true;
    this.handlers.emitArrival();
  }
}

describe("ReconnectingLink reconnect loop", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries with doubling delays bounded by the maximum", async () => {
    const transport = new FlakyTransport();
    const link = new ReconnectingLink(transport, { reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 400 });
    await link.start();
    expect(link.state).toBe("away");
    const attemptsAt: number[] = [];
    for (let t = 0; t <= 2_000; t += 10) {
      const before = transport.opens;
      await vi.advanceTimersByTimeAsync(10);
      if (transport.opens > before) attemptsAt.push(t + 10);
    }
    // 100, +200, +400, then every 400 ms.
    expect(attemptsAt.slice(0, 5)).toEqual([100, 300, 700, 1_100, 1_500]);
    await link.close();
  });

  it("reconnects at once on an attach event, and after an unplug starts again from the first delay", async () => {
    const transport = new FlakyTransport();
    const link = new ReconnectingLink(transport, {
      reconnectInitialDelayMs: 1_000,
      reconnectMaxDelayMs: 60_000,
    });
    const states: string[] = [];
    link.onStateChange((c) => states.push(c.state));
    await link.start();
    await vi.advanceTimersByTimeAsync(5_000);
    transport.arrive();
    await vi.advanceTimersByTimeAsync(0);
    expect(link.state).toBe("up");
    transport.unplug();
    expect(link.state).toBe("away");
    transport.present = true;
    await vi.advanceTimersByTimeAsync(999);
    expect(link.state).toBe("away");
    await vi.advanceTimersByTimeAsync(1);
    expect(link.state).toBe("up");
    expect(link.reconnects).toBe(1);
    expect(states.filter((s) => s === "up")).toHaveLength(2);
    await link.close();
    expect(link.state).toBe("closed");
    await expect(link.waitUp(10)).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
  });
});
