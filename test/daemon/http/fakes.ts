/**
 * In-memory stand-ins for the fiscal service, the key store and the status source, behaving as the
 * contract in daemon/fiscal/types.ts says (validation through the protocol's own code, idempotency,
 * the two-step states, coded FiscalErrors), so the HTTP layer is tested without a device or SQLite.
 */
import type {
  ActionResult,
  ApiKeyVerifier,
  Caller,
  CreateResult,
  InvoiceFilter,
  InvoiceOperations,
  InvoicePage,
  InvoiceState,
  InvoiceView,
  StatusReport,
  StatusSource,
} from "../../../daemon/fiscal/types.js";
import { Receipts } from "../../../daemon/receipt/receipts.js";
import type { Db } from "../../../daemon/store/database.js";
import { ReceiptPrints } from "../../../daemon/store/receipt-prints.js";
import {
  buildQrPayload,
  type CanonicalInvoiceV2,
  canonicaliseInvoiceV2,
  DGI_TYPES,
  FiscalError,
  invoiceHash,
  toHex,
} from "../../../protocol/index.js";

/** A device signing seed for the fake's QR payloads (fixed, so payloads are reproducible). */
export const FAKE_DEVICE_SEED = new Uint8Array(32).fill(7);
/** Nonce lifetime the fake reports in `commit_before`, in milliseconds. */
const FAKE_NONCE_TTL_MS = 120_000;

/** The fake daemon's SFE identity and seller. */
const FAKE_SFE = {
  isf: "ISF-FAKE-0001",
  seller: { nif: "A1234567B", name: "Boutique factice", address: "1, avenue Factice, Kinshasa" },
} as const;

/** A valid sale: 2.5 × 35.00 CDF in group B, paid in cash. */
export function saleBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    operator: { name: "Mireille Kabeya" },
    items: [{ name: "Sucre 1 kg", kind: "BIE", quantity: "2.5", unit_price: 3500, tax_group: "B" }],
    payments: [{ method: "CASH", amount: 8750 }],
    ...overrides,
  };
}

interface Entry {
  view: InvoiceView;
  hash: string;
}

/** One recorded call of the fake, to check what the HTTP layer passed on. */
export interface FakeCall {
  readonly op: string;
  readonly key?: string;
  readonly idOrKey?: string;
  readonly caller?: Caller;
  readonly filter?: InvoiceFilter;
}

/** The fiscal service, in memory. `failNext` makes the next operation throw, as a device fault would. */
export class FakeInvoiceService implements InvoiceOperations {
  readonly calls: FakeCall[] = [];
  private readonly entries: Entry[] = [];
  private readonly byKey = new Map<string, Entry>();
  private fiscalNumber = 0;
  private failure: FiscalError | Error | undefined;
  private replay = false;
  private gate: Promise<void> | undefined;

  /** The next operations wait until the returned function is called (an in-flight fiscalisation). */
  hold(): () => void {
    let release = () => {};
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  /** The next operation throws `error` (a FiscalError or, to test the 500 path, anything else). */
  failNext(error: FiscalError | Error): void {
    this.failure = error;
  }

  /** The next commit, abort or delivered answers as a repeat of an action already done. */
  replayNext(): void {
    this.replay = true;
  }

  private takeReplay(): boolean {
    const replay = this.replay;
    this.replay = false;
    return replay;
  }

  private takeFailure(): void {
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure;
  }

  private create(body: unknown, key: string, caller: Caller, sealed: boolean): CreateResult {
    this.takeFailure();
    const invoice = canonicaliseInvoiceV2(body, {
      cashierId: caller.cashierId,
      operatorName: caller.label,
      defaultClientRef: key,
      ...FAKE_SFE,
    });
    const hash = toHex(invoiceHash(invoice));
    const earlier = this.byKey.get(key);
    if (earlier) {
      if (earlier.hash !== hash) throw new FiscalError("IDEMPOTENCY_CONFLICT");
      return { invoice: earlier.view, replayed: true };
    }
    const now = new Date().toISOString();
    const base = this.viewOf(invoice, key, caller, hash, now);
    const view = sealed ? this.seal(base) : { ...base, state: "PREPARED" as const };
    const entry = { view: this.withTransition(view, view.state), hash };
    this.entries.push(entry);
    this.byKey.set(key, entry);
    return { invoice: entry.view, replayed: false };
  }

  private viewOf(
    invoice: CanonicalInvoiceV2,
    key: string,
    caller: Caller,
    hash: string,
    now: string,
  ): InvoiceView {
    return {
      id: `inv-${this.entries.length + 1}`,
      idempotency_key: key,
      client_ref: invoice.client_ref,
      type: invoice.type,
      state: "PREPARING",
      receipts: { printed: 0, duplicates: 0, last_printed_at: null },
      api_key_id: caller.apiKeyId,
      cashier_id: caller.cashierId,
      currency: invoice.currency,
      totals: invoice.totals,
      payload_hash: hash,
      created_at: now,
      transitions: [{ state: "PREPARING", at: now }],
      commit_before: new Date(Date.now() + FAKE_NONCE_TTL_MS).toISOString(),
      fiscal: null,
      error: null,
      sync: { status: "NOT_QUEUED", dgi_status: null, attempts: 0, last_error: null },
      invoice,
    };
  }

  private seal(view: InvoiceView): InvoiceView {
    this.fiscalNumber += 1;
    const issuedAt = Date.now();
    const record = {
      v: 2,
      device_id: "DEF-0001",
      fiscal_number: this.fiscalNumber,
      dgi_type: DGI_TYPES[view.type].code,
      issued_at: issuedAt,
      totals: view.totals,
      merchant_nif: FAKE_SFE.seller.nif,
    } as const;
    const authCode = "QERBKV3MA5TM53MT7KQ2M9XD";
    return {
      ...view,
      state: "FISCALIZED",
      commit_before: null,
      fiscal: {
        fiscal_number: this.fiscalNumber,
        type_number: this.fiscalNumber,
        device_id: record.device_id,
        auth_code: authCode,
        timestamp: new Date(issuedAt).toISOString(),
        qr: buildQrPayload(record, authCode, FAKE_DEVICE_SEED),
        v: 2,
        invoice_type: view.type,
        dgi_type: record.dgi_type,
        fiscal_year: new Date(issuedAt).getUTCFullYear(),
        year_number: this.fiscalNumber,
        isf: FAKE_SFE.isf,
        rn: view.client_ref,
        totals: view.totals,
        merchant_nif: record.merchant_nif,
        outlet_id: "OUTLET-1",
        fiscal_authority_id: "DGI-KIN-01",
        cashier_id: view.cashier_id,
        client_ref: view.client_ref,
        signature: "c2lnbmF0dXJl",
        record: "cmVjb3Jk",
        record_hash: "ab".repeat(32),
      },
    };
  }

  private withTransition(view: InvoiceView, state: InvoiceState): InvoiceView {
    if (view.transitions.at(-1)?.state === state) return view;
    return { ...view, state, transitions: [...view.transitions, { state, at: new Date().toISOString() }] };
  }

  private find(idOrKey: string): Entry {
    const entry = this.byKey.get(idOrKey) ?? this.entries.find((e) => e.view.id === idOrKey);
    if (!entry) throw new FiscalError("RECORD_NOT_FOUND");
    return entry;
  }

  private move(idOrKey: string, from: InvoiceState, to: InvoiceState, seal = false): InvoiceView {
    this.takeFailure();
    const entry = this.find(idOrKey);
    if (entry.view.state !== from) {
      throw new FiscalError("INVALID_STATE", `invoice is ${entry.view.state}, expected ${from}`);
    }
    entry.view = this.withTransition(
      seal ? this.seal(entry.view) : { ...entry.view, commit_before: null },
      to,
    );
    return entry.view;
  }

  async fiscalise(body: unknown, key: string, caller: Caller): Promise<CreateResult> {
    this.calls.push({ op: "fiscalise", key, caller });
    await this.gate;
    return this.create(body, key, caller, true);
  }

  async prepare(body: unknown, key: string, caller: Caller): Promise<CreateResult> {
    this.calls.push({ op: "prepare", key, caller });
    return this.create(body, key, caller, false);
  }

  async commit(idOrKey: string, caller: Caller): Promise<ActionResult> {
    this.calls.push({ op: "commit", idOrKey, caller });
    return this.act(idOrKey, "PREPARED", "FISCALIZED", true);
  }

  async abort(idOrKey: string, caller: Caller): Promise<ActionResult> {
    this.calls.push({ op: "abort", idOrKey, caller });
    return this.act(idOrKey, "PREPARED", "ABORTED");
  }

  async markDelivered(idOrKey: string, caller: Caller): Promise<ActionResult> {
    this.calls.push({ op: "markDelivered", idOrKey, caller });
    return this.act(idOrKey, "FISCALIZED", "DELIVERED");
  }

  private act(idOrKey: string, from: InvoiceState, to: InvoiceState, seal = false): ActionResult {
    if (this.takeReplay()) {
      this.takeFailure();
      return { invoice: this.find(idOrKey).view, replayed: true };
    }
    return { invoice: this.move(idOrKey, from, to, seal), replayed: false };
  }

  /** Lookup; the fake ignores the caller's scope (every test key sees every invoice). */
  get(idOrKey: string, _caller?: Caller): InvoiceView | undefined {
    this.calls.push({ op: "get", idOrKey });
    this.takeFailure();
    return (this.byKey.get(idOrKey) ?? this.entries.find((e) => e.view.id === idOrKey))?.view;
  }

  list(filter: InvoiceFilter, _caller?: Caller): InvoicePage {
    this.calls.push({ op: "list", filter });
    this.takeFailure();
    const matching = [...this.entries]
      .reverse()
      .map((e) => e.view)
      .filter(
        (v) =>
          (filter.state === undefined || v.state === filter.state) &&
          (filter.type === undefined || v.type === filter.type) &&
          (filter.cashier_id === undefined || v.cashier_id === filter.cashier_id),
      );
    const start = filter.cursor === undefined ? 0 : Number(filter.cursor);
    const items = matching.slice(start, start + filter.limit);
    const next = start + filter.limit < matching.length ? String(start + filter.limit) : null;
    return { items, next_cursor: next };
  }
}

/** API keys in memory: `key-<n>` strings, revocable. */
export class FakeKeys implements ApiKeyVerifier {
  private readonly keys = new Map<string, { caller: Caller; revoked: boolean }>();

  add(key: string, cashierId: string, revoked = false): Caller {
    const caller = { apiKeyId: `kid-${this.keys.size + 1}`, cashierId };
    this.keys.set(key, { caller, revoked });
    return caller;
  }

  verify(presentedKey: string): Caller {
    const entry = this.keys.get(presentedKey);
    if (!entry) throw new FiscalError("AUTH_INVALID");
    if (entry.revoked) throw new FiscalError("AUTH_REVOKED");
    return entry.caller;
  }
}

/** A status source with a device, two conditions, service counters and link counters. */
export class FakeStatus implements StatusSource {
  report: StatusReport = {
    status: "warning",
    version: "0.1.0-test",
    started_at: "2026-01-01T00:00:00.000Z",
    device: {
      connected: true,
      device_id: "DEF-0001",
      state: "ACTIVE",
      last_fiscal_number: 41,
      journal_used: 41,
      journal_capacity: 100_000,
    },
    conditions: [
      {
        code: "UPLOADS_PENDING",
        severity: "warning",
        message: "3 uploads pending",
        hint: "wait",
        since: "2026-01-01T00:00:00Z",
      },
      {
        code: "CLOCK_OK",
        severity: "info",
        message: "clock in sync",
        hint: "nothing to do",
        since: "2026-01-01T00:00:00Z",
      },
    ],
    counters: { outbox_pending: 3, device_queue_depth: 1 },
    link: { crc_errors: 2, retransmits: 5, timeouts: 1 },
    last_reconcile: { imported: 0, aborted: 1 },
  };

  /** When set, status() throws it (a bug in the status source: the 500 path). */
  failure: Error | undefined;

  status(): StatusReport {
    if (this.failure) throw this.failure;
    return this.report;
  }
}

/**
 * The receipt renderer. Over a store `db` (the real service's invoices), it logs copies there; without
 * one (the fake service's invoices are in no store), it numbers copies in memory.
 */
export function receiptsFor(db?: Db): Receipts {
  const copies = new Map<string, number>();
  const memory = {
    claim: (invoiceId: string) => {
      const n = (copies.get(invoiceId) ?? 0) + 1;
      copies.set(invoiceId, n);
      return n;
    },
  };
  return new Receipts({
    prints: db === undefined ? memory : new ReceiptPrints(db),
    originalCodeOf: () => undefined,
    timeZone: "Africa/Kinshasa",
  });
}
