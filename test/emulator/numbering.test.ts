/**
 * Numbering within the fiscal year (SFE §1.2 k): fiscal_year is the calendar year of issued_at in
 * Kinshasa (UTC+01:00) and year_number counts 1, 2, 3 … within it, per device, without gaps, next to
 * the global fiscal_number and the per-type type_number.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FISCAL_MEMORY_FILE } from "../../emulator/store/fiscal-memory.js";
import { type CanonicalInvoiceV2, openSealedRecord } from "../../protocol/index.js";
import { sale } from "./fixtures.js";
import { boot, shutdownAll, tempStateDir } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

async function fiscalise(host: WireHost, invoice: CanonicalInvoiceV2) {
  const prepared = await host.call("PREPARE", { invoice: invoice as never });
  return host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
}

describe("numbering within the fiscal year", () => {
  it("starts year_number at 1 when Kinshasa's calendar year turns, at 23:00 UTC on 31 December", async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 31, 22, 0, 0));
    const { host, emulator } = await boot({ activate: true, device: { systemNow: clock.now } });
    const seal = async (ref: string) =>
      openSealedRecord(await fiscalise(host, sale(ref)), emulator.publicKey);
    // 22:00:00Z is 23:00:00 on 31 December 2026 in Kinshasa.
    expect(await seal("Y-1")).toMatchObject({ fiscal_number: 1, fiscal_year: 2026, year_number: 1 });
    // 22:59:59Z is 23:59:59 on 31 December 2026: still 2026.
    clock.set(Date.UTC(2026, 11, 31, 22, 59, 59));
    expect(await seal("Y-2")).toMatchObject({ fiscal_number: 2, fiscal_year: 2026, year_number: 2 });
    // 23:00:00Z is midnight, 1 January 2027, in Kinshasa, though still 2026 in UTC.
    clock.set(Date.UTC(2026, 11, 31, 23, 0, 0));
    expect(await seal("Y-3")).toMatchObject({
      fiscal_number: 3,
      type_number: 3,
      fiscal_year: 2027,
      year_number: 1,
    });
    clock.advance(1_000);
    expect(await seal("Y-4")).toMatchObject({ fiscal_number: 4, fiscal_year: 2027, year_number: 2 });
    expect((await host.call("SELF_TEST", {})).passed).toBe(true);
  });

  it("fails SELF_TEST when a year counter disagrees with the journal", async () => {
    const stateDir = tempStateDir();
    const clock = new ManualClock(Date.UTC(2027, 5, 1));
    const first = await boot({ stateDir, activate: true, device: { systemNow: clock.now } });
    await fiscalise(first.host, sale("T-1"));
    await fiscalise(first.host, sale("T-2"));
    await first.emulator.stop();
    const db = new Database(join(stateDir, FISCAL_MEMORY_FILE));
    db.prepare("UPDATE year_counter SET last_number = 5 WHERE fiscal_year = 2027").run();
    db.close();

    const again = await boot({ stateDir, device: { systemNow: clock.now } });
    const result = await again.host.call("SELF_TEST", {});
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => c.name === "counters")).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/fiscal year 2027/),
    });
  });
});
