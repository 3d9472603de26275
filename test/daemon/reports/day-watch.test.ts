/**
 * The daemon's watch over the fiscal day (daemon/reports/day-watch.ts) on a real store and the
 * emulator's device core, with an injected clock: DAY_NOT_CLOSED warns, then errs, the opt-in refusal
 * of sales, and the auto-close that makes one Z and then sees the day closed.
 */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_DAY_SETTINGS } from "../../../daemon/reports/closing.js";
import { DayWatch } from "../../../daemon/reports/day-watch.js";
import { localTimeOf } from "../../../protocol/i18n/time.js";
import { isFiscalError } from "../../../protocol/index.js";
import { posSale, ServiceHarness } from "../fiscal/harness.js";

const HOUR = 3_600_000;
const ZONE = "Africa/Kinshasa";
const silent = pino({ level: "silent" });

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** A closing time (HH:MM in Kinshasa) two hours after the first sale, and that sale's time. */
async function dayWithASale(): Promise<{ sold: number; closingTime: string }> {
  const sealed = await h.service.fiscalise(posSale(), "R-1", h.caller);
  const sold = Date.parse(sealed.invoice.fiscal!.timestamp);
  const closingTime = localTimeOf(sold + 2 * HOUR, ZONE).time.slice(0, 5);
  return { sold, closingTime };
}

describe("the day watch", () => {
  it("warns DAY_NOT_CLOSED after the closing time, errs after errorAfterHours, and is quiet once closed", async () => {
    const { sold, closingTime } = await dayWithASale();
    let now = sold + HOUR;
    const watch = new DayWatch(
      h.dayReports,
      { ...DEFAULT_DAY_SETTINGS, closingTime, errorAfterHours: 4 },
      ZONE,
      silent,
      () => now,
    );
    expect(watch.conditions()).toEqual([]);
    now = sold + 5 * HOUR; // about 3 h past the closing time
    const [warning] = watch.conditions();
    expect(warning).toMatchObject({ code: "DAY_NOT_CLOSED", severity: "warning", params: { hours: 3 } });
    expect(String(warning!.params!.closing)).toMatch(new RegExp(`${closingTime}:00 \\(UTC\\+01:00\\)$`));
    now = sold + 7 * HOUR;
    expect(watch.conditions()[0]).toMatchObject({ severity: "error" });
    expect(watch.admission()).toBeUndefined(); // the refusal is off by default
    await h.dayReports.closeDay("test");
    expect(watch.conditions()).toEqual([]);
  });

  it("refuses new sales only when the shop opted in", async () => {
    const { sold, closingTime } = await dayWithASale();
    const now = sold + 20 * HOUR;
    const strict = new DayWatch(
      h.dayReports,
      { ...DEFAULT_DAY_SETTINGS, closingTime, refuseSalesAfterHours: 12 },
      ZONE,
      silent,
      () => now,
    );
    expect(isFiscalError(strict.admission(), "DAY_NOT_CLOSED")).toBe(true);
    const lenient = new DayWatch(
      h.dayReports,
      { ...DEFAULT_DAY_SETTINGS, closingTime, refuseSalesAfterHours: 0 },
      ZONE,
      silent,
      () => now,
    );
    expect(lenient.admission()).toBeUndefined();
  });

  it("auto-closes an overdue day once, and does nothing before the closing time", async () => {
    const { sold, closingTime } = await dayWithASale();
    let now = sold + HOUR;
    const watch = new DayWatch(
      h.dayReports,
      { ...DEFAULT_DAY_SETTINGS, closingTime, autoClose: true },
      ZONE,
      silent,
      () => now,
    );
    await watch.tick();
    const deviceId = h.identity.require().deviceId;
    expect(h.reports.lastNumber(deviceId, "Z_REPORT")).toBe(0);
    now = sold + 3 * HOUR;
    await Promise.all([watch.tick(), watch.tick()]);
    expect(h.reports.lastNumber(deviceId, "Z_REPORT")).toBe(1);
    await watch.tick();
    expect(h.reports.lastNumber(deviceId, "Z_REPORT")).toBe(1);
    expect(h.audit.latest(5).find((e) => e.action === "report.z")?.actor).toBe("auto-close");
  });
});
