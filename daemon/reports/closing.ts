/**
 * The closing rules of the fiscal day (docs/API.md §Reports, `day.*` settings): the shop closes its
 * day at `closingTime` in its own time zone. A day is overdue once a closing time has passed while
 * invoices sealed before it are still outside every Z: a warning from then on, an error after
 * `errorAfterHours`, and, only when the shop opts in (`refuseSalesAfterHours` > 0; the DGI publishes
 * no such rule), new sales refused after that many hours until the Z is made. Pure: the instant and
 * the open day's first invoice time come from the caller.
 */
import { localTimeOf } from "../../protocol/i18n/time.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The day settings (daemon/config.ts `day`). */
export interface DaySettings {
  /** `HH:MM`, in the shop's time zone. */
  readonly closingTime: string;
  /** Make the Z at the closing time. */
  readonly autoClose: boolean;
  /** Hours after the closing time from which an unclosed day is an error condition. */
  readonly errorAfterHours: number;
  /** Hours after the closing time from which new sales are refused; 0: never (the default). */
  readonly refuseSalesAfterHours: number;
}

/** The defaults: close at 23:00, by hand; an error after a day; sales never refused. */
export const DEFAULT_DAY_SETTINGS: DaySettings = {
  closingTime: "23:00",
  autoClose: false,
  errorAfterHours: 24,
  refuseSalesAfterHours: 0,
};

/** `HH:MM` from 00:00 to 23:59. */
export const CLOSING_TIME_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$";

/**
 * The last closing instant at or before `now`: today's `closingTime` in `timeZone`, or yesterday's
 * when today's is still to come. The zone's offset is the one at `now` (DR Congo's zones keep one
 * offset all year).
 */
export function lastClosingInstant(now: number, closingTime: string, timeZone: string): number {
  const local = localTimeOf(now, timeZone);
  const [day, month, year] = local.date.split("/").map(Number) as [number, number, number];
  const sign = local.offset.startsWith("-") ? -1 : 1;
  const [oh, om] = local.offset.slice(1).split(":").map(Number) as [number, number];
  const offsetMs = sign * (oh * 60 + om) * 60_000;
  const [ch, cm] = closingTime.split(":").map(Number) as [number, number];
  const todayClosing = Date.UTC(year, month - 1, day, ch, cm) - offsetMs;
  return todayClosing <= now ? todayClosing : todayClosing - DAY_MS;
}

/** Where the open day stands against the closing rules. */
export interface DayStanding {
  /** The closing time the open day has passed, or null when it is not overdue. */
  readonly overdueSince: number | null;
  /** Hours since that closing time (0 when not overdue). */
  readonly overdueHours: number;
  /** `warning` once overdue, `error` after errorAfterHours; null when not overdue. */
  readonly severity: "warning" | "error" | null;
  /** Whether new sales are refused (refuseSalesAfterHours > 0 and passed). */
  readonly refuseSales: boolean;
  /** Whether an auto-close is due now. */
  readonly closeNow: boolean;
}

/**
 * The open day's standing at `now`: `openSince` is the device time of its first invoice (null when no
 * invoice is outside a Z: nothing to close).
 */
export function dayStanding(
  now: number,
  openSince: number | null,
  settings: DaySettings,
  timeZone: string,
): DayStanding {
  const closing = lastClosingInstant(now, settings.closingTime, timeZone);
  if (openSince === null || openSince >= closing) {
    return { overdueSince: null, overdueHours: 0, severity: null, refuseSales: false, closeNow: false };
  }
  const hours = (now - closing) / HOUR_MS;
  return {
    overdueSince: closing,
    overdueHours: Math.floor(hours),
    severity: hours >= settings.errorAfterHours ? "error" : "warning",
    refuseSales: settings.refuseSalesAfterHours > 0 && hours >= settings.refuseSalesAfterHours,
    closeNow: settings.autoClose,
  };
}
