/**
 * How an amount in minor units reads for people: French (fr-CD) digits, a narrow no-break space
 * between thousands and a decimal comma, then the currency code (`1160000` CDF → `11 600,00 CDF`).
 * The one convention of every document and every human output: amounts travel as integers in minor
 * units (CDF has two decimals, so 1160000 is 11 600,00 CDF) and are only ever formatted here.
 */
import { CURRENCIES } from "./tables.js";

const WHOLE = new Intl.NumberFormat("fr-CD", { maximumFractionDigits: 0, useGrouping: true });

/** Formats `minor` minor units of `currency` (exact for every amount up to 10^15). */
export function formatAmount(minor: number, currency = "CDF"): string {
  return `${formatMinor(minor, CURRENCIES[currency] ?? 2)} ${currency}`;
}

/** The number part of formatAmount: `minor` units with `exponent` decimals (`1160000` → `11 600,00`). */
export function formatMinor(minor: number, exponent = 2): string {
  const value = BigInt(minor);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  const scale = 10n ** BigInt(exponent);
  const whole = WHOLE.format(abs / scale);
  const frac = exponent === 0 ? "" : `,${String(abs % scale).padStart(exponent, "0")}`;
  return `${sign}${whole}${frac}`;
}
