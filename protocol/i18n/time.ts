/**
 * Times for people: in the shop's time zone, with its UTC offset, in the reader's language. Wire
 * and API times stay UTC ISO 8601; only what a person reads (receipts, the CLI, reports, the
 * console, the logs' human form) goes through here. The zone comes from the daemon's configuration
 * (`locale.timeZone`): Africa/Kinshasa (UTC+01:00) by default, Africa/Lubumbashi (UTC+02:00) in the
 * east of the country.
 */
import { type Lang, LOCALES } from "./index.js";

/** The shop time zone unless configured: Kinshasa's legal time. */
export const DEFAULT_TIME_ZONE = "Africa/Kinshasa";

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(lang: Lang, zone: string): Intl.DateTimeFormat {
  const key = `${lang} ${zone}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(LOCALES[lang], {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
      timeZoneName: "longOffset",
    });
    formats.set(key, format);
  }
  return format;
}

/** The parts of an instant in a zone: `date` as DD/MM/YYYY, `time` as HH:MM:SS, `offset` as ±HH:MM. */
export interface LocalTime {
  readonly date: string;
  readonly time: string;
  readonly offset: string;
}

/** Splits the instant `ms` (epoch milliseconds) into the zone's local date, time and offset. */
export function localTimeOf(ms: number, zone: string, lang: Lang = "fr"): LocalTime {
  const parts = Object.fromEntries(
    formatOf(lang, zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  // `longOffset` reads "GMT+01:00" (or "UTC+01:00", by locale), and just "GMT" or "UTC" at UTC.
  const offset = (parts.timeZoneName ?? "").replace(/^(GMT|UTC)/, "") || "+00:00";
  return {
    date: `${parts.day}/${parts.month}/${parts.year}`,
    time: `${parts.hour}:${parts.minute}:${parts.second}`,
    offset,
  };
}

/** `01/12/2026 14:05:33 (UTC+01:00)`: how every person-facing instant reads. */
export function formatLocalTime(ms: number, zone: string, lang: Lang = "fr"): string {
  const local = localTimeOf(ms, zone, lang);
  return `${local.date} ${local.time} (UTC${local.offset})`;
}
