/**
 * Acceptance of the device link over a real PTY against the emulated DEF and its fault injection:
 * line noise and lost replies, disconnects in the middle of COMMIT, concurrent callers, and unplug /
 * replug. Nothing of ours is mocked: serialport → PTY → emulator link server → SQLite fiscal memory.
 */
import { describe, expect, it } from "vitest";
import { SerialTransport } from "../../../daemon/transport/index.js";
import { openPtyLink } from "../../../emulator/link/pty.js";
import {
  decodeRecord,
  type FiscalError,
  FrameType,
  isFiscalError,
  type SealedRecord,
} from "../../../protocol/index.js";
import {
  activate,
  auditJournal,
  FAST_SESSION,
  openDevice,
  readWholeJournal,
  saleInvoice,
  servePty,
  setFaults,
  startDef,
} from "./fixtures.js";
import { RecordingTransport } from "./recording-transport.js";

/** Exchanges in the noisy-line test. */
const NOISY_PAIRS = 1_000;
/**
 * Per-byte probability of a flipped bit, each direction. 1e-4 damages about 7 % of the ~690-byte COMMIT
 * replies and 3 % of PREPARE requests: well over 1 % of frames. (1 % of *bytes* would leave a COMMIT
 * reply intact 0.1 % of the time, a line no framing without forward error correction can use.)
 */
const CORRUPT_PER_BYTE = 1e-4;
/** Share of replies the device loses. */
const DROP_RATE = 0.01;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("device link over a real PTY", () => {
  it("completes 1,000 PREPARE+COMMIT through corrupted bytes and dropped replies; the journal is exact", async () => {
    const def = await startDef(1001);
    const link = await servePty(def);
    const device = await openDevice(`serial:${link.path}`);
    try {
      await activate(device, def.emulator.deviceId);
      setFaults(def, {
        corrupt_tx_rate: CORRUPT_PER_BYTE,
        corrupt_rx_rate: CORRUPT_PER_BYTE,
        drop_rate: DROP_RATE,
      });
      const sealed: SealedRecord[] = [];
      for (let i = 0; i < NOISY_PAIRS; i++) {
        const prepared = await device.prepare(saleInvoice(i));
        sealed.push(await device.commit(prepared.nonce, prepared.payload_hash));
      }
      setFaults(def, { corrupt_tx_rate: 0, corrupt_rx_rate: 0, drop_rate: 0 });
      const journal = await readWholeJournal(device);
      expect(auditJournal(journal)).toEqual({ count: NOISY_PAIRS, duplicates: 0, gaps: 0 });
      expect(sealed.map((s) => decodeRecord(s.record).fiscal_number)).toEqual(
        journal.map((r) => r.fiscal_number),
      );
      // The faults really happened, and the link recovered from each kind.
      const counters = device.counters();
      expect(counters.crcErrors).toBeGreaterThan(0);
      expect(counters.naksSent).toBeGreaterThan(0);
      expect(counters.naksReceived).toBeGreaterThan(0);
      expect(counters.timeouts).toBeGreaterThan(0);
      expect(counters.retransmits).toBeGreaterThan(0);
      expect(def.emulator.counters.repliesDropped).toBeGreaterThan(0);
      expect(def.emulator.counters.replaysServed).toBeGreaterThan(0);
    } finally {
      await device.close();
      await def.stop();
    }
  }, 90_000);

  it("resolves 50 disconnects mid-COMMIT to their true outcome and never issues a fiscal number twice", async () => {
    const def = await startDef(5050);
    const link = await servePty(def);
    const device = await openDevice(`serial:${link.path}`);
    try {
      await activate(device, def.emulator.deviceId);
      const issued: number[] = [];
      let notCommitted = 0;
      for (let i = 0; i < 50; i++) {
        const prepared = await device.prepare(saleInvoice(i, "CUT"));
        if (i % 2 === 0) {
          // The device seals the record, then the cable is pulled before the reply.
          setFaults(def, { disconnect_commit_next: 1 });
          const record = decodeRecord((await device.commit(prepared.nonce, prepared.payload_hash)).record);
          expect(Buffer.from(record.payload_hash).equals(Buffer.from(prepared.payload_hash))).toBe(true);
          issued.push(record.fiscal_number);
          continue;
        }
        // The COMMIT never reaches the device intact, and the cable is pulled while it is in flight.
        setFaults(def, { corrupt_rx_rate: 1 });
        const garbageBefore = def.emulator.counters.garbageBytes;
        const outcome = device.commit(prepared.nonce, prepared.payload_hash).then(
          () => null,
          (err: unknown) => err,
        );
        await waitFor(() => def.emulator.counters.garbageBytes > garbageBefore, "the COMMIT bytes");
        def.emulator.disconnect();
        setFaults(def, { corrupt_rx_rate: 0 });
        const error = await outcome;
        expect(isFiscalError(error, "DEVICE_UNAVAILABLE")).toBe(true);
        expect((error as FiscalError).details).toMatchObject({ outcome: "not-committed" });
        notCommitted++;
        // True outcome: no record, and the nonce can no longer commit. A new PREPARE then seals it once.
        await expect(device.getRecord({ payload_hash: prepared.payload_hash })).rejects.toMatchObject({
          errorName: "RECORD_NOT_FOUND",
        });
        await expect(device.commit(prepared.nonce, prepared.payload_hash)).rejects.toMatchObject({
          errorName: "NONCE_UNKNOWN",
        });
        const again = await device.prepare(saleInvoice(i, "CUT"));
        issued.push(
          decodeRecord((await device.commit(again.nonce, again.payload_hash)).record).fiscal_number,
        );
      }
      expect(notCommitted).toBe(25);
      expect(issued).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(auditJournal(await readWholeJournal(device))).toEqual({ count: 50, duplicates: 0, gaps: 0 });
      expect(def.emulator.counters.disconnects).toBe(50);
      expect(device.counters()).toMatchObject({ resolved: 50, unresolved: 0 });
      expect(device.counters().reconnects).toBeGreaterThanOrEqual(50);
    } finally {
      await device.close();
      await def.stop();
    }
  }, 60_000);

  it("serves 32 concurrent callers in FIFO order with no interleaved frames; a full queue rejects cleanly", async () => {
    const def = await startDef(3232, { maxPending: 64 });
    const link = await servePty(def);
    const recorder = new RecordingTransport(new SerialTransport({ path: link.path, baudRate: 115_200 }));
    const device = await openDevice(recorder);
    try {
      await activate(device, def.emulator.deviceId);
      const finished: number[] = [];
      const callers = Array.from({ length: 32 }, async (_, i) => {
        const prepared = await device.prepare(saleInvoice(i, "POS"));
        const record = decodeRecord((await device.commit(prepared.nonce, prepared.payload_hash)).record);
        finished.push(i);
        return record;
      });
      const records = await Promise.all(callers);
      expect(finished).toEqual(Array.from({ length: 32 }, (_, i) => i));
      expect(records.map((r) => r.client_ref)).toEqual(records.map((_, i) => `POS-${i}`));
      expect(records.map((r) => r.fiscal_number)).toEqual(records.map((_, i) => i + 1));
      // On the wire: whole frames only, and every request answered before the next SEQ is sent.
      expect(recorder.hostGarbage()).toBe(0);
      let awaiting: number | null = null;
      for (const { dir, frame } of recorder.frames()) {
        if (dir === "host→device" && frame.type === FrameType.REQUEST) {
          expect(awaiting === null || awaiting === frame.seq).toBe(true);
          awaiting = frame.seq;
        } else if (dir === "device→host" && frame.type === FrameType.RESPONSE && frame.seq === awaiting) {
          awaiting = null;
        }
      }
    } finally {
      await device.close();
    }
    // A queue of 4: the fifth waiting caller is refused at once, the others are unaffected.
    const small = await openDevice(`serial:${link.path}`, { ...FAST_SESSION, maxQueuedRequests: 4 });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => small.status()));
      const refused = outcomes.filter((o) => o.status === "rejected");
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(5);
      expect(refused).toHaveLength(5);
      for (const r of refused)
        expect((r as PromiseRejectedResult).reason).toMatchObject({ errorName: "DEVICE_QUEUE_FULL" });
      expect(small.counters().queueRejected).toBe(5);
      await expect(small.status()).resolves.toMatchObject({ last_fiscal_number: 32 });
    } finally {
      await small.close();
      await def.stop();
    }
  }, 30_000);

  it("fails fast with DEVICE_UNAVAILABLE while unplugged and reconnects by itself on replug", async () => {
    const def = await startDef(777);
    const link = await servePty(def);
    const device = await openDevice(`serial:${link.path}`);
    try {
      await activate(device, def.emulator.deviceId);
      const boots: number[] = [];
      device.onBoot((e) => boots.push(e.at));
      await link.close(); // unplugged: the PTY and its path are gone
      await waitFor(() => device.linkState !== "up", "the link to drop");
      for (let i = 0; i < 3; i++) {
        await expect(device.status()).rejects.toMatchObject({ errorName: "DEVICE_UNAVAILABLE" });
        await new Promise((resolve) => setTimeout(resolve, 100)); // reconnect attempts keep failing
      }
      expect(device.linkState).not.toBe("up");
      def.emulator.attach(await openPtyLink({ path: link.path })); // replugged at the same path
      await device.session.waitConnected(5_000);
      const prepared = await device.prepare(saleInvoice(1));
      const record = decodeRecord((await device.commit(prepared.nonce, prepared.payload_hash)).record);
      expect(record.fiscal_number).toBe(1);
      await waitFor(() => boots.length > 0, "the BOOT event");
      expect(device.counters()).toMatchObject({ disconnects: 1, reconnects: 1, unavailableRejected: 3 });
    } finally {
      await device.close();
      await def.stop();
    }
  }, 30_000);
});
