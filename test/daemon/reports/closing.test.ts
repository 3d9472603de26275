/**
 * The closing rules of the fiscal day (daemon/reports/closing.ts), on exact instants: the last closing
 * time in the shop's zone, Kinshasa (UTC+01:00) and Lubumbashi (UTC+02:00), and when an unclosed day
 * warns, errs, is closed automatically, and (only when the shop opts in) refuses sales.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_DAY_SETTINGS, dayStanding, lastClosingInstant } from "../../../daemon/reports/closing.js";

const HOUR = 3_600_000;

describe("the last closing time", () => {
  it("is today's in the shop's zone once passed, else yesterday's", () => {
    // 2026-12-01T22:30Z is 23:30 in Kinshasa: today's 23:00 (22:00Z) has passed.
    expect(lastClosingInstant(Date.UTC(2026, 11, 1, 22, 30), "23:00", "Africa/Kinshasa")).toBe(
      Date.UTC(2026, 11, 1, 22),
    );
    // 21:30Z is 22:30 in Kinshasa: yesterday's.
    expect(lastClosingInstant(Date.UTC(2026, 11, 1, 21, 30), "23:00", "Africa/Kinshasa")).toBe(
      Date.UTC(2026, 10, 30, 22),
    );
    // The same 21:30Z is 23:30 in Lubumbashi: today's 23:00 there is 21:00Z.
    expect(lastClosingInstant(Date.UTC(2026, 11, 1, 21, 30), "23:00", "Africa/Lubumbashi")).toBe(
      Date.UTC(2026, 11, 1, 21),
    );
    // Exactly at the closing time, it is that one.
    expect(lastClosingInstant(Date.UTC(2026, 11, 1, 22), "23:00", "Africa/Kinshasa")).toBe(
      Date.UTC(2026, 11, 1, 22),
    );
    // A closing time after midnight local: 00:30 in Kinshasa is 23:30Z the day before.
    expect(lastClosingInstant(Date.UTC(2026, 11, 2, 8), "00:30", "Africa/Kinshasa")).toBe(
      Date.UTC(2026, 11, 1, 23, 30),
    );
  });
});

describe("the open day's standing", () => {
  const closing = Date.UTC(2026, 11, 1, 22); // 23:00 in Kinshasa
  const sale = closing - 5 * HOUR; // a sale at 18:00
  const at = (hoursAfter: number) => closing + hoursAfter * HOUR;
  const settings = { ...DEFAULT_DAY_SETTINGS, errorAfterHours: 6 };

  it("is fine before the closing time, and with nothing to close", () => {
    expect(dayStanding(closing - HOUR, sale, settings, "Africa/Kinshasa").severity).toBeNull();
    expect(dayStanding(at(3), null, settings, "Africa/Kinshasa").severity).toBeNull();
    // A first sale after the closing time belongs to the next day: nothing overdue.
    expect(dayStanding(at(3), at(1), settings, "Africa/Kinshasa").severity).toBeNull();
  });

  it("warns once the closing time passed with the day open, errs after errorAfterHours", () => {
    expect(dayStanding(at(1), sale, settings, "Africa/Kinshasa")).toEqual({
      overdueSince: closing,
      overdueHours: 1,
      severity: "warning",
      refuseSales: false,
      closeNow: false,
    });
    expect(dayStanding(at(6), sale, settings, "Africa/Kinshasa").severity).toBe("error");
  });

  it("refuses sales only when the shop opted in, after that many hours; closes when auto-close is on", () => {
    expect(dayStanding(at(100), sale, settings, "Africa/Kinshasa").refuseSales).toBe(false);
    const strict = { ...settings, refuseSalesAfterHours: 12 };
    expect(dayStanding(at(11), sale, strict, "Africa/Kinshasa").refuseSales).toBe(false);
    expect(dayStanding(at(12), sale, strict, "Africa/Kinshasa").refuseSales).toBe(true);
    expect(dayStanding(at(0), sale, { ...settings, autoClose: true }, "Africa/Kinshasa").closeNow).toBe(true);
  });
});
