/**
 * The rounding rules, written down once (docs/PROTOCOL.md §7.3):
 *
 * 1. Quantities are fixed-point with 3 decimals: `quantity_milli` = quantity × 1000.
 * 2. Unit prices are tax-inclusive, in integer minor units of the invoice currency.
 * 3. Line amount = round_half_up(quantity_milli × unit_price / 1000) − discount.
 * 4. Per tax group, gross = Σ line amounts of the group; tax = round_half_up(gross × r / (10000 + r))
 *    where r is the rate in basis points; base = gross − tax. Tax is computed per group, not per line,
 *    so the rounding error is at most half a minor unit per group.
 * 5. Invoice total = Σ gross; tax total = Σ tax.
 *
 * All arithmetic is exact integer arithmetic (BigInt where a product can exceed 2^53).
 */
import { TAX_TABLE, type TaxGroupId } from "./tables.js";

/** Largest amount, in minor units, of a line or an invoice (10^15: far above any real invoice, below 2^53). */
export const MAX_AMOUNT = 1_000_000_000_000_000;

/** Rounds numerator/denominator to the nearest integer, halves away from zero. Both non-negative. */
export function roundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** The amount of one line, before the MAX_AMOUNT check. */
export function lineAmount(quantityMilli: number, unitPrice: number, discount: number): bigint {
  return roundHalfUp(BigInt(quantityMilli) * BigInt(unitPrice), 1000n) - BigInt(discount);
}

/** Base and tax of one tax group. */
export interface GroupTotal {
  group: TaxGroupId;
  readonly rate_bp: number;
  readonly base: number;
  readonly tax: number;
}

/** Totals of an invoice, as carried in the canonical invoice and the signed record. */
export interface InvoiceTotals {
  readonly total: number;
  readonly tax_total: number;
  /** Only the groups the invoice uses, in letter order. */
  readonly groups: GroupTotal[];
}

/** Splits a tax-inclusive gross into base and tax at `rateBp`. */
export function splitGross(gross: bigint, rateBp: number): { base: bigint; tax: bigint } {
  const tax = rateBp === 0 ? 0n : roundHalfUp(gross * BigInt(rateBp), BigInt(10_000 + rateBp));
  return { base: gross - tax, tax };
}

/** Computes the totals from line amounts. Callers have checked each amount against MAX_AMOUNT. */
export function computeTotals(lines: readonly { group: TaxGroupId; amount: number }[]): InvoiceTotals {
  const gross = new Map<TaxGroupId, bigint>();
  for (const line of lines) gross.set(line.group, (gross.get(line.group) ?? 0n) + BigInt(line.amount));
  const groups: GroupTotal[] = [];
  let total = 0n;
  let taxTotal = 0n;
  for (const id of [...gross.keys()].sort()) {
    const g = gross.get(id)!;
    const rateBp = TAX_TABLE.groups[id].rateBp;
    const { base, tax } = splitGross(g, rateBp);
    groups.push({ group: id, rate_bp: rateBp, base: Number(base), tax: Number(tax) });
    total += g;
    taxTotal += tax;
  }
  return { total: Number(total), tax_total: Number(taxTotal), groups };
}
