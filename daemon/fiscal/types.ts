/**
 * The contract between the fiscal service and its callers (the HTTP API, the CLI's admin channel):
 * what an invoice looks like from outside, and the operations on it. The HTTP layer depends on these
 * interfaces only, so it is tested with `inject()` against any implementation.
 */

import type { Lang } from "../../protocol/i18n/index.js";
import type {
  CanonicalInvoice,
  CanonicalInvoiceV2,
  InvoiceTotals,
  InvoiceTotalsV2,
  InvoiceTypeV2,
} from "../../protocol/index.js";
import type { ReceiptSummary } from "../store/receipt-prints.js";

/** An invoice type: the version-2 list, which contains every version-1 type. */
export type InvoiceType = InvoiceTypeV2;
/** Totals of either canonical invoice version. */
export type AnyInvoiceTotals = InvoiceTotals | InvoiceTotalsV2;

/** Lifecycle states, in order, plus the two terminal failures (docs/API.md §States). */
export const INVOICE_STATES = [
  "PREPARING",
  "PREPARED",
  "FISCALIZED",
  "DELIVERED",
  "SYNCED",
  "ABORTED",
  "REJECTED",
] as const;
export type InvoiceState = (typeof INVOICE_STATES)[number];

/** Upload state of a sealed invoice towards the Stalela Cloud. */
export const SYNC_STATUSES = ["NOT_QUEUED", "PENDING", "ACKED", "FAILED"] as const;
export type SyncStatus = (typeof SYNC_STATUSES)[number];

/** Who is calling: resolved from the API key. Both ids go onto every record. */
export interface Caller {
  readonly apiKeyId: string;
  readonly cashierId: string;
  /** The key's label: the operator's name on an invoice whose POS gave none (docs/API.md §3.1). */
  readonly label?: string;
}

/** The sealed response a POS prints: the DEF's security elements plus the identifiers. */
export interface FiscalResponse {
  readonly fiscal_number: number;
  readonly type_number: number;
  readonly device_id: string;
  readonly auth_code: string;
  /** Device time of sealing, ISO 8601 UTC with milliseconds. */
  readonly timestamp: string;
  readonly qr: string;
  /** The record's version: 2 for what the device seals now, 1 for records sealed before. */
  readonly v: 1 | 2;
  readonly invoice_type: InvoiceType;
  /** The DGI's type code (FV FT FA EV ET EA); null on a version-1 record. */
  readonly dgi_type: string | null;
  /** The fiscal year and the invoice's number within it (SFE §1.2 k); null on a version-1 record. */
  readonly fiscal_year: number | null;
  readonly year_number: number | null;
  /** The SFE identifier and the POS's own invoice number; null on a version-1 record. */
  readonly isf: string | null;
  readonly rn: string | null;
  readonly totals: AnyInvoiceTotals;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
  readonly cashier_id: string;
  readonly client_ref: string;
  /** base64url of the device's Ed25519 signature over `record`. */
  readonly signature: string;
  /** base64url of the signed record bytes (canonical CBOR), for offline verification. */
  readonly record: string;
  /** hex SHA-256 of the record bytes (the journal chain hash). */
  readonly record_hash: string;
}

/** A state change, as recorded. */
export interface Transition {
  readonly state: InvoiceState;
  readonly at: string;
  readonly note?: string;
}

/** The error that ended an ABORTED or REJECTED invoice. */
export interface InvoiceError {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

/** An invoice as the API shows it. */
export interface InvoiceView {
  readonly id: string;
  readonly idempotency_key: string | null;
  readonly client_ref: string;
  readonly type: InvoiceType;
  readonly state: InvoiceState;
  readonly api_key_id: string | null;
  readonly cashier_id: string;
  readonly currency: string;
  readonly totals: AnyInvoiceTotals;
  /** hex SHA-256 of the canonical invoice. */
  readonly payload_hash: string;
  readonly created_at: string;
  readonly transitions: readonly Transition[];
  /** Two-step mode: when the device's nonce expires (PREPARED only). */
  readonly commit_before: string | null;
  readonly fiscal: FiscalResponse | null;
  readonly error: InvoiceError | null;
  readonly sync: {
    readonly status: SyncStatus;
    readonly dgi_status: string | null;
    readonly attempts: number;
    readonly last_error: string | null;
  };
  /** Printed receipts: the original, then every DUPLICATA (docs/RECEIPTS.md §3). */
  readonly receipts: ReceiptSummary;
  /** The canonical invoice; null for a record imported from the device journal without its payload. */
  readonly invoice: CanonicalInvoice | CanonicalInvoiceV2 | null;
}

/** Result of a create call: the invoice and whether it is a replay of an earlier request. */
export interface CreateResult {
  readonly invoice: InvoiceView;
  readonly replayed: boolean;
}

/** Result of commit, abort or delivered: the invoice, and whether the request had been done before. */
export interface ActionResult {
  readonly invoice: InvoiceView;
  readonly replayed: boolean;
}

/** Filters of the invoice list; `cursor` comes from the previous page. */
export interface InvoiceFilter {
  readonly state?: InvoiceState;
  readonly type?: InvoiceType;
  readonly cashier_id?: string;
  /** ISO 8601, inclusive, on created_at. */
  readonly from?: string;
  /** ISO 8601, exclusive, on created_at. */
  readonly to?: string;
  readonly cursor?: string;
  readonly limit: number;
}

/** One page of invoices, newest first. */
export interface InvoicePage {
  readonly items: readonly InvoiceView[];
  readonly next_cursor: string | null;
}

/**
 * The operations on invoices. Every method throws FiscalError with a code from the shared table;
 * `idOrKey` accepts an invoice id or the Idempotency-Key it was created with, in the caller's scope
 * (its own API key's invoices, and the journal imports no key owns).
 */
export interface InvoiceOperations {
  /** One-shot: validate, PREPARE and COMMIT. Replays return the original result. */
  fiscalise(body: unknown, idempotencyKey: string, caller: Caller): Promise<CreateResult>;
  /** Two-step, first half: validate and PREPARE; the invoice waits in PREPARED until commit or abort. */
  prepare(body: unknown, idempotencyKey: string, caller: Caller): Promise<CreateResult>;
  /** Two-step, second half; a repeat of a sealing commit is a replay. */
  commit(idOrKey: string, caller: Caller): Promise<ActionResult>;
  /** Two-step: give up a PREPARED invoice; a repeat is a replay. */
  abort(idOrKey: string, caller: Caller): Promise<ActionResult>;
  /** The receipt was printed and handed over; a repeat is a replay. */
  markDelivered(idOrKey: string, caller: Caller): Promise<ActionResult>;
  /** Lookup by id or Idempotency-Key; undefined when unknown. Without a caller: every invoice. */
  get(idOrKey: string, caller?: Caller): InvoiceView | undefined;
  /** Newest first, keyset-paginated; with a caller, only what it may see. */
  list(filter: InvoiceFilter, caller?: Caller): InvoicePage;
}

/** Resolves a presented API key; throws AUTH_INVALID or AUTH_REVOKED. Compares in constant time. */
export interface ApiKeyVerifier {
  verify(presentedKey: string): Caller;
}

/** Severity of a status condition. */
export type Severity = "info" | "warning" | "error";

/**
 * A condition as its source raises it: the code and the values its texts take. The words come from
 * the catalogues (`condition.<CODE>.message` and `.hint`, protocol/i18n/), in the reader's language,
 * only when a person is shown it (daemon/conditions.ts).
 */
export interface RaisedCondition {
  readonly code: string;
  readonly severity: Severity;
  readonly params?: Readonly<Record<string, string | number>>;
  readonly since: string;
}

/** One condition in /v1/status, e.g. `{ code: "DEVICE_MISSING", severity: "error", … }`. */
export interface StatusCondition {
  readonly code: string;
  readonly severity: Severity;
  /** What is wrong, in the reader's language. */
  readonly message: string;
  /** What to do about it, in the reader's language. */
  readonly hint: string;
  readonly since: string;
}

/** The whole status report; built from in-memory state, never by scanning tables. */
export interface StatusReport {
  readonly status: Severity | "ok";
  readonly version: string;
  readonly started_at: string;
  readonly device: {
    readonly connected: boolean;
    readonly device_id: string | null;
    readonly state: string | null;
    readonly last_fiscal_number: number | null;
    readonly journal_used: number | null;
    readonly journal_capacity: number | null;
  };
  readonly conditions: readonly StatusCondition[];
  readonly counters: Readonly<Record<string, number>>;
  readonly link: Readonly<Record<string, number>>;
  readonly last_reconcile: Readonly<Record<string, unknown>> | null;
}

/** Supplies the status report in O(1). */
export interface StatusSource {
  /** The report, its conditions worded in `lang` (French by default). */
  status(lang?: Lang): StatusReport;
}
