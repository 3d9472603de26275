/**
 * Abandoned two-step invoices (docs/API.md §3): one left PREPARED past its commit_before is ended by
 * FiscalService.expireAbandoned — ABORTED with NONCE_EXPIRED (112) and its device nonce aborted, so the
 * device's pending slot is free again — or FISCALIZED when a COMMIT whose answer was lost had sealed
 * it. The daemon's clock and the device's are both injected.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FiscalError } from "../../../protocol/index.js";
import { codeOf, posSale, ServiceHarness } from "./harness.js";

/** The nonce TTL of the harness's device, in ms. */
const TTL_MS = 60_000;
const T0 = Date.UTC(2026, 2, 2, 10, 0, 0);

let h: ServiceHarness;
let daemonNow: number;
let deviceNow: number;
beforeEach(async () => {
  daemonNow = T0;
  deviceNow = T0;
  h = await new ServiceHarness({
    device: { nonceTtlMs: TTL_MS, maxPending: 3, systemNow: () => deviceNow },
    now: () => daemonNow,
  }).start();
});
afterEach(() => h.stop());

describe("expireAbandoned", () => {
  it("ends PREPARED invoices past commit_before ABORTED NONCE_EXPIRED, frees their slots, spares live ones", async () => {
    await h.service.prepare(posSale(101), "E-1", h.caller);
    await h.service.prepare(posSale(102), "E-2", h.caller);
    deviceNow = T0 + 30_000;
    await h.service.prepare(posSale(103), "LIVE", h.caller);
    // The device's pending cap (3) is reached.
    expect(await codeOf(h.service.prepare(posSale(104), "E-4", h.caller))).toBe(110);
    expect(await h.service.expireAbandoned()).toBe(0);

    // Past E-1's and E-2's commit_before on the daemon's clock; the device's clock lags behind, so
    // their nonces are still pending there: only the daemon's ABORT frees the slots.
    daemonNow = T0 + TTL_MS + 1;
    expect(await h.service.expireAbandoned()).toBe(2);
    for (const key of ["E-1", "E-2"]) {
      expect(h.service.get(key, h.caller)).toMatchObject({
        state: "ABORTED",
        commit_before: null,
        error: { code: 112, name: "NONCE_EXPIRED" },
      });
    }
    expect(h.service.counters.expired).toBe(2);
    expect(h.service.get("LIVE", h.caller)?.state).toBe("PREPARED");
    expect((await h.port.listPending()).pending).toHaveLength(1);
    expect((await h.service.prepare(posSale(104), "E-5", h.caller)).invoice.state).toBe("PREPARED");
    expect((await h.service.commit("LIVE", h.caller)).invoice.state).toBe("FISCALIZED");
    // Nothing left to end.
    expect(await h.service.expireAbandoned()).toBe(0);
    expect(h.service.counters.expired).toBe(2);
  });

  it("ends one whose lost COMMIT had sealed it FISCALIZED, not ABORTED", async () => {
    const { invoice } = await h.service.prepare(posSale(), "S-1", h.caller);
    h.crashAfterDeviceCommit();
    await expect(h.service.commit("S-1", h.caller)).rejects.toThrow(/simulated crash/);
    h.restartDaemon();
    daemonNow = T0 + TTL_MS + 1;
    await h.service.expireAbandoned();
    expect(h.service.get("S-1", h.caller)).toMatchObject({
      id: invoice.id,
      state: "FISCALIZED",
      error: null,
      fiscal: { fiscal_number: 1 },
    });
    expect(h.deviceRecordsOf(invoice.payload_hash)).toEqual([1]);
  });

  it("leaves it PREPARED when the device cannot be asked, and ends it on a later sweep", async () => {
    await h.service.prepare(posSale(), "E-1", h.caller);
    daemonNow = T0 + TTL_MS + 1;
    h.port.trouble.unplugged = true;
    await expect(h.service.expireAbandoned()).rejects.toThrow(/E100/);
    expect(h.service.get("E-1", h.caller)?.state).toBe("PREPARED");
    h.port.trouble.unplugged = false;
    expect(await h.service.expireAbandoned()).toBe(1);
    expect(h.service.get("E-1", h.caller)).toMatchObject({ state: "ABORTED", error: { code: 112 } });
  });

  it("counts what a sweep ended even when the device cuts it short", async () => {
    await h.service.prepare(posSale(101), "E-1", h.caller);
    await h.service.prepare(posSale(102), "E-2", h.caller);
    daemonNow = T0 + TTL_MS + 1;
    // E-1's ABORT goes through, E-2's finds the link gone.
    h.port.failNext({
      command: "ABORT",
      when: "before",
      skip: 1,
      error: new FiscalError("DEVICE_UNAVAILABLE"),
    });
    await expect(h.service.expireAbandoned()).rejects.toThrow(/E100/);
    expect(h.service.get("E-1", h.caller)?.state).toBe("ABORTED");
    expect(h.service.get("E-2", h.caller)?.state).toBe("PREPARED");
    expect(h.service.counters.expired).toBe(1);
    expect(await h.service.expireAbandoned()).toBe(1);
    expect(h.service.counters.expired).toBe(2);
  });

  it("a commit after commit_before is refused NONCE_EXPIRED and the invoice ends ABORTED", async () => {
    await h.service.prepare(posSale(), "E-1", h.caller);
    deviceNow = T0 + TTL_MS + 1;
    daemonNow = T0 + TTL_MS + 1;
    expect(await codeOf(h.service.commit("E-1", h.caller))).toBe(112);
    expect(h.service.get("E-1", h.caller)).toMatchObject({ state: "ABORTED", error: { code: 112 } });
    expect(h.device.memory.lastFiscalNumber).toBe(0);
  });
});
