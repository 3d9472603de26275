import { afterEach, describe, expect, it } from "vitest";
import { ERRORS } from "../../protocol/index.js";
import { bundleFor, sale } from "./fixtures.js";
import { boot, shutdownAll, tempStateDir } from "./harness.js";
import { ManualClock, T0 } from "./manual-clock.js";

afterEach(shutdownAll);

const MINUTE = 60_000;

describe("device clock", () => {
  it("accepts any time from 2024 before activation, and persists the offset", async () => {
    const stateDir = tempStateDir();
    const raw = new ManualClock();
    const first = await boot({ stateDir, device: { systemNow: raw.now } });
    const before2024 = await first.host.fail("TIME_SET", { now: Date.UTC(2023, 11, 31, 23, 59, 59) });
    expect(before2024.code).toBe(ERRORS.TIME_SET_REFUSED.code);
    const target = Date.UTC(2030, 5, 1);
    expect(await first.host.call("TIME_SET", { now: target })).toEqual({
      now: target,
      offset_ms: target - T0,
      valid: true,
    });
    raw.advance(5_000);
    expect((await first.host.call("TIME_GET", {})).now).toBe(target + 5_000);
    const back = await first.host.call("TIME_SET", { now: Date.UTC(2024, 0, 1) });
    expect(back).toMatchObject({ now: Date.UTC(2024, 0, 1), offset_ms: Date.UTC(2024, 0, 1) - (T0 + 5_000) });
    await first.emulator.stop();
    const second = await boot({ stateDir, device: { systemNow: raw.now } });
    const clock = await second.host.call("TIME_GET", {});
    expect(clock).toMatchObject({ offset_ms: back.offset_ms, now: Date.UTC(2024, 0, 1) });
  });

  it("once activated, moves at most MAX_TIME_ADJUST_MS and never before the last record", async () => {
    const raw = new ManualClock();
    const { host, emulator } = await boot({ device: { maxTimeAdjustMs: 15 * MINUTE, systemNow: raw.now } });
    await host.call("ACTIVATE", { bundle: bundleFor(emulator.deviceId) });
    const p = await host.call("PREPARE", { invoice: sale("T-1") as never });
    await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    const now = (await host.call("TIME_GET", {})).now;
    expect(now).toBe(T0);
    const refused = async (at: number) => (await host.fail("TIME_SET", { now: at })).code;
    expect(await refused(now + 15 * MINUTE + 1)).toBe(ERRORS.TIME_SET_REFUSED.code);
    expect(await refused(now - 5 * MINUTE)).toBe(ERRORS.TIME_SET_REFUSED.code);
    expect((await host.call("TIME_SET", { now: now + 15 * MINUTE })).now).toBe(now + 15 * MINUTE);
  });

  it("refuses to seal when time went backwards before the last record", async () => {
    const { host, emulator } = await boot({ activate: true });
    const p = await host.call("PREPARE", { invoice: sale("B-1") as never });
    const q = await host.call("PREPARE", { invoice: sale("B-2") as never });
    await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    emulator.faults.update({ clock_skew_ms: -10 * MINUTE });
    expect((await host.call("TIME_GET", {})).valid).toBe(false);
    expect((await host.fail("COMMIT", { nonce: q.nonce, payload_hash: q.payload_hash })).code).toBe(
      ERRORS.CLOCK_INVALID.code,
    );
    expect((await host.fail("PREPARE", { invoice: sale("B-3") as never })).code).toBe(
      ERRORS.CLOCK_INVALID.code,
    );
    emulator.faults.update({ clock_skew_ms: 0 });
    await host.call("COMMIT", { nonce: q.nonce, payload_hash: q.payload_hash });
  });
});

describe("SELF_TEST", () => {
  it("passes on a healthy device, locks on failure, and unlocks when it passes again", async () => {
    const { host, emulator } = await boot({ activate: true });
    const p = await host.call("PREPARE", { invoice: sale("ST-1") as never });
    await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
    const healthy = await host.call("SELF_TEST", {});
    expect(healthy.passed).toBe(true);
    expect(healthy.checks.map((c) => c.name)).toEqual([
      "key_pair",
      "journal_chain",
      "counters",
      "storage",
      "clock",
    ]);
    emulator.faults.update({ clock_skew_ms: -3_600_000 });
    const failed = await host.call("SELF_TEST", {});
    expect(failed.passed).toBe(false);
    expect(failed.checks.find((c) => c.name === "clock")).toMatchObject({ passed: false });
    expect(await host.call("STATUS", {})).toMatchObject({ state: "LOCKED", lock_reason: "SELF_TEST_FAILED" });
    emulator.faults.update({ clock_skew_ms: 0 });
    expect((await host.fail("PREPARE", { invoice: sale("ST-2") as never })).code).toBe(
      ERRORS.DEVICE_LOCKED.code,
    );
    expect((await host.call("SELF_TEST", {})).passed).toBe(true);
    expect((await host.call("STATUS", {})).state).toBe("ACTIVE");
    await host.call("PREPARE", { invoice: sale("ST-2") as never });
  });
});
