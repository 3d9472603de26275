/**
 * The A report's article lines (SFE §1.4; docs/PROTOCOL.md §13.5): per article, what was sold and
 * returned over a range of invoices. An article is its `code`, or its name when it has none, at one
 * unit price, price mode and tax group: the same code sold at two prices is two lines, as the SFE's
 * "prix unitaire" column implies. Stock quantities are the POS's: a DEF never sees stock.
 *
 * The device signs the lines' digest (articles_hash), not the lines: a shop with thousands of
 * articles would not fit one frame. The host rebuilds the lines from the same invoices with this
 * function and checks them against the digest.
 */

import { isCreditType } from "../audit/record-rules.js";
import { encodeCanonical } from "../cbor.js";
import { FiscalError } from "../errors.js";
import { sha256 } from "../invoice/canonical.js";
import type { PriceMode } from "../invoice/tables-v2.js";
import type { PeriodEntry } from "./figures.js";

/** One article line of an A report; quantities in thousandths, amounts in CDF centimes. */
export interface ArticleLine {
  /** The article's code, or its name when it has none. */
  readonly article: string;
  /** The name on its first sale in the range. */
  readonly name: string;
  readonly unit_price: number;
  readonly price_mode: PriceMode;
  readonly tax_group: string;
  readonly rate_bp: number;
  readonly sold_milli: number;
  readonly returned_milli: number;
  /** Σ line amounts on sales, in the price mode. */
  readonly sold_amount: number;
  /** Σ line amounts on credit notes. */
  readonly returned_amount: number;
}

type Sums = {
  readonly line: Omit<ArticleLine, "sold_milli" | "returned_milli" | "sold_amount" | "returned_amount">;
  sold: bigint;
  returned: bigint;
  soldAmount: bigint;
  returnedAmount: bigint;
};

function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FiscalError("FIELD_RANGE", `${what} passes 2^53 - 1: the A report cannot carry it`);
  }
  return Number(value);
}

/** Compares two strings by UTF-16 code units, the order the lines are listed in. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The article lines of the invoices v2 of a range, sorted by article, tax group, price mode, unit price. */
export function articlesOf(entries: readonly PeriodEntry[]): ArticleLine[] {
  const lines = new Map<string, Sums>();
  for (const { record, invoice } of entries) {
    if (record.v === 1 || invoice === undefined) continue;
    const credit = isCreditType(record.invoice_type);
    const rates = new Map(invoice.totals.groups.map((g) => [g.group, g.rate_bp]));
    for (const item of invoice.items) {
      const article = item.code ?? item.name;
      const id = JSON.stringify([article, item.tax_group, invoice.price_mode, item.unit_price]);
      let sums = lines.get(id);
      if (sums === undefined) {
        const line = {
          article,
          name: item.name,
          unit_price: item.unit_price,
          price_mode: invoice.price_mode,
          tax_group: item.tax_group,
          rate_bp: rates.get(item.tax_group) ?? 0,
        };
        sums = { line, sold: 0n, returned: 0n, soldAmount: 0n, returnedAmount: 0n };
        lines.set(id, sums);
      }
      if (credit) {
        sums.returned += BigInt(item.quantity_milli);
        sums.returnedAmount += BigInt(item.amount);
      } else {
        sums.sold += BigInt(item.quantity_milli);
        sums.soldAmount += BigInt(item.amount);
      }
    }
  }
  return [...lines.values()]
    .map(({ line, ...s }) => ({
      ...line,
      sold_milli: safe(s.sold, `${line.article} quantity sold`),
      returned_milli: safe(s.returned, `${line.article} quantity returned`),
      sold_amount: safe(s.soldAmount, `${line.article} amount sold`),
      returned_amount: safe(s.returnedAmount, `${line.article} amount returned`),
    }))
    .sort(
      (a, b) =>
        compare(a.article, b.article) ||
        compare(a.tax_group, b.tax_group) ||
        compare(a.price_mode, b.price_mode) ||
        a.unit_price - b.unit_price,
    );
}

/** The digest an A report signs: SHA-256 of the canonical CBOR array of its lines. */
export function articlesHash(lines: readonly ArticleLine[]): Uint8Array {
  return sha256(encodeCanonical(lines as never));
}
