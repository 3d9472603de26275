/**
 * From what a POS sends to the canonical invoice version 2 the device seals, and back again for the
 * device's own check (docs/PROTOCOL.md §7). As in version 1 (canonical.ts), one function holds every
 * business rule (`canonicaliseInvoiceV2`): the DEF re-runs it on what it receives and insists on the
 * same bytes, so the daemon and the DEF cannot disagree.
 */
import { encodeCanonical } from "../cbor.js";
import { ERRORS, type FieldIssue, FiscalError } from "../errors.js";
import { compileChecker } from "../schema-issues.js";
import { encodeInvoice, formatQuantity, stripUndefined } from "./canonical.js";
import {
  canonicalClientAndComments,
  canonicalItems,
  canonicalPayments,
  checkReference,
  type FxReference,
  formatRateE4,
  IssueList,
  invalid,
  optionalText,
  text,
} from "./rules-v2.js";
import { MAX_INVOICE_BYTES, REF_PATTERN } from "./schema.js";
import {
  type CanonicalInvoiceV2,
  CanonicalInvoiceV2Schema,
  type PosInvoiceV2,
  PosInvoiceV2Schema,
  type Seller,
} from "./schema-v2.js";
import { DGI_TYPES, EXPORT_TYPES_V2, TAX_TABLE_V2 } from "./tables-v2.js";
import { computeTotalsV2 } from "./totals-v2.js";
import { illFormedTextIssues, isWellFormedText } from "./unicode.js";

export { type FxCurrency, type FxReference, formatRateE4, rateE4Of } from "./rules-v2.js";

/** What the daemon adds to a POS invoice: who issued it, the SFE identity, and the reference rates. */
export interface InvoiceContextV2 {
  /** The API key's cashier id: `operator.id`. */
  readonly cashierId: string;
  /** The API key's label: `operator.name` when the POS sends none. */
  readonly operatorName?: string;
  /** Used as `client_ref` when the POS did not send one (the daemon passes the Idempotency-Key). */
  readonly defaultClientRef?: string;
  /** The SFE identifier the DGI assigned (config). */
  readonly isf: string;
  /** The seller: NIF from the activation, the rest from the config. */
  readonly seller: Seller;
  /**
   * Reference exchange rates (rate × 10^4, CDF per unit) and the allowed gap in basis points. Absent
   * on the device, which has no rate source and so does not check the rate (the daemon does).
   */
  readonly fx?: FxReference;
}

const posChecker = compileChecker(PosInvoiceV2Schema);
const canonicalChecker = compileChecker(CanonicalInvoiceV2Schema);
const refPattern = new RegExp(REF_PATTERN);

/** Gives a schema complaint about a tax slot or the currency its own, more telling, code. */
function specificIssue(issue: FieldIssue): FieldIssue {
  if (issue.code !== ERRORS.FIELD_TYPE.code) return issue;
  if (/^\/items\/\d+\/tax_group$/.test(issue.path)) {
    return { ...issue, code: ERRORS.TAX_GROUP_UNKNOWN.code, message: "must be one of the tax slots A to P" };
  }
  if (issue.path === "/currency") {
    return { ...issue, code: ERRORS.CURRENCY_UNSUPPORTED.code, message: "must be CDF, the base currency" };
  }
  return issue;
}

/**
 * Validates a POS invoice (version 2) and returns its canonical form with computed totals. Throws
 * INVOICE_INVALID whose details list every issue found (schema issues first; business rules once the
 * shape is right), or INVOICE_TOO_LARGE when the canonical CBOR exceeds MAX_INVOICE_BYTES.
 */
export function canonicaliseInvoiceV2(input: unknown, ctx: InvoiceContextV2): CanonicalInvoiceV2 {
  // As in version 1: ill-formed text is a shape issue, reported first and instead of the schema's.
  const textIssues = isWellFormedText(input) ? [] : illFormedTextIssues(input);
  const textPaths = new Set(textIssues.map((issue) => issue.path));
  const schemaIssues = posChecker
    .issues(input)
    .map(specificIssue)
    .filter((issue) => !textPaths.has(issue.path));
  if (textIssues.length + schemaIssues.length > 0) throw invalid([...textIssues, ...schemaIssues]);
  const pos = input as PosInvoiceV2;
  const issues = new IssueList();
  const clientRef = pos.client_ref ?? ctx.defaultClientRef;
  if (clientRef === undefined) issues.add("/client_ref", "FIELD_REQUIRED", "is required");
  else if (!refPattern.test(clientRef)) issues.add("/client_ref", "FIELD_TYPE", `must match ${REF_PATTERN}`);
  const operatorName = pos.operator?.name ?? ctx.operatorName;
  if (operatorName === undefined)
    issues.add("/operator/name", "FIELD_REQUIRED", "is required when the API key has no label");
  const isExport = EXPORT_TYPES_V2.has(pos.type);
  if (isExport && pos.export === undefined)
    issues.add("/export", "FIELD_REQUIRED", "export invoices give the destination country");
  if (!isExport && pos.export !== undefined)
    issues.add("/export", "FIELD_UNKNOWN", "only export invoices carry export details");
  checkReference(pos, issues);
  const items = canonicalItems(pos, issues);
  const { client, comments } = canonicalClientAndComments(pos, issues);
  const seller: Seller = {
    nif: ctx.seller.nif,
    name: text(ctx.seller.name, "/seller/name", issues),
    address: text(ctx.seller.address, "/seller/address", issues),
    head_office: optionalText(ctx.seller.head_office, "/seller/head_office", issues),
    phone: optionalText(ctx.seller.phone, "/seller/phone", issues),
    email: optionalText(ctx.seller.email, "/seller/email", issues),
  };
  const reference = pos.reference && {
    ...pos.reference,
    reason: text(pos.reference.reason, "/reference/reason", issues),
  };
  issues.throwIfAny();

  const priceMode = pos.price_mode ?? "TTC";
  const totals = computeTotalsV2(
    items.map((item) => ({
      group: item.tax_group,
      amount: item.amount,
      specific_tax_amount: item.specific_tax_amount,
    })),
    priceMode,
  );
  const payments = canonicalPayments(pos, totals.total, ctx.fx, issues);
  if (pos.expected_total !== undefined && pos.expected_total !== totals.total) {
    issues.add(
      "/expected_total",
      "TOTALS_MISMATCH",
      `is ${pos.expected_total} but the items sum to ${totals.total}`,
    );
  }
  const canonical = stripUndefined<CanonicalInvoiceV2>({
    v: 2,
    type: pos.type,
    dgi_type: DGI_TYPES[pos.type].code as CanonicalInvoiceV2["dgi_type"],
    client_ref: clientRef ?? "",
    rn: pos.rn ?? clientRef ?? "",
    isf: ctx.isf,
    seller,
    operator: {
      id: ctx.cashierId,
      name: operatorName === undefined ? "" : text(operatorName, "/operator/name", issues),
    },
    price_mode: priceMode,
    currency: "CDF",
    client,
    items,
    payments,
    reference,
    export: pos.export && { ...pos.export },
    comments,
    tax_table: TAX_TABLE_V2.version,
    totals,
  });
  issues.throwIfAny();
  // What the context brought (isf, seller, cashier id, the key's label) meets the sealed schema too.
  const contextIssues = canonicalChecker.issues(canonical);
  if (contextIssues.length > 0) throw invalid(contextIssues);
  const size = encodeInvoice(canonical).length;
  if (size > MAX_INVOICE_BYTES) {
    throw new FiscalError(
      "INVOICE_TOO_LARGE",
      `canonical invoice is ${size} bytes, the limit is ${MAX_INVOICE_BYTES}`,
    );
  }
  return canonical;
}

/** The POS-shaped invoice a canonical invoice version 2 was made from (amounts and totals dropped). */
export function posInvoiceOfV2(invoice: CanonicalInvoiceV2): PosInvoiceV2 {
  return stripUndefined<PosInvoiceV2>({
    type: invoice.type,
    client_ref: invoice.client_ref,
    rn: invoice.rn,
    price_mode: invoice.price_mode,
    currency: invoice.currency,
    operator: { name: invoice.operator.name },
    client: invoice.client,
    items: invoice.items.map((i) => ({
      code: i.code,
      name: i.name,
      kind: i.kind,
      quantity: formatQuantity(i.quantity_milli),
      unit_price: i.unit_price,
      tax_group: i.tax_group,
      specific_tax: i.specific_tax,
      original_price: i.original_price,
      price_change: i.price_change,
    })),
    payments: invoice.payments.map((p) => ({
      method: p.method,
      amount: p.amount,
      foreign: p.foreign && {
        currency: p.foreign.currency,
        amount: p.foreign.amount,
        rate: formatRateE4(p.foreign.rate_e4),
        rate_date: p.foreign.rate_date,
      },
    })),
    reference: invoice.reference,
    export: invoice.export,
    comments: invoice.comments,
  });
}

/**
 * The device-side (and verifier-side) check of a received canonical invoice version 2: the shape,
 * the tax table version, the DGI type code, every business rule, and that recomputing from the POS
 * form with the invoice's own identifiers (isf, seller, operator, client_ref; no reference rates)
 * gives the same bytes. Throws INVOICE_INVALID (TOTALS_MISMATCH when amounts or totals differ).
 */
export function validateCanonicalInvoiceV2(value: unknown): CanonicalInvoiceV2 {
  const schemaIssues = canonicalChecker.issues(value).map(specificIssue);
  if (schemaIssues.length > 0) throw invalid(schemaIssues);
  const invoice = value as CanonicalInvoiceV2;
  if (invoice.tax_table !== TAX_TABLE_V2.version) {
    throw invalid([
      {
        path: "/tax_table",
        code: ERRORS.TOTALS_MISMATCH.code,
        message: `is ${invoice.tax_table}, but version 2 invoices are computed with ${TAX_TABLE_V2.version}`,
      },
    ]);
  }
  const dgiType = DGI_TYPES[invoice.type].code;
  if (invoice.dgi_type !== dgiType) {
    throw invalid([
      { path: "/dgi_type", code: ERRORS.FIELD_RANGE.code, message: `must be ${dgiType} for ${invoice.type}` },
    ]);
  }
  const rebuilt = canonicaliseInvoiceV2(posInvoiceOfV2(invoice), {
    cashierId: invoice.operator.id,
    operatorName: invoice.operator.name,
    defaultClientRef: invoice.client_ref,
    isf: invoice.isf,
    seller: invoice.seller,
  });
  if (Buffer.compare(encodeInvoice(rebuilt), encodeInvoice(invoice)) !== 0) {
    const totalsDiffer =
      Buffer.compare(encodeCanonical(rebuilt.totals), encodeCanonical(invoice.totals)) !== 0 ||
      rebuilt.items.some(
        (item, i) =>
          item.amount !== invoice.items[i]?.amount ||
          item.specific_tax_amount !== invoice.items[i]?.specific_tax_amount,
      );
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
