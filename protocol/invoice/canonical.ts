/**
 * From what a POS sends to the canonical invoice the device seals, and back again for the device's
 * own check. One function holds every business rule (`canonicaliseInvoice`), so the daemon and the
 * DEF cannot disagree: the DEF re-runs it on what it receives and insists on the same bytes.
 */
import { createHash } from "node:crypto";
import { encodeCanonical } from "../cbor.js";
import { ERRORS, type ErrorName, type FieldIssue, FiscalError } from "../errors.js";
import { compileChecker } from "../schema-issues.js";
import {
  type CanonicalInvoice,
  CanonicalInvoiceSchema,
  MAX_INVOICE_BYTES,
  MAX_QUANTITY_MILLI,
  type PosInvoice,
  PosInvoiceSchema,
  REF_PATTERN,
} from "./schema.js";
import type { CanonicalInvoiceV2 } from "./schema-v2.js";
import { CREDIT_TYPES, EXPORT_TYPES, TAX_TABLE } from "./tables.js";
import { computeTotals, lineAmount, MAX_AMOUNT } from "./totals.js";
import { illFormedTextIssues, isWellFormedText } from "./unicode.js";

/** What the daemon adds to a POS invoice: who issued it, and its reference if the POS gave none. */
export interface InvoiceContext {
  readonly cashierId: string;
  /** Used as `client_ref` when the POS did not send one (the daemon passes the Idempotency-Key). */
  readonly defaultClientRef?: string;
}

const posChecker = compileChecker(PosInvoiceSchema);
const canonicalChecker = compileChecker(CanonicalInvoiceSchema);
const refPattern = new RegExp(REF_PATTERN);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

class IssueList {
  readonly items: FieldIssue[] = [];
  add(path: string, name: ErrorName, message: string): void {
    this.items.push({ path, code: ERRORS[name].code, message });
  }
  throwIfAny(): void {
    if (this.items.length > 0) throw invalid(this.items);
  }
}

/** Gives a schema complaint about a tax group or a currency its own, more telling, code. */
function specificIssue(issue: FieldIssue): FieldIssue {
  if (issue.code !== ERRORS.FIELD_TYPE.code) return issue;
  if (/^\/items\/\d+\/tax_group$/.test(issue.path)) {
    return { ...issue, code: ERRORS.TAX_GROUP_UNKNOWN.code, message: "must be one of the tax groups A to N" };
  }
  if (issue.path === "/currency") {
    return {
      ...issue,
      code: ERRORS.CURRENCY_UNSUPPORTED.code,
      message: "is not a supported ISO 4217 currency",
    };
  }
  return issue;
}

function invalid(issues: readonly FieldIssue[]): FiscalError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new FiscalError("INVOICE_INVALID", `${first.path} ${first.message}${more}`, { issues });
}

/** Parses a decimal quantity into thousandths. Returns an error name when it cannot. */
export function parseQuantity(q: number | string): number | ErrorName {
  const text = typeof q === "number" ? String(q) : q;
  const match = /^([0-9]{1,7})(?:\.([0-9]+))?$/.exec(text);
  if (!match) return "FIELD_TYPE";
  const decimals = (match[2] ?? "").replace(/0+$/, "");
  if (decimals.length > 3) return "QUANTITY_PRECISION";
  const milli = Number(match[1]) * 1000 + Number(decimals.padEnd(3, "0"));
  return milli < 1 || milli > MAX_QUANTITY_MILLI ? "FIELD_RANGE" : milli;
}

/** Formats thousandths back into the shortest decimal string ("2500" → "2.5"). */
export function formatQuantity(milli: number): string {
  const whole = Math.floor(milli / 1000);
  const frac = String(milli % 1000)
    .padStart(3, "0")
    .replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

function text(value: string, path: string, issues: IssueList): string {
  const out = value.normalize("NFC").trim();
  if (out.length === 0) issues.add(path, "FIELD_REQUIRED", "is blank");
  else if (CONTROL_CHARS.test(out)) issues.add(path, "FIELD_TYPE", "contains control characters");
  return out;
}

function optionalText(value: string | undefined, path: string, issues: IssueList): string | undefined {
  return value === undefined ? undefined : text(value, path, issues);
}

/**
 * Validates a POS invoice and returns its canonical form with computed totals. Throws INVOICE_INVALID
 * whose details list every issue found (schema issues first; business rules once the shape is right).
 */
export function canonicaliseInvoice(input: unknown, context: InvoiceContext): CanonicalInvoice {
  // Text that is not well-formed (a lone surrogate) would be sealed as U+FFFD: a shape issue, reported
  // first and in place of the schema's complaint about the same field (an ill-formed key is unknown too).
  const textIssues = isWellFormedText(input) ? [] : illFormedTextIssues(input);
  const textPaths = new Set(textIssues.map((issue) => issue.path));
  const schemaIssues = posChecker
    .issues(input)
    .map(specificIssue)
    .filter((issue) => !textPaths.has(issue.path));
  if (textIssues.length + schemaIssues.length > 0) throw invalid([...textIssues, ...schemaIssues]);
  const pos = input as PosInvoice;
  const issues = new IssueList();
  const clientRef = pos.client_ref ?? context.defaultClientRef;
  if (clientRef === undefined) issues.add("/client_ref", "FIELD_REQUIRED", "is required");
  else if (!refPattern.test(clientRef)) issues.add("/client_ref", "FIELD_TYPE", `must match ${REF_PATTERN}`);
  if (!refPattern.test(context.cashierId))
    issues.add("/cashier_id", "FIELD_TYPE", `must match ${REF_PATTERN}`);

  const isExport = EXPORT_TYPES.has(pos.type);
  const items = pos.items.map((item, i) => {
    const path = `/items/${i}`;
    const quantity = parseQuantity(item.quantity);
    if (typeof quantity !== "number")
      issues.add(`${path}/quantity`, quantity, "must be a decimal of at most 3 places");
    const qty = typeof quantity === "number" ? quantity : 1;
    const discount = item.discount ?? 0;
    const amount = lineAmount(qty, item.unit_price, discount);
    if (amount < 0n) issues.add(`${path}/discount`, "FIELD_RANGE", "exceeds the line amount");
    if (amount > BigInt(MAX_AMOUNT)) issues.add(path, "FIELD_RANGE", "line amount is too large");
    const exportGroup = TAX_TABLE.groups[item.tax_group].exportOnly;
    if (isExport !== exportGroup) {
      issues.add(
        `${path}/tax_group`,
        "TAX_GROUP_NOT_ALLOWED",
        isExport ? "export invoices use tax group E only" : "tax group E is for export invoices only",
      );
    }
    return {
      code: item.code,
      name: text(item.name, `${path}/name`, issues),
      kind: item.kind,
      quantity_milli: qty,
      unit_price: item.unit_price,
      discount: discount > 0 ? discount : undefined,
      tax_group: item.tax_group,
      amount: amount < 0n || amount > BigInt(MAX_AMOUNT) ? 0 : Number(amount),
    };
  });

  const isCredit = CREDIT_TYPES.has(pos.type);
  if (isCredit && pos.reference === undefined) {
    issues.add("/reference", "REFERENCE_REQUIRED", "credit notes must reference the original fiscal number");
  }
  if (!isCredit && pos.reference !== undefined) {
    issues.add("/reference", "REFERENCE_FORBIDDEN", `a ${pos.type} invoice carries no reference`);
  }
  if (pos.client?.type === "COMPANY" && pos.client.nif === undefined) {
    issues.add("/client/nif", "FIELD_REQUIRED", "is required for a company client");
  }
  if (isExport && pos.export === undefined) {
    issues.add("/export", "FIELD_REQUIRED", "export invoices give the destination country");
  }
  if (!isExport && pos.export !== undefined) {
    issues.add("/export", "FIELD_UNKNOWN", "only export invoices carry export details");
  }
  issues.throwIfAny();

  const grandTotal = items.reduce((sum, item) => sum + BigInt(item.amount), 0n);
  if (grandTotal > BigInt(MAX_AMOUNT)) issues.add("/items", "FIELD_RANGE", "invoice total is too large");
  issues.throwIfAny();
  const totals = computeTotals(items.map((item) => ({ group: item.tax_group, amount: item.amount })));
  const paid = pos.payments.reduce((sum, p) => sum + p.amount, 0);
  if (paid !== totals.total) {
    issues.add("/payments", "PAYMENTS_MISMATCH", `payments sum to ${paid} but the total is ${totals.total}`);
  }
  if (pos.expected_total !== undefined && pos.expected_total !== totals.total) {
    issues.add(
      "/expected_total",
      "TOTALS_MISMATCH",
      `is ${pos.expected_total} but the items sum to ${totals.total}`,
    );
  }
  const canonical: CanonicalInvoice = {
    v: 1,
    type: pos.type,
    client_ref: clientRef ?? "",
    cashier_id: context.cashierId,
    currency: pos.currency,
    items,
    payments: pos.payments.map((p) => ({ method: p.method, amount: p.amount })),
    client: pos.client && {
      type: pos.client.type,
      name: optionalText(pos.client.name, "/client/name", issues),
      nif: pos.client.nif,
      address: optionalText(pos.client.address, "/client/address", issues),
    },
    reference: pos.reference && {
      ...pos.reference,
      reason: text(pos.reference.reason, "/reference/reason", issues),
    },
    export: pos.export && { ...pos.export },
    note: optionalText(pos.note, "/note", issues),
    tax_table: TAX_TABLE.version,
    totals,
  };
  issues.throwIfAny();
  const size = encodeInvoice(canonical).length;
  if (size > MAX_INVOICE_BYTES) {
    throw new FiscalError(
      "INVOICE_TOO_LARGE",
      `canonical invoice is ${size} bytes, the limit is ${MAX_INVOICE_BYTES}`,
    );
  }
  return stripUndefined(canonical);
}

/** The POS-shaped invoice a canonical invoice was made from (amounts and totals dropped). */
export function posInvoiceOf(invoice: CanonicalInvoice): PosInvoice {
  return stripUndefined({
    type: invoice.type,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    items: invoice.items.map((i) => ({
      code: i.code,
      name: i.name,
      kind: i.kind,
      quantity: formatQuantity(i.quantity_milli),
      unit_price: i.unit_price,
      discount: i.discount,
      tax_group: i.tax_group,
    })),
    payments: invoice.payments,
    client: invoice.client,
    reference: invoice.reference,
    export: invoice.export,
    note: invoice.note,
  });
}

/**
 * The device-side check of a received canonical invoice: the shape, the tax table version, every
 * business rule, and that recomputing gives the same bytes (so amounts and totals add up and the
 * strings are normalised). Throws INVOICE_INVALID; returns the invoice typed.
 */
export function validateCanonicalInvoice(value: unknown): CanonicalInvoice {
  const schemaIssues = canonicalChecker.issues(value).map(specificIssue);
  if (schemaIssues.length > 0) throw invalid(schemaIssues);
  const invoice = value as CanonicalInvoice;
  if (invoice.tax_table !== TAX_TABLE.version) {
    throw invalid([
      {
        path: "/tax_table",
        code: ERRORS.TOTALS_MISMATCH.code,
        message: `is ${invoice.tax_table}, but this device computes with ${TAX_TABLE.version}`,
      },
    ]);
  }
  const rebuilt = canonicaliseInvoice(posInvoiceOf(invoice), { cashierId: invoice.cashier_id });
  const received = encodeInvoice(invoice);
  if (Buffer.compare(encodeInvoice(rebuilt), received) !== 0) {
    const totalsDiffer =
      Buffer.compare(encodeCanonical(rebuilt.totals), encodeCanonical(invoice.totals)) !== 0 ||
      rebuilt.items.some((item, i) => item.amount !== invoice.items[i]?.amount);
    throw invalid([
      totalsDiffer
        ? { path: "/totals", code: ERRORS.TOTALS_MISMATCH.code, message: "do not match the items" }
        : {
            path: "/",
            code: ERRORS.FIELD_TYPE.code,
            message: "is not in canonical form (text not normalised)",
          },
    ]);
  }
  return invoice;
}

/** The canonical CBOR bytes of an invoice of either version. */
export function encodeInvoice(invoice: CanonicalInvoice | CanonicalInvoiceV2): Uint8Array {
  return encodeCanonical(invoice as never);
}

/** SHA-256 of the canonical bytes: the payload hash that PREPARE binds and the record carries. */
export function invoiceHash(invoice: CanonicalInvoice | CanonicalInvoiceV2): Uint8Array {
  return sha256(encodeInvoice(invoice));
}

/** SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** Drops properties whose value is undefined, at every depth, so equal invoices compare equal. */
export function stripUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(stripUndefined) as T;
  if (value !== null && typeof value === "object" && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = stripUndefined(v);
    return out as T;
  }
  return value;
}
