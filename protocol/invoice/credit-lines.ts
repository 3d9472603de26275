/**
 * A version-2 credit note against its original (SFE EG1.26; docs/PROTOCOL.md §7.4): the rules the
 * DEF (from its journal, which keeps each record's canonical invoice), the daemon (from its store)
 * and `stalela verify` (from the export) all apply, written once.
 *
 * Amounts: the credits together never exceed the original, and an annulation (RAN) cancels exactly
 * what remains. Lines, when the original is version 2: every item is on the original, at its unit
 * price, and the quantity credited per line, cumulated over every credit note, never exceeds the
 * quantity sold. An RRR credit note references no sale and is not checked here.
 */
import { ERRORS, type ErrorName, errorNameOf, type FieldIssue, FiscalError } from "../errors.js";
import type { CanonicalInvoiceV2 } from "./schema-v2.js";
import { CREDITABLE_TYPES_V2 } from "./tables-v2.js";

/** One line of an invoice as the credit checks see it (a canonical v2 item has these fields). */
export interface CreditLine {
  readonly code?: string;
  readonly name: string;
  readonly kind: string;
  readonly tax_group: string;
  readonly unit_price: number;
  readonly quantity_milli: number;
}

/** What the checker needs to know of the referenced original. */
export interface CreditOriginal {
  /** Its type; a version-1 original counts by its name (SALE, ADVANCE, EXPORT …). */
  readonly invoiceType: string;
  readonly total: number;
  readonly currency: string;
  /** Sum of the totals of credit notes already sealed against it. */
  readonly credited: number;
  /** Its price mode, when it is version 2. */
  readonly priceMode?: "TTC" | "HT";
  /** Its lines, when it is version 2 (a version-1 original is checked on amounts only). */
  readonly lines?: readonly CreditLine[];
  /** The lines of every credit note already sealed against it. */
  readonly creditedLines?: readonly CreditLine[];
}

/** How a credit line names an original line: by code when the original line has one, else by name. */
function matches(original: CreditLine, line: CreditLine): boolean {
  return original.code !== undefined ? line.code === original.code : line.name === original.name;
}

/** The key quantities are counted under: the original line's identity and unit price. */
function keyOf(original: CreditLine): string {
  const id = original.code !== undefined ? `code:${original.code}` : `name:${original.name}`;
  return `${id}\u0000${original.unit_price}`;
}

/** The original line a credit line stands for, with its group, kind and unit price; undefined if none. */
function originalLineOf(lines: readonly CreditLine[], line: CreditLine): CreditLine | undefined {
  return lines.find(
    (o) =>
      matches(o, line) &&
      o.tax_group === line.tax_group &&
      o.kind === line.kind &&
      o.unit_price === line.unit_price,
  );
}

function refused(name: ErrorName, path: string, message: string): FiscalError {
  return new FiscalError(name, message, { issues: [{ path, code: ERRORS[name].code, message }] });
}

/** The issue of one credit item that does not stand for an original line, or undefined when it does. */
function lineIssue(lines: readonly CreditLine[], line: CreditLine, path: string): FieldIssue | undefined {
  const named = lines.filter((o) => matches(o, line));
  const issue = (name: ErrorName, field: string, message: string): FieldIssue => ({
    path: `${path}/${field}`,
    code: ERRORS[name].code,
    message,
  });
  if (named.length === 0) {
    return issue(
      "CREDIT_ITEM_NOT_ON_ORIGINAL",
      line.code !== undefined ? "code" : "name",
      "is not on the original",
    );
  }
  const sameGroup = named.filter((o) => o.tax_group === line.tax_group);
  if (sameGroup.length === 0) {
    return issue(
      "CREDIT_ITEM_NOT_ON_ORIGINAL",
      "tax_group",
      `the original line is in ${named[0]!.tax_group}`,
    );
  }
  const sameKind = sameGroup.filter((o) => o.kind === line.kind);
  if (sameKind.length === 0) {
    return issue("CREDIT_ITEM_NOT_ON_ORIGINAL", "kind", `the original line is ${sameGroup[0]!.kind}`);
  }
  if (!sameKind.some((o) => o.unit_price === line.unit_price)) {
    const prices = sameKind.map((o) => o.unit_price).join(" or ");
    return issue("CREDIT_PRICE_MISMATCH", "unit_price", `must equal the original's unit price ${prices}`);
  }
  return undefined;
}

/** Quantities sold per key. */
function soldByKey(lines: readonly CreditLine[]): Map<string, number> {
  const sold = new Map<string, number>();
  for (const line of lines) sold.set(keyOf(line), (sold.get(keyOf(line)) ?? 0) + line.quantity_milli);
  return sold;
}

/** Checks the items of a credit note against a version-2 original's lines; returns the remaining quantities. */
function checkLines(
  invoice: CanonicalInvoiceV2,
  original: CreditOriginal,
  lines: readonly CreditLine[],
): Map<string, number> {
  if (original.priceMode !== undefined && original.priceMode !== invoice.price_mode) {
    throw refused(
      "CREDIT_PRICE_MISMATCH",
      "/price_mode",
      `the original is in ${original.priceMode} prices, the credit note in ${invoice.price_mode}`,
    );
  }
  const issues: FieldIssue[] = [];
  invoice.items.forEach((item, i) => {
    const issue = lineIssue(lines, item, `/items/${i}`);
    if (issue !== undefined) issues.push(issue);
  });
  if (issues.length === 0) {
    const remaining = soldByKey(lines);
    for (const earlier of original.creditedLines ?? []) {
      const line = originalLineOf(lines, earlier);
      if (line !== undefined)
        remaining.set(keyOf(line), remaining.get(keyOf(line))! - earlier.quantity_milli);
    }
    const reported = new Set<string>();
    invoice.items.forEach((item, i) => {
      const key = keyOf(originalLineOf(lines, item)!);
      const left = remaining.get(key)! - item.quantity_milli;
      remaining.set(key, left);
      if (left < 0 && !reported.has(key)) {
        reported.add(key);
        issues.push({
          path: `/items/${i}/quantity`,
          code: ERRORS.CREDIT_QUANTITY_EXCEEDED.code,
          message: `credits ${-left / 1000} more than remains of the quantity sold`,
        });
      }
    });
    if (issues.length === 0) return remaining;
  }
  const first = issues[0]!;
  throw new FiscalError(errorNameOf(first.code)!, `${first.path} ${first.message}`, { issues });
}

/**
 * Checks a version-2 credit note against its original. `original` is undefined when the checker does
 * not know the referenced fiscal number. Does nothing for an invoice without a reference or an RRR
 * credit note. Throws a coded FiscalError whose issues name `/reference/fiscal_number`, `/price_mode`
 * or `/items/<i>/…`.
 */
export function checkCreditAgainstOriginalV2(
  invoice: CanonicalInvoiceV2,
  original: CreditOriginal | undefined,
): void {
  const reference = invoice.reference;
  if (reference === undefined || reference.nature === "RRR") return;
  const at = "/reference/fiscal_number";
  if (original === undefined) {
    throw refused("REFERENCE_NOT_FOUND", at, `fiscal number ${reference.fiscal_number} is unknown`);
  }
  const allowed: readonly string[] = CREDITABLE_TYPES_V2[invoice.type] ?? [];
  if (!allowed.includes(original.invoiceType)) {
    throw refused(
      "REFERENCE_TYPE_MISMATCH",
      at,
      `a ${invoice.type} must reference ${allowed.join(" or ")}, not ${original.invoiceType}`,
    );
  }
  if (original.currency !== invoice.currency) {
    throw refused(
      "CURRENCY_MISMATCH",
      at,
      `the original is in ${original.currency}, the credit in ${invoice.currency}`,
    );
  }
  const remaining = original.total - original.credited;
  if (invoice.totals.total > remaining) {
    throw refused(
      "CREDIT_EXCEEDS_ORIGINAL",
      at,
      `credit of ${invoice.totals.total} exceeds the ${remaining} that remains`,
    );
  }
  const quantitiesLeft =
    original.lines === undefined ? undefined : checkLines(invoice, original, original.lines);
  if (reference.nature !== "RAN") return;
  if (invoice.totals.total !== remaining) {
    throw refused(
      "VOID_NOT_FULL",
      at,
      `an annulation cancels the whole ${remaining} that remains, not ${invoice.totals.total}`,
    );
  }
  if (quantitiesLeft !== undefined && [...quantitiesLeft.values()].some((left) => left !== 0)) {
    throw refused(
      "VOID_NOT_FULL",
      "/items",
      "an annulation cancels every remaining quantity of the original",
    );
  }
}
