/**
 * The raw USB bulk transport and `auto` discovery against a fake of `usb`'s WebUSB API whose device is a
 * real emulated DEF: interface claim and release, packets split across bulk transfers, a device removed
 * mid-transfer and brought back by its attach event, and enumeration failing in a sandbox.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  AutoTransport,
  chooseUsbTransport,
  listUsbDevices,
  loadUsb,
  UsbBulkTransport,
} from "../../../daemon/transport/index.js";
import { decodeRecord, isFiscalError } from "../../../protocol/index.js";
import {
  activate,
  FAST_SESSION,
  openDevice,
  saleInvoice,
  serveMemory,
  startDef,
  type TestDef,
} from "../device/fixtures.js";
import { FakeHidDevice, FakeUsb, FakeUsbDevice } from "./fakes.js";

const ID = { vendorId: 0x1209, productId: 0xdef1 };
let def: TestDef | null = null;

afterEach(async () => {
  await def?.stop();
  def = null;
});

async function bulkSetup(seed: number) {
  def = await startDef(seed);
  const dev = new FakeUsbDevice(serveMemory(def));
  const usb = new FakeUsb();
  usb.devices.push(dev);
  dev.onUnplug = () => usb.dispatch("disconnect", dev);
  const transport = new UsbBulkTransport({ id: ID, serial: "SN-USB-1", loadUsb: async () => usb });
  return { dev, usb, transport };
}

describe("raw USB bulk transport", () => {
  it("claims the vendor interface, carries frames over bulk IN/OUT, and releases it on close", async () => {
    const { dev, usb, transport } = await bulkSetup(21);
    const device = await openDevice(transport);
    await activate(device, def!.emulator.deviceId);
    const prepared = await device.prepare(saleInvoice(1));
    const record = decodeRecord((await device.commit(prepared.nonce, prepared.payload_hash)).record);
    expect(record.fiscal_number).toBe(1);
    expect(dev.claims).toEqual([0]);
    expect(usb.listenerCount).toBe(2);
    await device.close();
    expect(dev.releases).toEqual([0]);
    expect(dev.opened).toBe(false);
    expect(usb.listenerCount).toBe(0);
  });

  it("resolves a COMMIT cut by removal mid-transfer; the attach event reconnects without waiting out the backoff", async () => {
    const { dev, usb, transport } = await bulkSetup(22);
    // A 30 s first reconnect delay: only the attach event can bring the link back within the test.
    const device = await openDevice(transport, {
      ...FAST_SESSION,
      reconnectInitialDelayMs: 30_000,
      reconnectMaxDelayMs: 30_000,
    });
    try {
      await activate(device, def!.emulator.deviceId);
      const prepared = await device.prepare(saleInvoice(2));
      dev.removeAfter = 2; // two 64-byte packets of the ~690-byte COMMIT reply, then the cable goes
      const away = new Promise<void>((resolve) => device.onLinkState((c) => c.state === "away" && resolve()));
      const commit = device.commit(prepared.nonce, prepared.payload_hash);
      await away;
      await expect(device.info()).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
      dev.replug();
      usb.dispatch("connect", dev);
      const record = decodeRecord((await commit).record);
      expect(record.fiscal_number).toBe(1);
      expect(device.counters()).toMatchObject({ disconnects: 1, reconnects: 1, resolved: 1 });
      expect(dev.claims).toEqual([0, 0]);
    } finally {
      await device.close();
    }
  });

  it("treats enumeration failing (no /sys/bus/usb) as no devices, and subscribes to nothing", async () => {
    const usb = new FakeUsb();
    usb.enumerationFails = true;
    const transport = new UsbBulkTransport({ id: ID, serial: null, loadUsb: async () => usb });
    await expect(transport.open()).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
    expect(usb.listenerCount).toBe(0);
    await transport.close();
    // The real module on this machine: enumeration either works or yields no devices, never a throw.
    const real = await loadUsb().then(
      (api) => api,
      (err: unknown) => err,
    );
    if (isFiscalError(real)) expect(real.errorName).toBe("DEVICE_UNAVAILABLE");
    else expect(Array.isArray(await listUsbDevices(real as Awaited<ReturnType<typeof loadUsb>>))).toBe(true);
  });
});

describe("auto discovery", () => {
  it("picks HID for a HID-class device and bulk for a vendor-class one", async () => {
    def = await startDef(23);
    const hid = new FakeHidDevice(serveMemory(def));
    const usb = new FakeUsb();
    const asUsb = new FakeUsbDevice(serveMemory(def), 0x03);
    usb.devices.push(asUsb);
    expect(chooseUsbTransport(asUsb)).toBe("hid");
    expect(chooseUsbTransport(new FakeUsbDevice(serveMemory(def)))).toBe("usb");
    const auto = new AutoTransport({
      ids: [ID],
      listSerialPorts: async () => [],
      loadUsb: async () => usb,
      loadHid: async () => hid.api(),
    });
    const device = await openDevice(auto);
    try {
      expect(auto.chosen).toEqual({ kind: "hid", address: "hid:1209:DEF1" });
      await expect(device.status()).resolves.toMatchObject({ state: "UNACTIVATED" });
      expect(usb.listenerCount).toBe(2);
    } finally {
      await device.close();
    }
    expect(usb.listenerCount).toBe(0);
  });

  it("rediscovers a bulk device after an unplug without piling up hot-plug listeners", async () => {
    def = await startDef(24);
    const dev = new FakeUsbDevice(serveMemory(def));
    const usb = new FakeUsb();
    usb.devices.push(dev);
    dev.onUnplug = () => usb.dispatch("disconnect", dev);
    const auto = new AutoTransport({ ids: [ID], listSerialPorts: async () => [], loadUsb: async () => usb });
    const device = await openDevice(auto);
    try {
      expect(auto.chosen).toEqual({ kind: "usb", address: "usb:1209:DEF1" });
      for (let round = 0; round < 3; round++) {
        const away = new Promise<void>((resolve) =>
          device.onLinkState((c) => c.state === "away" && resolve()),
        );
        dev.unplug();
        await away;
        dev.replug();
        usb.dispatch("connect", dev);
        await device.session.waitConnected(2_000);
        await expect(device.status()).resolves.toMatchObject({ state: "UNACTIVATED" });
        // auto's watcher and the current bulk transport's: 2 + 2, whatever the number of replugs.
        expect(usb.listenerCount).toBe(4);
      }
      expect(device.counters().reconnects).toBe(3);
    } finally {
      await device.close();
    }
    expect(usb.listenerCount).toBe(0);
    expect(dev.releases).toEqual([0, 0, 0, 0]);
  });

  it("prefers a CDC-ACM tty with the DEF's VID:PID, and names the ids when nothing matches", async () => {
    const usb = new FakeUsb();
    const withTty = new AutoTransport({
      ids: [ID],
      listSerialPorts: async () => [{ path: "/dev/ttyACM-none", vendorId: "1209", productId: "def1" }],
      loadUsb: async () => usb,
    });
    const error = await withTty.open().then(
      () => null,
      (err: unknown) => err as Error,
    );
    // It chose serial: the failure is serialport's, on the tty path it was given.
    expect(error?.message).toContain("/dev/ttyACM-none");
    const none = new AutoTransport({ ids: [ID], listSerialPorts: async () => [], loadUsb: async () => usb });
    await expect(none.open()).rejects.toThrow(/no DEF found \(looked for USB ids 1209:DEF1\)/);
    await withTty.close();
    await none.close();
  });
});
