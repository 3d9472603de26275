/**
 * The business rules of invoice version 2, part by part (items, client and comment lines, reference,
 * payments), each adding its issues to one list so a POS sees every problem at once. Only
 * canonical-v2.ts calls them: `canonicaliseInvoiceV2` is the one entry point (docs/PROTOCOL.md §7.4).
 */
import { ERRORS, type ErrorName, type FieldIssue, FiscalError } from "../errors.js";
import { parseQuantity } from "./canonical.js";
import type { CanonicalInvoiceV2, PosInvoiceV2 } from "./schema-v2.js";
import {
  CLIENT_TYPE_RULES,
  COMMENT_LINES,
  CREDITABLE_TYPES_V2,
  EXPORT_TYPES_V2,
  type FX_CURRENCIES,
  TAX_TABLE_V2,
} from "./tables-v2.js";
import { MAX_AMOUNT, roundHalfUp } from "./totals.js";
import { lineAmountV2, specificTaxAmountV2 } from "./totals-v2.js";

/** A foreign currency a payment may be made in. */
export type FxCurrency = (typeof FX_CURRENCIES)[number];

/** Reference exchange rates (rate × 10^4, CDF per unit) and the allowed gap, in basis points. */
export interface FxReference {
  readonly reference: Readonly<Partial<Record<FxCurrency, number>>>;
  readonly toleranceBp: number;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** The issues found so far; thrown together as one INVOICE_INVALID. */
export class IssueList {
  readonly items: FieldIssue[] = [];
  add(path: string, name: ErrorName, message: string): void {
    this.items.push({ path, code: ERRORS[name].code, message });
  }
  throwIfAny(): void {
    if (this.items.length > 0) throw invalid(this.items);
  }
}

/** INVOICE_INVALID carrying `issues`, the first one in its message. */
export function invalid(issues: readonly FieldIssue[]): FiscalError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new FiscalError("INVOICE_INVALID", `${first.path} ${first.message}${more}`, { issues });
}

/** Text exactly as version 1 normalises it: NFC, then ECMAScript trim; blank or control characters refused. */
export function text(value: string, path: string, issues: IssueList): string {
  const out = value.normalize("NFC").trim();
  if (out.length === 0) issues.add(path, "FIELD_REQUIRED", "is blank");
  else if (CONTROL_CHARS.test(out)) issues.add(path, "FIELD_TYPE", "contains control characters");
  return out;
}

/** `text` for an optional field. */
export function optionalText(value: string | undefined, path: string, issues: IssueList): string | undefined {
  return value === undefined ? undefined : text(value, path, issues);
}

/** Parses a decimal rate ("2850.5") into rate × 10^4 (28505000); RATE_PATTERN has checked its form. */
export function rateE4Of(rate: string): number {
  const [whole, frac = ""] = rate.split(".");
  return Number(whole) * 10_000 + Number(frac.padEnd(4, "0"));
}

/** Formats rate × 10^4 back into the shortest decimal ("28505000" → "2850.5"). */
export function formatRateE4(rateE4: number): string {
  const frac = String(rateE4 % 10_000)
    .padStart(4, "0")
    .replace(/0+$/, "");
  const whole = String(Math.floor(rateE4 / 10_000));
  return frac ? `${whole}.${frac}` : whole;
}

type CanonicalItem = CanonicalInvoiceV2["items"][number];

/** The canonical items, with their amounts and specific tax (rule 3 of docs/PROTOCOL.md §7.4). */
export function canonicalItems(pos: PosInvoiceV2, issues: IssueList): CanonicalItem[] {
  const isExport = EXPORT_TYPES_V2.has(pos.type);
  const priceMode = pos.price_mode ?? "TTC";
  return pos.items.map((item, i) => {
    const path = `/items/${i}`;
    const quantity = parseQuantity(item.quantity);
    if (typeof quantity !== "number")
      issues.add(`${path}/quantity`, quantity, "must be a decimal of at most 3 places");
    // An invalid quantity is already reported: count one unit so no second, spurious issue follows.
    const qty = typeof quantity === "number" ? quantity : 1000;
    const slot = TAX_TABLE_V2.groups[item.tax_group];
    if (slot.computation === "reserved") {
      issues.add(`${path}/tax_group`, "TAX_GROUP_NOT_ALLOWED", `slot ${item.tax_group} is reserved`);
    } else if (isExport !== slot.exportOnly) {
      issues.add(
        `${path}/tax_group`,
        "TAX_GROUP_NOT_ALLOWED",
        isExport ? "export invoices use tax group E only" : "tax group E is for export invoices only",
      );
    } else if (!slot.kinds.includes(item.kind)) {
      issues.add(
        `${path}/kind`,
        "ITEM_TYPE_NOT_ALLOWED",
        `group ${item.tax_group} takes ${slot.kinds.join(" or ")} items, not ${item.kind}`,
      );
    }
    const amount = lineAmountV2(qty, item.unit_price);
    if (amount < 1n) issues.add(path, "AMOUNT_NOT_POSITIVE", "line amount rounds to zero");
    if (amount > BigInt(MAX_AMOUNT)) issues.add(path, "FIELD_RANGE", "line amount exceeds 10^15");
    if (item.original_price !== undefined && item.price_change === undefined)
      issues.add(`${path}/price_change`, "FIELD_REQUIRED", "is required with original_price");
    if (item.price_change !== undefined && item.original_price === undefined)
      issues.add(`${path}/original_price`, "FIELD_REQUIRED", "is required with price_change");
    if (item.original_price !== undefined && item.original_price === item.unit_price)
      issues.add(`${path}/original_price`, "FIELD_RANGE", "equals unit_price: the price did not change");
    let specific: bigint | undefined;
    if (item.specific_tax !== undefined) {
      specific = specificTaxAmountV2(
        item.specific_tax,
        { quantityMilli: qty, amount },
        priceMode,
        slot.rateBp,
      );
      if (slot.computation !== "rate") {
        issues.add(
          `${path}/specific_tax`,
          "TAX_GROUP_NOT_ALLOWED",
          `group ${item.tax_group} takes no specific tax`,
        );
      } else if (specific < 1n) {
        issues.add(`${path}/specific_tax`, "AMOUNT_NOT_POSITIVE", "specific tax rounds to zero");
      } else if (specific > BigInt(MAX_AMOUNT)) {
        issues.add(`${path}/specific_tax`, "FIELD_RANGE", "specific tax exceeds 10^15");
      } else if (priceMode === "TTC" && specific >= amount) {
        issues.add(`${path}/specific_tax`, "FIELD_RANGE", "a TTC line amount must contain its specific tax");
      }
    }
    // A refused amount is never sealed (the issues are thrown first); 1 only keeps the shape typed.
    const carried = (n: bigint) => (n >= 1n && n <= BigInt(MAX_AMOUNT) ? Number(n) : 1);
    return {
      code: item.code,
      name: text(item.name, `${path}/name`, issues),
      kind: item.kind,
      quantity_milli: qty,
      unit_price: item.unit_price,
      tax_group: item.tax_group,
      specific_tax: item.specific_tax && { ...item.specific_tax },
      specific_tax_amount: specific === undefined ? undefined : carried(specific),
      original_price: item.original_price,
      price_change: optionalText(item.price_change, `${path}/price_change`, issues),
      amount: carried(amount),
    };
  });
}

/** The client with the fields its type requires, and comment lines A–H (line A from an AO client). */
export function canonicalClientAndComments(
  pos: PosInvoiceV2,
  issues: IssueList,
): Pick<CanonicalInvoiceV2, "client" | "comments"> {
  const client = pos.client && {
    type: pos.client.type,
    name: optionalText(pos.client.name, "/client/name", issues),
    nif: pos.client.nif,
    address: optionalText(pos.client.address, "/client/address", issues),
    contact: optionalText(pos.client.contact, "/client/contact", issues),
    exemption_ref: optionalText(pos.client.exemption_ref, "/client/exemption_ref", issues),
  };
  if (client !== undefined) {
    // Required whenever the client is given (DRC-RULES §10 q.11; docs/PROTOCOL.md §7.5).
    for (const field of CLIENT_TYPE_RULES[client.type].required) {
      if (client[field] === undefined)
        issues.add(`/client/${field}`, "CLIENT_FIELDS_MISSING", `is required for a ${client.type} client`);
    }
    if (client.type !== "AO" && client.exemption_ref !== undefined)
      issues.add(
        "/client/exemption_ref",
        "FIELD_UNKNOWN",
        "only an AO client carries an exemption reference",
      );
  }
  const comments: Record<string, string | undefined> = {};
  for (const line of COMMENT_LINES) {
    comments[line] = optionalText(pos.comments?.[line], `/comments/${line}`, issues);
  }
  // Line A is the AO exemption reference (SFE Annex IV): derived, never free text.
  if (client?.type === "AO") {
    if (comments.A !== undefined && comments.A !== client.exemption_ref)
      issues.add("/comments/A", "FIELD_RANGE", "must be absent or equal client.exemption_ref");
    comments.A = client.exemption_ref;
  } else if (comments.A !== undefined) {
    issues.add("/comments/A", "FIELD_UNKNOWN", "line A is reserved for an AO client's exemption reference");
  }
  const used = Object.values(comments).some((v) => v !== undefined);
  return { client, comments: used ? (comments as CanonicalInvoiceV2["comments"]) : undefined };
}

/** A credit note carries its nature, and its original unless the nature is RRR. */
export function checkReference(pos: PosInvoiceV2, issues: IssueList): void {
  const isCredit = CREDITABLE_TYPES_V2[pos.type] !== undefined;
  const reference = pos.reference;
  if (isCredit && reference === undefined)
    issues.add("/reference", "REFERENCE_REQUIRED", "credit notes give their nature and original");
  if (!isCredit && reference !== undefined)
    issues.add("/reference", "REFERENCE_FORBIDDEN", `a ${pos.type} invoice carries no reference`);
  if (reference === undefined) return;
  if (reference.nature === "RRR") {
    // An RRR credit note references no sale (SFE EG1.28): its reference is the literal "RRR".
    if (reference.fiscal_number !== undefined)
      issues.add("/reference/fiscal_number", "FIELD_UNKNOWN", "an RRR credit note references no original");
    if (reference.device_id !== undefined)
      issues.add("/reference/device_id", "FIELD_UNKNOWN", "an RRR credit note references no original");
  } else if (reference.fiscal_number === undefined) {
    issues.add(
      "/reference/fiscal_number",
      "REFERENCE_REQUIRED",
      `a ${reference.nature} credit note names its original`,
    );
  }
}

/** The payments: their sum, each foreign payment's conversion, and (with `fx`) its rate. */
export function canonicalPayments(
  pos: PosInvoiceV2,
  total: number,
  fx: FxReference | undefined,
  issues: IssueList,
): CanonicalInvoiceV2["payments"] {
  const paid = pos.payments.reduce((sum, p) => sum + p.amount, 0);
  if (paid !== total)
    issues.add("/payments", "PAYMENTS_MISMATCH", `payments sum to ${paid} but the total is ${total}`);
  return pos.payments.map((p, i) => {
    if (p.foreign === undefined) return { method: p.method, amount: p.amount };
    const rateE4 = rateE4Of(p.foreign.rate);
    const expected = roundHalfUp(BigInt(p.foreign.amount) * BigInt(rateE4), 10_000n);
    if (expected !== BigInt(p.amount)) {
      issues.add(
        `/payments/${i}/amount`,
        "PAYMENTS_MISMATCH",
        `${p.foreign.amount} ${p.foreign.currency} minor units at ${p.foreign.rate} is ${expected}, not ${p.amount}`,
      );
    }
    if (fx !== undefined) {
      const ref = fx.reference[p.foreign.currency];
      if (ref === undefined) {
        issues.add(
          `/payments/${i}/foreign/rate`,
          "FX_REFERENCE_MISSING",
          `no reference rate for ${p.foreign.currency}`,
        );
      } else if (BigInt(Math.abs(rateE4 - ref)) * 10_000n > BigInt(ref) * BigInt(fx.toleranceBp)) {
        issues.add(
          `/payments/${i}/foreign/rate`,
          "FX_RATE_OUT_OF_RANGE",
          `is more than ${fx.toleranceBp / 100} % from the reference ${formatRateE4(ref)}`,
        );
      }
    }
    const foreign = {
      currency: p.foreign.currency,
      amount: p.foreign.amount,
      rate_e4: rateE4,
      rate_date: p.foreign.rate_date,
    };
    return { method: p.method, amount: p.amount, foreign };
  });
}
