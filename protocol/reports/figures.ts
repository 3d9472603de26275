/**
 * The figures of a fiscal period (docs/PROTOCOL.md §13.3): what an X or Z report, and a monthly or
 * yearly closure, says about the invoices it covers (SFE §1.3.3: totals, taxable amount and tax per
 * invoice type and per tax group within each type, counts per type, payments per mode, commercial
 * reductions and the records that reduced the sales). Written once, pure, and used by the device
 * that signs a report, the daemon that checks it and `stalela verify`, which recomputes it.
 *
 * Every sum is exact; a sum past 2^53 − 1 centimes cannot be carried in CBOR (§5) and is refused.
 */

import { isCreditType } from "../audit/record-rules.js";
import { FiscalError } from "../errors.js";
import type { CanonicalInvoiceV2 } from "../invoice/schema-v2.js";
import {
  CREDIT_NATURES,
  DGI_TYPES,
  INVOICE_TYPES_V2,
  type InvoiceTypeV2,
  PAYMENT_METHODS_V2,
} from "../invoice/tables-v2.js";
import { lineAmountV2 } from "../invoice/totals-v2.js";
import type { FiscalRecord } from "../security/record.js";
import type { Figures, GroupFigures, NatureFigures, PaymentFigures, TypeFigures } from "./schema.js";

/** One sealed invoice of a period: its record, and for a record v2 its canonical invoice. */
export interface PeriodEntry {
  readonly record: FiscalRecord;
  readonly invoice?: CanonicalInvoiceV2;
}

/** An exact sum as a CBOR integer, or the refusal. */
function safe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FiscalError("FIELD_RANGE", `${what} passes 2^53 - 1 centimes: the report cannot carry it`);
  }
  return Number(value);
}

type GroupSums = { group: string; rate_bp: number; base: bigint; tax: bigint; total: bigint };

/** Adds `groups` into `into`, keyed by group and rate. */
function addGroups(into: Map<string, GroupSums>, groups: readonly GroupFigures[]): void {
  for (const g of groups) {
    const key = `${g.group}/${g.rate_bp}`;
    const sums = into.get(key) ?? { group: g.group, rate_bp: g.rate_bp, base: 0n, tax: 0n, total: 0n };
    sums.base += BigInt(g.base);
    sums.tax += BigInt(g.tax);
    sums.total += BigInt(g.total);
    into.set(key, sums);
  }
}

/** The groups in letter order, then by rate. */
function groupList(sums: Map<string, GroupSums>): GroupFigures[] {
  return [...sums.values()]
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.rate_bp - b.rate_bp))
    .map((g) => ({
      group: g.group,
      rate_bp: g.rate_bp,
      base: safe(g.base, `group ${g.group} base`),
      tax: safe(g.tax, `group ${g.group} tax`),
      total: safe(g.total, `group ${g.group} total`),
    }));
}

type CountSums = { count: number; amount: bigint };

function addCount(into: Map<string, CountSums>, key: string, count: number, amount: number | bigint): void {
  const sums = into.get(key) ?? { count: 0, amount: 0n };
  sums.count += count;
  sums.amount += BigInt(amount);
  into.set(key, sums);
}

/** Accumulates figures; `add` one invoice or a whole period's figures, then `figures()`. */
class FigureSums {
  private readonly types = new Map<
    InvoiceTypeV2,
    { count: number; total: bigint; tax: bigint; specific: bigint; groups: Map<string, GroupSums> }
  >();
  private readonly salesGroups = new Map<string, GroupSums>();
  private readonly creditGroups = new Map<string, GroupSums>();
  private readonly salesPayments = new Map<string, CountSums>();
  private readonly creditPayments = new Map<string, CountSums>();
  private readonly natures = new Map<string, CountSums>();
  private reductionLines = 0;
  private reductionAmount = 0n;
  private v1 = 0;

  /** Adds one type's figures (an invoice's totals have the same shape, with count 1). */
  addType(t: Omit<TypeFigures, "dgi_type">): void {
    const sums = this.types.get(t.invoice_type) ?? {
      count: 0,
      total: 0n,
      tax: 0n,
      specific: 0n,
      groups: new Map<string, GroupSums>(),
    };
    sums.count += t.count;
    sums.total += BigInt(t.total);
    sums.tax += BigInt(t.tax_total);
    sums.specific += BigInt(t.specific_tax_total);
    addGroups(sums.groups, t.groups);
    this.types.set(t.invoice_type, sums);
    addGroups(isCreditType(t.invoice_type) ? this.creditGroups : this.salesGroups, t.groups);
  }

  addPayment(credit: boolean, p: PaymentFigures): void {
    addCount(credit ? this.creditPayments : this.salesPayments, p.method, p.count, p.amount);
  }

  addNature(n: NatureFigures): void {
    addCount(this.natures, n.nature, n.count, n.total);
  }

  addReductions(lines: number, amount: number | bigint): void {
    this.reductionLines += lines;
    this.reductionAmount += BigInt(amount);
  }

  addV1(count: number): void {
    this.v1 += count;
  }

  figures(): Figures {
    const payments = (sums: Map<string, CountSums>): PaymentFigures[] =>
      ordered(PAYMENT_METHODS_V2, sums).map(([method, s]) => ({
        method,
        count: s.count,
        amount: safe(s.amount, `payments ${method}`),
      }));
    return {
      types: INVOICE_TYPES_V2.flatMap((type) => {
        const s = this.types.get(type);
        if (s === undefined) return [];
        return [
          {
            invoice_type: type,
            dgi_type: DGI_TYPES[type].code,
            count: s.count,
            total: safe(s.total, `${type} total`),
            tax_total: safe(s.tax, `${type} tax`),
            specific_tax_total: safe(s.specific, `${type} specific tax`),
            groups: groupList(s.groups),
          },
        ];
      }),
      groups: { sales: groupList(this.salesGroups), credits: groupList(this.creditGroups) },
      payments: { sales: payments(this.salesPayments), credits: payments(this.creditPayments) },
      credit_notes: ordered(CREDIT_NATURES, this.natures).map(([nature, s]) => ({
        nature,
        count: s.count,
        total: safe(s.amount, `credit notes ${nature}`),
      })),
      reductions: { lines: this.reductionLines, amount: safe(this.reductionAmount, "reductions") },
      v1_records: this.v1,
    };
  }
}

/** The entries of `sums` in the order of `keys` (a table), then any other key in code-point order. */
function ordered<T>(keys: readonly string[], sums: Map<string, T>): [string, T][] {
  const rest = [...sums.keys()].filter((k) => !keys.includes(k)).sort();
  return [...keys, ...rest].flatMap((k) => {
    const s = sums.get(k);
    return s === undefined ? [] : [[k, s] as [string, T]];
  });
}

/** The commercial reduction of a sale's lines: lines sold below `original_price`, and by how much. */
function reductionsOf(invoice: CanonicalInvoiceV2): { lines: number; amount: bigint } {
  let lines = 0;
  let amount = 0n;
  for (const item of invoice.items) {
    if (item.original_price === undefined || item.original_price <= item.unit_price) continue;
    lines += 1;
    amount += lineAmountV2(item.quantity_milli, item.original_price) - BigInt(item.amount);
  }
  return { lines, amount };
}

/**
 * The figures of a period, invoice by invoice: `add` each, in any order, then `figures()`. A verifier
 * streaming an export keeps one of these per day instead of the day's invoices.
 */
export class PeriodFigures {
  private readonly sums = new FigureSums();

  /**
   * Adds one sealed invoice. A record v2 needs its invoice (payments, lines and the credit nature
   * are in it); JOURNAL_CORRUPT otherwise. A record v1 is counted in `v1_records`.
   */
  add({ record, invoice }: PeriodEntry): void {
    const sums = this.sums;
    if (record.v === 1) {
      sums.addV1(1);
      return;
    }
    if (invoice === undefined) {
      throw new FiscalError("JOURNAL_CORRUPT", `record ${record.fiscal_number}: its invoice is missing`);
    }
    const type = record.invoice_type as InvoiceTypeV2;
    const credit = isCreditType(type);
    const t = record.totals;
    sums.addType({
      invoice_type: type,
      count: 1,
      total: t.total,
      tax_total: t.tax_total,
      specific_tax_total: t.specific_tax_total,
      groups: t.groups,
    });
    for (const p of invoice.payments)
      sums.addPayment(credit, { method: p.method, count: 1, amount: p.amount });
    if (record.reference !== undefined) {
      sums.addNature({ nature: record.reference.nature, count: 1, total: t.total });
    }
    if (!credit) {
      const r = reductionsOf(invoice);
      sums.addReductions(r.lines, r.amount);
    }
  }

  figures(): Figures {
    return this.sums.figures();
  }
}

/** The figures of the invoices of a period (PeriodFigures over all of them). */
export function figuresOf(entries: readonly PeriodEntry[]): Figures {
  const period = new PeriodFigures();
  for (const entry of entries) period.add(entry);
  return period.figures();
}

/** The figures of several periods together (a monthly closure over its Z reports, a year over its months). */
export function sumFigures(all: readonly Figures[]): Figures {
  const sums = new FigureSums();
  for (const f of all) {
    for (const t of f.types) sums.addType(t);
    for (const p of f.payments.sales) sums.addPayment(false, p);
    for (const p of f.payments.credits) sums.addPayment(true, p);
    for (const n of f.credit_notes) sums.addNature(n);
    sums.addReductions(f.reductions.lines, f.reductions.amount);
    sums.addV1(f.v1_records);
  }
  return sums.figures();
}
