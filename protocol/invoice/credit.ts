/**
 * Credit notes against their original: the rules both the DEF (from its journal) and the daemon
 * (from its store) apply, written once. A void reverses all that remains of the original; a refund
 * reverses part of it; together the credits never exceed the original.
 */
import { ERRORS, type ErrorName, FiscalError } from "../errors.js";
import type { CanonicalInvoice } from "./schema.js";
import { CREDITABLE_TYPES, type InvoiceType } from "./tables.js";

/** What the checker needs to know of the referenced original. */
export interface CreditableOriginal {
  readonly invoiceType: InvoiceType;
  readonly total: number;
  readonly currency: string;
  /** Sum of the totals of credit notes already sealed against it. */
  readonly credited: number;
}

/**
 * Checks a credit note against its original. `original` is undefined when the issuer does not know
 * the referenced fiscal number. Throws a coded FiscalError naming `/reference`.
 */
export function checkCreditAgainstOriginal(
  invoice: CanonicalInvoice,
  original: CreditableOriginal | undefined,
): void {
  const reference = invoice.reference;
  if (reference === undefined) return;
  if (original === undefined) {
    throw referenceError(
      "REFERENCE_NOT_FOUND",
      `fiscal number ${reference.fiscal_number} is unknown to this outlet`,
    );
  }
  const allowed = CREDITABLE_TYPES[invoice.type as "CREDIT" | "EXPORT_CREDIT"];
  if (!allowed.includes(original.invoiceType)) {
    throw referenceError(
      "REFERENCE_TYPE_MISMATCH",
      `a ${invoice.type} must reference ${allowed.join(" or ")}, not ${original.invoiceType}`,
    );
  }
  if (original.currency !== invoice.currency) {
    throw referenceError(
      "CURRENCY_MISMATCH",
      `the original is in ${original.currency}, the credit in ${invoice.currency}`,
    );
  }
  const remaining = original.total - original.credited;
  if (invoice.totals.total > remaining) {
    throw referenceError(
      "CREDIT_EXCEEDS_ORIGINAL",
      `credit of ${invoice.totals.total} exceeds the ${remaining} that remains`,
    );
  }
  if (reference.kind === "VOID" && invoice.totals.total !== remaining) {
    throw referenceError(
      "VOID_NOT_FULL",
      `a void must reverse the whole ${remaining} that remains, not ${invoice.totals.total}`,
    );
  }
}

function referenceError(name: ErrorName, message: string): FiscalError {
  return new FiscalError(name, message, {
    issues: [{ path: "/reference/fiscal_number", code: ERRORS[name].code, message }],
  });
}
