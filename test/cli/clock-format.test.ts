/** The pure helpers behind `device time` and `device status`: --set parsing and skew wording. */
import { describe, expect, it } from "vitest";
import { parseSetTime } from "../../cli/commands/device-info.js";
import { formatSkew } from "../../cli/doctor/report.js";
import { hexed } from "../../daemon/admin/device-routes.js";
import { isFiscalError } from "../../protocol/index.js";

describe("device time helpers", () => {
  it("--set takes `now` or an ISO time with a zone, and refuses anything else as FIELD_TYPE", () => {
    expect(parseSetTime("now", 1_000)).toBe(1_000);
    expect(parseSetTime("2026-11-23T10:00:00Z")).toBe(Date.UTC(2026, 10, 23, 10));
    expect(parseSetTime("2026-11-23T11:00:00+01:00")).toBe(Date.UTC(2026, 10, 23, 10));
    // The shop's local time as a technician reads it, with Kinshasa's or Lubumbashi's offset.
    expect(parseSetTime("2026-12-01T14:05:33+01:00")).toBe(Date.UTC(2026, 11, 1, 13, 5, 33));
    expect(parseSetTime("2026-12-01T14:05:33+0100")).toBe(Date.UTC(2026, 11, 1, 13, 5, 33));
    expect(parseSetTime("2026-12-01T15:05:33.250+02:00")).toBe(Date.UTC(2026, 11, 1, 13, 5, 33, 250));
    expect(parseSetTime("2026-12-01T08:35-04:30")).toBe(Date.UTC(2026, 11, 1, 13, 5));
    expect(parseSetTime("2026-12-01T13:05:33z")).toBe(Date.UTC(2026, 11, 1, 13, 5, 33));
    for (const bad of [
      "tomorrow",
      "2026-11-23",
      "2026-11-23T10:00:00",
      "2026-13-40T99:00:00Z",
      // Date.parse would roll these over into another day or hour: a clock is never set to them.
      "2026-02-30T10:00:00Z",
      "2026-12-01T24:00:00Z",
      "2026-12-01T14:05:33+15:00",
      "2026-12-01T14:05:33 +01:00",
      "2026-12-01 14:05:33+01:00",
    ]) {
      let caught: unknown;
      try {
        parseSetTime(bad);
      } catch (err) {
        caught = err;
      }
      expect(isFiscalError(caught, "FIELD_TYPE"), bad).toBe(true);
    }
  });

  it("skew reads in s, min or h with its sign, and tiny differences read 0.0 s", () => {
    expect(formatSkew(20)).toBe("0.0 s");
    expect(formatSkew(-2_300)).toBe("-2.3 s");
    expect(formatSkew(15 * 60_000)).toBe("+15.0 min");
    expect(formatSkew(-3 * 3_600_000)).toBe("-3.0 h");
    // French writes the decimal comma.
    expect(formatSkew(-2_300, "fr")).toBe("-2,3 s");
    expect(formatSkew(15 * 60_000, "fr")).toBe("+15,0 min");
  });

  it("JSON output carries bytes as hex", () => {
    expect(hexed({ key: new Uint8Array([0xde, 0xf1]), list: [new Uint8Array([1])], n: 1 })).toEqual({
      key: "def1",
      list: ["01"],
      n: 1,
    });
  });
});
