/**
 * The TCP transport against the emulator's TCP listener: exchanges, a reset connection mid-COMMIT
 * resolved through GET_RECORD, and fail-fast then reconnect when the listener goes and comes back.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TcpTransport } from "../../../daemon/transport/index.js";
import { listenTcpLink } from "../../../emulator/link/tcp.js";
import { decodeRecord } from "../../../protocol/index.js";
import {
  activate,
  auditJournal,
  openDevice,
  readWholeJournal,
  saleInvoice,
  setFaults,
  startDef,
  type TestDef,
} from "../device/fixtures.js";

let def: TestDef | null = null;

afterEach(async () => {
  await def?.stop();
  def = null;
});

describe("TCP transport", () => {
  it("fiscalises over TCP and resolves a COMMIT whose connection was reset before the reply", async () => {
    def = await startDef(31);
    const link = await listenTcpLink({ host: "127.0.0.1", port: 0 });
    def.emulator.attach(link);
    const device = await openDevice(`tcp:127.0.0.1:${link.address.port}`);
    try {
      await activate(device, def.emulator.deviceId);
      const first = await device.prepare(saleInvoice(1));
      await device.commit(first.nonce, first.payload_hash);
      const second = await device.prepare(saleInvoice(2));
      setFaults(def, { disconnect_commit_next: 1 });
      const record = decodeRecord((await device.commit(second.nonce, second.payload_hash)).record);
      expect(record.fiscal_number).toBe(2);
      expect(auditJournal(await readWholeJournal(device))).toEqual({ count: 2, duplicates: 0, gaps: 0 });
      expect(device.counters()).toMatchObject({ disconnects: 1, reconnects: 1, resolved: 1 });
    } finally {
      await device.close();
    }
  });

  it("fails fast while the listener is gone and reconnects when it is back on the same port", async () => {
    def = await startDef(32);
    const link = await listenTcpLink({ host: "127.0.0.1", port: 0 });
    def.emulator.attach(link);
    const port = link.address.port;
    const device = await openDevice(new TcpTransport({ host: "127.0.0.1", port }));
    try {
      await link.close();
      await expect(device.info()).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
      def.emulator.attach(await listenTcpLink({ host: "127.0.0.1", port }));
      await device.session.waitConnected(5_000);
      await expect(device.info()).resolves.toMatchObject({ device_id: def.emulator.deviceId });
    } finally {
      await device.close();
    }
  });
});
