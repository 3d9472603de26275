/**
 * The DEF's clock: the raw (system) clock plus a persistent offset that TIME_SET moves, plus an
 * injected skew when the clock-drift fault is on. It is valid unless it reads earlier than the
 * newest record's timestamp (docs/PROTOCOL.md §10.4): a clock that went backwards would seal invoices
 * out of order, so PREPARE and COMMIT refuse to run on it.
 */
import { FiscalError, type ResultOf } from "../../protocol/index.js";
import { MIN_DEVICE_TIME_MS } from "../config.js";

/** What the clock reads its persistent parts from. */
export interface ClockSource {
  readonly systemNow: () => number;
  readonly offsetMs: () => number;
  readonly lastIssuedAt: () => number | null;
}

/** The rules TIME_SET applies. */
export interface TimeSetRules {
  /** An activated device moves at most this far per TIME_SET, in ms. */
  readonly maxAdjustMs: number;
  readonly activated: boolean;
}

/** Device time and its validity. */
export class DeviceClock {
  /** Injected drift, in ms (clock-skew fault); never persisted. */
  skewMs = 0;

  /** Reads the offset and the last record's time from `source` on every call. */
  constructor(private readonly source: ClockSource) {}

  /** Device time, ms since the epoch. */
  now(): number {
    return this.source.systemNow() + this.source.offsetMs() + this.skewMs;
  }

  /** Whether device time can be trusted to seal with. */
  isValid(now = this.now()): boolean {
    const last = this.source.lastIssuedAt();
    return last === null || now >= last;
  }

  /** The TIME_GET result. */
  reading(): ResultOf<"TIME_GET"> {
    const now = this.now();
    return { now, offset_ms: this.source.offsetMs(), valid: this.isValid(now) };
  }

  /** Throws CLOCK_INVALID when device time cannot be used to seal. */
  assertValid(): number {
    const now = this.now();
    if (!this.isValid(now)) {
      const last = this.source.lastIssuedAt() ?? 0;
      throw new FiscalError(
        "CLOCK_INVALID",
        `device time ${new Date(now).toISOString()} is before the last record (${new Date(last).toISOString()})`,
      );
    }
    return now;
  }

  /**
   * Checks a TIME_SET request and returns the offset that makes device time read `requested` now.
   * Throws TIME_SET_REFUSED naming the rule it breaks.
   */
  offsetFor(requested: number, rules: TimeSetRules): number {
    if (requested < MIN_DEVICE_TIME_MS) {
      throw new FiscalError("TIME_SET_REFUSED", "the time must not be before 2024-01-01T00:00:00Z");
    }
    const now = this.now();
    if (rules.activated) {
      const last = this.source.lastIssuedAt();
      if (last !== null && requested < last) {
        throw new FiscalError("TIME_SET_REFUSED", "the time must not be before the last record");
      }
      if (Math.abs(requested - now) > rules.maxAdjustMs) {
        throw new FiscalError(
          "TIME_SET_REFUSED",
          `an activated device moves its clock by at most ${rules.maxAdjustMs} ms per TIME_SET`,
        );
      }
    }
    return requested - this.source.systemNow() - this.skewMs;
  }
}
