/**
 * The arithmetic of invoice version 2, written down once (docs/PROTOCOL.md §7.3; SFE §1.5):
 *
 * 1. Line amount = round_half_up(quantity_milli × unit_price / 1000), in the invoice's price mode.
 * 2. A line's specific tax (SFE EG1.13) is a given amount, an amount per unit, or a percentage.
 * 3. Per tax slot (only the slots used, in letter order), by the slot's computation in TAX_TABLE_V2:
 *    - HT mode, `rate`: base = Σ amounts + Σ specific tax (it enters the VAT base, §1.5.10);
 *      tax = round_half_up(base × r / 10000); total = base + tax.
 *    - TTC mode, `rate`: total = Σ amounts (a TTC price already contains the specific tax);
 *      base = round_half_down(total × 10000 / (10000 + r)); tax = total − base. On a tie the base is
 *      rounded down, so the tax is the one rounded up and base + tax = total exactly (§1.5.7).
 *    - `line_vat` (N): the amounts are wholly VAT: base 0, tax = total = Σ amounts.
 *    - `outside` (H, I, J, L): outside VAT: base = total = Σ amounts, tax 0.
 * 4. Invoice total = Σ slot totals; tax_total = Σ slot taxes; specific_tax_total = Σ specific tax.
 *
 * All arithmetic is exact BigInt: intermediate products are unbounded, and only the amounts that are
 * carried (line, specific tax, base, tax, total) must be at most MAX_AMOUNT (10^15).
 */
import { ERRORS, type ErrorName, FiscalError } from "../errors.js";
import type { InvoiceTotalsV2, SpecificTax } from "./schema-v2.js";
import { type PriceMode, TAX_TABLE_V2, type TaxSlotId } from "./tables-v2.js";
import { MAX_AMOUNT, roundHalfUp } from "./totals.js";

/**
 * Rounds numerator/denominator to the nearest integer, halves toward zero: ⌊(2n + d − 1) / 2d⌋.
 * Both non-negative, `denominator` ≥ 1.
 */
export function roundHalfDown(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator - 1n) / (denominator * 2n);
}

/** The amount of one version-2 line: round_half_up(quantity_milli × unit_price / 1000). */
export function lineAmountV2(quantityMilli: number, unitPrice: number): bigint {
  return roundHalfUp(BigInt(quantityMilli) * BigInt(unitPrice), 1000n);
}

/**
 * The specific tax of one line, in centimes, before the ≥ 1 and MAX_AMOUNT checks:
 * `{amount}` as given; `{per_unit}` round_half_up(quantity_milli × p / 1000); `{rate_bp}` in HT mode
 * round_half_up(amount × s / 10000), in TTC mode round_half_up(amount × 10000 × s / ((10000 + r)(10000 + s))),
 * that is the HT price before the specific tax, times s (`rateBp` is the line's slot VAT rate r).
 */
export function specificTaxAmountV2(
  tax: SpecificTax,
  line: { readonly quantityMilli: number; readonly amount: bigint },
  priceMode: PriceMode,
  rateBp: number,
): bigint {
  if ("amount" in tax) return BigInt(tax.amount);
  if ("per_unit" in tax) return roundHalfUp(BigInt(line.quantityMilli) * BigInt(tax.per_unit), 1000n);
  const s = BigInt(tax.rate_bp);
  if (priceMode === "HT") return roundHalfUp(line.amount * s, 10_000n);
  return roundHalfUp(line.amount * 10_000n * s, (10_000n + BigInt(rateBp)) * (10_000n + s));
}

/** One line as the totals see it: its slot, its amount and its specific tax (0 or absent when none). */
export interface TotalsLineV2 {
  readonly group: TaxSlotId;
  readonly amount: number;
  readonly specific_tax_amount?: number;
}

function rangeError(name: ErrorName, message: string): FiscalError {
  return new FiscalError("INVOICE_INVALID", `/items ${message}`, {
    issues: [{ path: "/items", code: ERRORS[name].code, message }],
  });
}

/**
 * Computes the totals of a version-2 invoice from its lines. Callers have checked each line (amount
 * and specific tax ≥ 1 and ≤ MAX_AMOUNT, no specific tax outside `rate` slots, no reserved slot).
 * Throws INVOICE_INVALID (FIELD_RANGE at /items) when a carried total exceeds MAX_AMOUNT, and
 * (TAX_GROUP_NOT_ALLOWED) for a reserved slot or a specific tax on a slot that is not `rate`.
 */
export function computeTotalsV2(lines: readonly TotalsLineV2[], priceMode: PriceMode): InvoiceTotalsV2 {
  const sums = new Map<TaxSlotId, { amounts: bigint; specific: bigint }>();
  for (const line of lines) {
    const sum = sums.get(line.group) ?? { amounts: 0n, specific: 0n };
    sum.amounts += BigInt(line.amount);
    sum.specific += BigInt(line.specific_tax_amount ?? 0);
    sums.set(line.group, sum);
  }
  const groups: InvoiceTotalsV2["groups"] = [];
  let total = 0n;
  let taxTotal = 0n;
  let specificTotal = 0n;
  for (const id of [...sums.keys()].sort()) {
    const { amounts, specific } = sums.get(id)!;
    const slot = TAX_TABLE_V2.groups[id];
    if (slot.computation === "reserved") throw rangeError("TAX_GROUP_NOT_ALLOWED", `slot ${id} is reserved`);
    if (slot.computation !== "rate" && specific > 0n) {
      throw rangeError("TAX_GROUP_NOT_ALLOWED", `slot ${id} takes no specific tax`);
    }
    const r = BigInt(slot.rateBp);
    let base: bigint;
    let tax: bigint;
    let groupTotal: bigint;
    if (slot.computation === "line_vat") {
      [base, tax, groupTotal] = [0n, amounts, amounts];
    } else if (slot.computation === "outside") {
      [base, tax, groupTotal] = [amounts, 0n, amounts];
    } else if (priceMode === "HT") {
      base = amounts + specific;
      tax = roundHalfUp(base * r, 10_000n);
      groupTotal = base + tax;
    } else {
      groupTotal = amounts;
      base = roundHalfDown(groupTotal * 10_000n, 10_000n + r);
      tax = groupTotal - base;
    }
    if (groupTotal > BigInt(MAX_AMOUNT)) throw rangeError("FIELD_RANGE", `slot ${id} total exceeds 10^15`);
    groups.push({
      group: id,
      rate_bp: slot.rateBp,
      base: Number(base),
      tax: Number(tax),
      total: Number(groupTotal),
    });
    total += groupTotal;
    taxTotal += tax;
    specificTotal += specific;
  }
  if (total > BigInt(MAX_AMOUNT)) throw rangeError("FIELD_RANGE", "invoice total exceeds 10^15");
  if (specificTotal > BigInt(MAX_AMOUNT)) throw rangeError("FIELD_RANGE", "specific tax total exceeds 10^15");
  return {
    total: Number(total),
    tax_total: Number(taxTotal),
    specific_tax_total: Number(specificTotal),
    groups,
  };
}

/**
 * The fiscal year (année de gestion, SFE §1.2 k) of an instant: the calendar year of the time at
 * TAX_TABLE_V2's UTC offset (UTC+01:00, Kinshasa), so 2026-12-31T23:30Z is already in 2027.
 */
export function fiscalYearOf(issuedAtMs: number): number {
  return new Date(issuedAtMs + TAX_TABLE_V2.fiscalYearUtcOffsetMinutes * 60_000).getUTCFullYear();
}
