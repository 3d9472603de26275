/**
 * FiscalDevice: the shape the composition root and the fiscal service program against, `refuse()`,
 * `onConnected` ordering, and every command of the API over an in-memory emulated DEF.
 */
import { describe, expect, it } from "vitest";
import { createFiscalDevice } from "../../../daemon/device/index.js";
import type { DeviceLink } from "../../../daemon/device-link.js";
import type { DevicePort } from "../../../daemon/fiscal/device-port.js";
import { MemoryTransport } from "../../../daemon/transport/index.js";
import { FiscalError } from "../../../protocol/index.js";
import { activate, FAST_SESSION, saleInvoice, serveMemory, startDef } from "./fixtures.js";

describe("FiscalDevice", () => {
  it("speaks every command in protocol types over the session", async () => {
    const def = await startDef(41);
    const device = createFiscalDevice(new MemoryTransport(serveMemory(def)), { config: FAST_SESSION });
    // Compile-time: the daemon's DeviceLink and the fiscal service's DevicePort are satisfied.
    const asLink: DeviceLink = device;
    const asPort: DevicePort = device;
    const connectedInfo: string[] = [];
    asLink.onConnected(() => {
      // A request from the connect hook goes out on the new link session.
      void device.info().then((i) => connectedInfo.push(i.device_id));
    });
    try {
      await asLink.open();
      await device.session.waitConnected(2_000);
      expect(asLink.connected).toBe(true);
      await activate(device, def.emulator.deviceId);
      expect((await asPort.info()).state).toBe("ACTIVE");
      expect(connectedInfo).toEqual([def.emulator.deviceId]);
      const clock = await device.timeGet();
      expect((await device.timeSet(clock.now + 1_000)).valid).toBe(true);
      const prepared = await asPort.prepare(saleInvoice(1));
      expect((await asPort.listPending()).pending).toHaveLength(1);
      await expect(asPort.abort(prepared.nonce)).resolves.toEqual({ nonce: prepared.nonce });
      const again = await asPort.prepare(saleInvoice(1));
      const sealed = await asPort.commit(again.nonce, again.payload_hash);
      await expect(asPort.getRecord({ fiscal_number: 1 })).resolves.toEqual(sealed);
      await expect(asPort.getRecord({ client_ref: "INV-1" })).resolves.toEqual(sealed);
      expect((await asPort.readJournal(1, 32)).entries).toEqual([sealed]);
      expect((await asPort.status()).last_fiscal_number).toBe(1);
      expect((await device.selfTest()).passed).toBe(true);
      expect(asLink.counters().framesSent).toBeGreaterThan(10);
    } finally {
      await asLink.close();
      await def.stop();
    }
  });

  it("refuses PREPARE and COMMIT while a refusal is set, without reaching the device", async () => {
    const def = await startDef(42);
    const device = createFiscalDevice(new MemoryTransport(serveMemory(def)), { config: FAST_SESSION });
    try {
      await device.open();
      await activate(device, def.emulator.deviceId);
      const prepared = await device.prepare(saleInvoice(1));
      const sentBefore = device.counters().framesSent;
      device.refuse(new FiscalError("DEVICE_IDENTITY_MISMATCH", "wrong device plugged in"));
      await expect(device.prepare(saleInvoice(2))).rejects.toMatchObject({
        errorName: "DEVICE_IDENTITY_MISMATCH",
      });
      await expect(device.commit(prepared.nonce, prepared.payload_hash)).rejects.toMatchObject({
        errorName: "DEVICE_IDENTITY_MISMATCH",
      });
      expect(device.counters().framesSent).toBe(sentBefore);
      await expect(device.status()).resolves.toMatchObject({ pending: 1 });
      device.refuse(null);
      await expect(device.commit(prepared.nonce, prepared.payload_hash)).resolves.toHaveProperty("auth_code");
    } finally {
      await device.close();
      await def.stop();
    }
  });
});
