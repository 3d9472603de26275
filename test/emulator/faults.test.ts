import { afterEach, describe, expect, it } from "vitest";
import { FaultInputError, FaultPlan, parseFaultPatch } from "../../emulator/faults.js";
import {
  decodeResponse,
  ERRORS,
  encodeRequest,
  FrameType,
  invoiceHash,
  openSealedRecord,
  toHex,
} from "../../protocol/index.js";
import { sale } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";

afterEach(shutdownAll);

describe("fault plan", () => {
  it("draws the same decisions from the same seed", () => {
    const decisions = (seed: number) => {
      const plan = new FaultPlan(seed, () => 0);
      plan.update({ drop_rate: 0.5, busy_rate: 0.3, corrupt_tx_rate: 0.1 });
      return Array.from({ length: 64 }, () => [
        plan.dropReply(),
        plan.answerBusy(),
        toHex(plan.corrupt(new Uint8Array(8), "tx")),
      ]);
    };
    expect(decisions(99)).toEqual(decisions(99));
    expect(decisions(99)).not.toEqual(decisions(100));
  });

  it("refuses settings outside their bounds or unknown", () => {
    expect(() => parseFaultPatch({ drop_rate: 1.5 })).toThrow(FaultInputError);
    expect(() => parseFaultPatch({ delay_ms: -1 })).toThrow(FaultInputError);
    expect(() => parseFaultPatch({ delay_ms: 1e9 })).toThrow(FaultInputError);
    expect(() => parseFaultPatch({ explode: true })).toThrow(FaultInputError);
    expect(() => parseFaultPatch("drop")).toThrow(FaultInputError);
    expect(parseFaultPatch({ drop_next: 2, journal_capacity: null })).toEqual({
      drop_next: 2,
      journal_capacity: null,
    });
  });
});

describe("faults over the wire", () => {
  it("drops the next reply; the retransmission gets the cached reply, executed once", async () => {
    const { host, emulator } = await boot({ activate: true });
    const prepared = await host.call("PREPARE", { invoice: sale("D-1") as never });
    emulator.faults.update({ drop_next: 1 });
    const commit = encodeRequest("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    host.sendRequest(31, commit);
    expect(await host.quietFor(150)).toBe(true);
    host.sendRequest(31, commit);
    const sealed = decodeResponse("COMMIT", (await host.nextFrame()).payload);
    expect(openSealedRecord(sealed, emulator.publicKey).fiscal_number).toBe(1);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
    expect(emulator.counters).toMatchObject({ repliesDropped: 1, replaysServed: 1 });
  });

  it("loses a COMMIT reply after sealing; retransmission and GET_RECORD both recover it", async () => {
    const { host, emulator } = await boot({ activate: true });
    const invoice = sale("L-1");
    const prepared = await host.call("PREPARE", { invoice: invoice as never });
    emulator.faults.update({ drop_commit_next: 1 });
    const commit = encodeRequest("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    host.sendRequest(900, commit);
    expect(await host.quietFor(200)).toBe(true);
    host.sendRequest(900, commit);
    const replayed = decodeResponse("COMMIT", (await host.nextFrame()).payload);
    const found = await host.call("GET_RECORD", { payload_hash: invoiceHash(invoice) });
    expect(toHex(found.signature)).toBe(toHex(replayed.signature));
    expect(openSealedRecord(found, emulator.publicKey).fiscal_number).toBe(1);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(1);
  });

  it("unplugs mid-COMMIT after sealing; after reconnecting the host finds the record", async () => {
    const { host, hostEnd, emulator } = await boot({ activate: true });
    const invoice = sale("U-1");
    const prepared = await host.call("PREPARE", { invoice: invoice as never });
    emulator.faults.update({ disconnect_commit_next: 1 });
    const closed = new Promise<void>((resolve) => hostEnd.onClose(resolve));
    host.sendRequest(
      77,
      encodeRequest("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash }),
    );
    await closed;
    expect(hostEnd.isOpen).toBe(false);
    hostEnd.reopen();
    await host.waitEvent("BOOT");
    // docs/PROTOCOL.md §11: ABORT first (the nonce is already consumed), then GET_RECORD.
    expect((await host.fail("ABORT", { nonce: prepared.nonce })).code).toBe(ERRORS.NONCE_UNKNOWN.code);
    const record = await host.call("GET_RECORD", { payload_hash: invoiceHash(invoice) });
    expect(openSealedRecord(record, emulator.publicKey).client_ref).toBe("U-1");
    expect(emulator.counters.disconnects).toBe(1);
  });

  it("answers BUSY to the next N requests, then serves the retry", async () => {
    const { host, emulator } = await boot({ faults: { busy_next: 2 } });
    for (const expected of [FrameType.BUSY, FrameType.BUSY, FrameType.RESPONSE]) {
      host.sendRequest(5, encodeRequest("TIME_GET", {}));
      expect((await host.nextFrame()).type).toBe(expected);
    }
    expect(emulator.counters.busySent).toBe(2);
  });

  it("corrupts what the device sends and receives at the given rate", async () => {
    const { host, emulator } = await boot();
    emulator.faults.update({ corrupt_tx_rate: 1 });
    host.sendRequest(1, encodeRequest("TIME_GET", {}));
    expect(await host.quietFor(150)).toBe(true);
    emulator.faults.update({ corrupt_tx_rate: 0, corrupt_rx_rate: 1 });
    host.sendRequest(2, encodeRequest("TIME_GET", {}));
    expect(await host.quietFor(150)).toBe(true);
    emulator.faults.reset();
    expect((await host.call("TIME_GET", {})).valid).toBe(true);
  });

  it("fills the journal and skews the clock on demand", async () => {
    const { host, emulator } = await boot({ activate: true });
    const p = await host.call("PREPARE", { invoice: sale("F-1") as never });
    await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    host.events.length = 0;
    emulator.faults.update({ fill_journal: true });
    expect(await host.waitEvent("STATE_CHANGED")).toMatchObject({ state: "LOCKED" });
    expect(await host.call("STATUS", {})).toMatchObject({ lock_reason: "JOURNAL_FULL", journal_capacity: 1 });
    expect((await host.fail("PREPARE", { invoice: sale("F-2") as never })).code).toBe(
      ERRORS.JOURNAL_FULL.code,
    );
    emulator.faults.update({ journal_capacity: null, clock_skew_ms: -3_600_000 });
    const status = await host.call("STATUS", {});
    expect(status.state).toBe("ACTIVE");
    expect(status.clock.valid).toBe(false);
    expect(status.warnings).toContain("CLOCK_INVALID");
    expect((await host.fail("PREPARE", { invoice: sale("F-2") as never })).code).toBe(
      ERRORS.CLOCK_INVALID.code,
    );
  });
});
