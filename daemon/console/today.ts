/**
 * The console's "today" (docs/CONSOLE.md §Today): the invoices a device sealed since local midnight
 * in the shop's zone, with the same figures an X or Z report gives (PeriodFigures, the device's own
 * function: per tax group, per payment method, sales and credit notes apart) and the sales per local
 * hour for the chart. Pure over the stored rows.
 */

import { localTimeOf } from "../../protocol/i18n/time.js";
import {
  type CanonicalInvoiceV2,
  decodeCanonical,
  decodeRecord,
  type Figures,
  isCreditType,
  PeriodFigures,
} from "../../protocol/index.js";
import { lastClosingInstant } from "../reports/closing.js";

/** A stored record with its invoice, as InvoiceReads.recordsIssuedBetween gives them. */
export interface StoredSale {
  readonly record: Uint8Array;
  readonly payload: Uint8Array | null;
}

/** Today's summary. */
export interface TodaySummary {
  /** Local midnight, ms. */
  readonly since: number;
  readonly invoices: number;
  readonly figures: Figures;
  /** Σ sales TTC and Σ credit notes TTC (minor units), and their difference. */
  readonly sales: number;
  readonly credits: number;
  /** Sales TTC per local hour 0 … 23 (minor units; credit notes not subtracted). */
  readonly perHour: readonly number[];
}

/** Local midnight of `now` in `timeZone`. */
export function localMidnight(now: number, timeZone: string): number {
  return lastClosingInstant(now, "00:00", timeZone);
}

/** Sums the rows of the day. */
export function todaySummary(since: number, rows: readonly StoredSale[], timeZone: string): TodaySummary {
  const figures = new PeriodFigures();
  const perHour = Array.from({ length: 24 }, () => 0);
  for (const row of rows) {
    const record = decodeRecord(row.record);
    if (record.v === 1 || row.payload === null) {
      figures.add({ record });
      continue;
    }
    figures.add({ record, invoice: decodeCanonical(row.payload) as unknown as CanonicalInvoiceV2 });
    if (!isCreditType(record.invoice_type)) {
      const hour = Number(localTimeOf(record.issued_at, timeZone).time.slice(0, 2));
      perHour[hour] = (perHour[hour] ?? 0) + record.totals.total;
    }
  }
  const result = figures.figures();
  const sum = (credit: boolean) =>
    result.types.filter((t) => isCreditType(t.invoice_type) === credit).reduce((n, t) => n + t.total, 0);
  return {
    since,
    invoices: rows.length,
    figures: result,
    sales: sum(false),
    credits: sum(true),
    perHour,
  };
}
