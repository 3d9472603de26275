/**
 * What one signed record proves about itself (docs/EXPORT.md §3, "each record on its own"): its tax
 * table is a known version, each group's tax follows from its base (or total) by that version's
 * rounding rule at that version's rate, the totals are the sums of the groups, export types use
 * group E only (and only they use it), and a reference is where the type says it must be. A device
 * never seals anything else, so each of these on a validly signed record means a faulty or forged
 * device: the verifier names it. No invoice lines are needed: these read the record alone.
 */
import { CREDIT_TYPES, EXPORT_TYPES, type InvoiceType, TAX_TABLE } from "../invoice/tables.js";
import {
  EXPORT_TYPES_V2,
  type InvoiceTypeV2,
  TAX_TABLE_V2,
  TAX_TABLE_VERSIONS,
} from "../invoice/tables-v2.js";
import { roundHalfUp } from "../invoice/totals.js";
import { roundHalfDown } from "../invoice/totals-v2.js";
import type { RecordFailureReason } from "./report.js";

/** One group of a record's totals, v1 (no `total`) or v2. */
export interface AuditedGroup {
  readonly group: string;
  readonly rate_bp: number;
  readonly base: number;
  readonly tax: number;
  /** v2 only: base + tax. */
  readonly total?: number;
}

/** A record's reference, v1 (`kind`) or v2 (`nature`). */
export interface AuditedReference {
  readonly kind?: string;
  readonly nature?: string;
  readonly device_id?: string;
  readonly fiscal_number?: number;
}

/** The fields of a fiscal record (v1 or v2) the audit rules read. */
export interface AuditedRecord {
  readonly v: number;
  readonly fiscal_number: number;
  readonly invoice_type: string;
  readonly client_ref: string;
  readonly currency: string;
  readonly tax_table: string;
  /** v2 only. */
  readonly price_mode?: string;
  readonly totals: {
    readonly total: number;
    readonly tax_total: number;
    readonly groups: readonly AuditedGroup[];
  };
  readonly reference?: AuditedReference;
}

/** A rule broken by a record: a failure reason and what is wrong. */
export interface RuleBreach {
  readonly reason: RecordFailureReason;
  readonly message: string;
}

/** The tax table version each record version is computed with. */
export const TAX_TABLE_OF_RECORD_VERSION: Readonly<Record<number, string>> = {
  1: TAX_TABLE.version,
  2: TAX_TABLE_V2.version,
};

/** Credit-note types of either version (the v2 list is a superset of the v1 one). */
const CREDIT_TYPE_NAMES: ReadonlySet<string> = new Set<string>(CREDIT_TYPES);
const EXPORT_TYPE_NAMES: Readonly<Record<number, ReadonlySet<string>>> = {
  1: EXPORT_TYPES as ReadonlySet<InvoiceType>,
  2: EXPORT_TYPES_V2 as ReadonlySet<InvoiceTypeV2>,
};

/** True for a credit note type (CREDIT, EXPORT_CREDIT), in either version. */
export function isCreditType(type: string): boolean {
  return CREDIT_TYPE_NAMES.has(type);
}

/** Every rule the record breaks on its own, in a stable order. */
export function checkRecordRules(record: AuditedRecord): RuleBreach[] {
  const out: RuleBreach[] = [];
  const add = (reason: RecordFailureReason, message: string): void => {
    out.push({ reason, message });
  };
  const expectedTable = TAX_TABLE_OF_RECORD_VERSION[record.v];
  const known = (TAX_TABLE_VERSIONS as readonly string[]).includes(record.tax_table);
  if (!known) {
    add(
      "tax_table_unknown",
      `tax table ${record.tax_table} is not a known version (${TAX_TABLE_VERSIONS.join(", ")})`,
    );
  } else if (record.tax_table !== expectedTable) {
    add(
      "tax_table_unknown",
      `a version-${record.v} record is computed with ${expectedTable}, not ${record.tax_table}`,
    );
  } else {
    const arithmetic = record.v === 1 ? groupArithmeticV1 : groupArithmeticV2;
    for (const g of record.totals.groups) {
      const wrong = arithmetic(g, record.price_mode);
      if (wrong !== undefined) add("tax_arithmetic", `group ${g.group}: ${wrong}`);
    }
  }
  totalsSums(record, add);
  exportGroups(record, add);
  referenceRule(record, add);
  return out;
}

/**
 * v1 (PROTOCOL §7.3, version 1): prices are tax-inclusive, gross = base + tax and
 * tax = round_half_up(gross × r / (10000 + r)) with r the group's rate in the v1 table.
 */
function groupArithmeticV1(g: AuditedGroup): string | undefined {
  const slot = (TAX_TABLE.groups as Readonly<Record<string, { rateBp: number }>>)[g.group];
  if (slot === undefined) return `not a group of ${TAX_TABLE.version}`;
  if (g.rate_bp !== slot.rateBp) return `rate ${g.rate_bp} bp, the table's is ${slot.rateBp} bp`;
  const gross = BigInt(g.base) + BigInt(g.tax);
  const r = BigInt(slot.rateBp);
  const tax = r === 0n ? 0n : roundHalfUp(gross * r, 10_000n + r);
  if (BigInt(g.tax) !== tax) return `tax ${g.tax} on a gross of ${gross}, the rounding rule gives ${tax}`;
  return undefined;
}

/**
 * v2 (PROTOCOL §7.3): each slot's computation. A `rate` slot: HT mode tax = round_half_up(base × r /
 * 10000); TTC mode base = round_half_down(total × 10000 / (10000 + r)), tax = total − base. A
 * `line_vat` slot is wholly tax (base 0); an `outside` slot has no tax; a `reserved` slot is never used.
 * The specific tax inside a base cannot be told apart from the record alone: the invoice shows it.
 */
function groupArithmeticV2(g: AuditedGroup, priceMode: string | undefined): string | undefined {
  const slot = (TAX_TABLE_V2.groups as Readonly<Record<string, (typeof TAX_TABLE_V2.groups)["A"]>>)[g.group];
  if (slot === undefined) return `not a slot of ${TAX_TABLE_V2.version}`;
  if (slot.computation === "reserved") return `slot ${g.group} is reserved in ${TAX_TABLE_V2.version}`;
  if (g.rate_bp !== slot.rateBp) return `rate ${g.rate_bp} bp, the table's is ${slot.rateBp} bp`;
  const total = g.total ?? g.base + g.tax;
  if (g.base + g.tax !== total) return `base ${g.base} + tax ${g.tax} is not its total ${total}`;
  if (slot.computation === "line_vat") {
    return g.base === 0 ? undefined : `a line-VAT slot has base 0 (all of ${total} is tax), not ${g.base}`;
  }
  if (slot.computation === "outside") {
    return g.tax === 0 ? undefined : `a slot outside VAT has no tax, not ${g.tax}`;
  }
  const r = BigInt(slot.rateBp);
  if (priceMode === "HT") {
    const tax = roundHalfUp(BigInt(g.base) * r, 10_000n);
    return BigInt(g.tax) === tax
      ? undefined
      : `HT: tax ${g.tax} on a base of ${g.base}, the rule gives ${tax}`;
  }
  const base = roundHalfDown(BigInt(total) * 10_000n, 10_000n + r);
  return BigInt(g.base) === base
    ? undefined
    : `TTC: base ${g.base} of a total of ${total}, the rule gives ${base} (tax ${BigInt(total) - base})`;
}

function totalsSums(
  record: AuditedRecord,
  add: (reason: RecordFailureReason, message: string) => void,
): void {
  const { groups, total, tax_total: taxTotal } = record.totals;
  let sum = 0n;
  let taxSum = 0n;
  for (const g of groups) {
    sum += BigInt(g.total ?? g.base + g.tax);
    taxSum += BigInt(g.tax);
  }
  if (BigInt(total) !== sum) add("totals_sum", `total ${total} is not the sum of the groups, ${sum}`);
  if (BigInt(taxTotal) !== taxSum)
    add("totals_sum", `tax total ${taxTotal} is not the sum of the groups' tax, ${taxSum}`);
  const letters = groups.map((g) => g.group);
  const sorted = [...new Set(letters)].sort();
  if (letters.join() !== sorted.join()) {
    add("totals_sum", `groups ${letters.join(" ")} are not listed once each in letter order`);
  }
}

function exportGroups(
  record: AuditedRecord,
  add: (reason: RecordFailureReason, message: string) => void,
): void {
  const isExport = EXPORT_TYPE_NAMES[record.v]?.has(record.invoice_type) ?? false;
  for (const g of record.totals.groups) {
    if (isExport && g.group !== "E")
      add("export_group", `a ${record.invoice_type} is taxed in group E only, not ${g.group}`);
    if (!isExport && g.group === "E")
      add("export_group", `group E is for export invoices only, not a ${record.invoice_type}`);
  }
}

function referenceRule(
  record: AuditedRecord,
  add: (reason: RecordFailureReason, message: string) => void,
): void {
  const ref = record.reference;
  const credit = isCreditType(record.invoice_type);
  if (credit && ref === undefined) add("reference_rule", `a ${record.invoice_type} references its original`);
  if (!credit && ref !== undefined) add("reference_rule", `a ${record.invoice_type} references nothing`);
  if (ref === undefined || record.v !== 2) return;
  if (ref.nature === "RRR") {
    if (ref.fiscal_number !== undefined || ref.device_id !== undefined) {
      add("reference_rule", "a credit of nature RRR references no original");
    }
  } else if (ref.fiscal_number === undefined) {
    add("reference_rule", `a credit of nature ${ref.nature} names its original's fiscal number`);
  }
}
