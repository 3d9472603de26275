/**
 * The USB-HID transport against a fake node-hid whose device is a real emulated DEF on an in-memory link:
 * fragmentation and reassembly of real frames, reports split across reads, a device removed in the middle
 * of a reply, and the coded error for a missing libusb.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HidTransport, loadNodeHid, nativeLoadError } from "../../../daemon/transport/index.js";
import { decodeRecord, HID_REPORT_BYTES, HID_REPORT_ID, isFiscalError } from "../../../protocol/index.js";
import {
  activate,
  auditJournal,
  openDevice,
  readWholeJournal,
  saleInvoice,
  serveMemory,
  startDef,
  type TestDef,
} from "../device/fixtures.js";
import { FakeHidDevice } from "./fakes.js";

const ID = { vendorId: 0x1209, productId: 0xdef1 };
let def: TestDef | null = null;

afterEach(async () => {
  await def?.stop();
  def = null;
});

function hidTransport(hid: FakeHidDevice, serial: string | null = "SN-HID-1"): HidTransport {
  return new HidTransport({ id: ID, serial, loadHid: async () => hid.api(), loadUsb: null });
}

describe("USB-HID transport", () => {
  it("carries PREPARE+COMMIT in 64-byte reports, report ID first, with reports split across reads", async () => {
    def = await startDef(11);
    const hid = new FakeHidDevice(serveMemory(def));
    hid.splitReports = true;
    const transport = hidTransport(hid);
    const device = await openDevice(transport);
    try {
      expect(device.address).toBe("hid:1209:DEF1:SN-HID-1");
      await activate(device, def.emulator.deviceId);
      const prepared = await device.prepare(saleInvoice(1));
      const record = decodeRecord((await device.commit(prepared.nonce, prepared.payload_hash)).record);
      expect(record.fiscal_number).toBe(1);
      expect(hid.hostWrites.length).toBeGreaterThan(4);
      for (const report of hid.hostWrites) {
        expect(report.length).toBe(HID_REPORT_BYTES);
        expect(report[0]).toBe(HID_REPORT_ID);
      }
      // The PREPARE request (~330 bytes) needed several reports: FIRST without LAST exists.
      expect(hid.hostWrites.some((r) => (r[1]! & 0xc0) === 0x80)).toBe(true);
      expect(transport.reassemblyFaults).toEqual({
        "bad-report": 0,
        orphan: 0,
        "out-of-order": 0,
        interrupted: 0,
        timeout: 0,
        oversize: 0,
      });
      expect(device.counters()).toMatchObject({ crcErrors: 0, timeouts: 0 });
    } finally {
      await device.close();
    }
  });

  it("resolves a COMMIT whose reply was cut by the device being removed mid-transfer", async () => {
    def = await startDef(12);
    const hid = new FakeHidDevice(serveMemory(def));
    const device = await openDevice(hidTransport(hid, null));
    try {
      await activate(device, def.emulator.deviceId);
      const prepared = await device.prepare(saleInvoice(2));
      hid.removeAfter = 3; // three reports of the COMMIT reply arrive, then the cable is pulled
      const commit = device.commit(prepared.nonce, prepared.payload_hash);
      const away = new Promise<void>((resolve) =>
        device.onLinkState((c) => {
          if (c.state === "away") resolve();
        }),
      );
      await away;
      await expect(device.status()).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
      hid.replug();
      const record = decodeRecord((await commit).record);
      expect(record.fiscal_number).toBe(1);
      expect(Buffer.from(record.payload_hash).equals(Buffer.from(prepared.payload_hash))).toBe(true);
      expect(auditJournal(await readWholeJournal(device))).toEqual({ count: 1, duplicates: 0, gaps: 0 });
      expect(device.counters()).toMatchObject({ disconnects: 1, reconnects: 1, resolved: 1 });
    } finally {
      await device.close();
    }
  });

  it("names the Debian package when libusb is missing, and opens nothing", async () => {
    const dlopen = new Error("libusb-1.0.so.0: cannot open shared object file: No such file or directory");
    const transport = new HidTransport({
      id: ID,
      serial: null,
      loadHid: () => Promise.reject(nativeLoadError("node-hid", dlopen)),
      loadUsb: null,
    });
    const error = await transport.open().then(
      () => null,
      (err: unknown) => err,
    );
    expect(isFiscalError(error, "DEVICE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("apt-get install libusb-1.0-0");
    expect((error as Error).message).toMatch(/^E100 /);
  });

  it("loads the real node-hid lazily: either it works or the coded error names what to install", async () => {
    const outcome = await loadNodeHid().then(
      (api) => ({ api, error: null }),
      (error: unknown) => ({ api: null, error }),
    );
    if (outcome.api !== null) {
      expect(typeof outcome.api.devicesAsync).toBe("function");
    } else {
      expect(isFiscalError(outcome.error, "DEVICE_UNAVAILABLE")).toBe(true);
      expect((outcome.error as Error).message).toMatch(
        /apt-get install (libusb-1\.0-0|libudev1)|native binary/,
      );
    }
  });
});
