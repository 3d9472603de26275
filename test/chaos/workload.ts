/**
 * Concurrent POS clients for the chaos suite. Each client sends invoices of every type (SALE, ADVANCE,
 * EXPORT, CREDIT refunds and voids against earlier sales, EXPORT_CREDIT against earlier exports), each
 * with its own Idempotency-Key, and records every attempt's outcome client side: a 2xx with its fiscal
 * number, an HTTP error with its code, or no answer at all (connection refused or reset, timeout).
 *
 * Clients behave like an impatient but correct POS: after a 5xx or no answer they retry the same key
 * with the same body a few times after a short pause (shorter than Retry-After, which makes the daemon's
 * job harder, not easier), then give up and move on; the checker later resolves every key.
 */
import type { Rng } from "./seed.js";

/** Concurrent POS clients in every scenario. */
export const POS_CLIENTS = 8;
/** Attempts per Idempotency-Key before a client gives up on it. */
export const ATTEMPTS_PER_KEY = 4;
/** Pause before retrying a key, in ms. */
export const RETRY_PAUSE_MS = 150;
/** Pause between checks for requests in flight, in ms. */
const IDLE_POLL_MS = 10;
/** How long a client waits for an answer before counting "no answer", in ms. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** What one HTTP attempt gave. */
export type Attempt =
  | { readonly kind: "ok"; readonly status: number; readonly fiscalNumber: number }
  | { readonly kind: "error"; readonly status: number; readonly code: number | null }
  | { readonly kind: "no-answer"; readonly reason: string };

/** Everything the client knows about one Idempotency-Key. */
export interface KeyOutcome {
  readonly key: string;
  readonly type: string;
  readonly attempts: Attempt[];
  /** When the first attempt started and the last one ended, ms since the epoch. */
  startedAt: number;
  endedAt: number;
}

/** A sealed original a credit note may reference, with what remains to credit (client-side estimate). */
interface Original {
  readonly fiscalNumber: number;
  /** An export: its credit notes are EXPORT_CREDITs. */
  readonly isExport: boolean;
  remaining: number;
  /** A void or a refund is in flight against it: leave it alone until that ends. */
  busy: boolean;
}

/** The shared state of one workload run. */
export interface Workload {
  readonly outcomes: KeyOutcome[];
  /** Keys issued so far (progress, for saboteurs that act at a fraction of the run). */
  issued(): number;
  /** Resolves once every client finished. */
  readonly done: Promise<void>;
  /**
   * Holds the clients before their next key until `release` resolves (requests in flight finish), so
   * a saboteur can observe a state, e.g. the status report, without the clients using up the run.
   */
  hold(release: Promise<void>): void;
  /** Resolves once no request is in flight (call while held). */
  idle(): Promise<void>;
}

/** What the workload needs to reach the daemon; the URL may change between calls (never in practice). */
export interface DaemonEndpoint {
  url(): string;
  readonly key: string;
}

const SALE_ITEM_NAME = "Sac de riz 25 kg";

function saleBody(type: "SALE" | "ADVANCE", amount: number): Record<string, unknown> {
  return {
    type,
    currency: "CDF",
    operator: { name: "Mireille Kabeya" },
    // `amount` units at 1 centime: a credit note takes any number of them back at the same unit
    // price, as the SFE's credit-note rules require (EG1.26).
    items: [{ name: SALE_ITEM_NAME, kind: "BIE", quantity: amount, unit_price: 1, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
  };
}

function exportBody(
  type: "EXPORT" | "EXPORT_CREDIT",
  amount: number,
  reference?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type,
    operator: { name: "Mireille Kabeya" },
    export: { destination_country: "ZM", customs_ref: "DECL-42" },
    items: [{ name: "Cobalt concentrate", kind: "BIE", quantity: amount, unit_price: 1, tax_group: "E" }],
    payments: [{ method: "BANK_TRANSFER", amount }],
    ...(reference ? { reference } : {}),
  };
}

function creditBody(original: Original, amount: number, nature: "RAM" | "RAN"): Record<string, unknown> {
  const reference = { nature, fiscal_number: original.fiscalNumber, reason: `chaos ${nature}` };
  return original.isExport
    ? exportBody("EXPORT_CREDIT", amount, reference)
    : { ...saleBody("SALE", amount), type: "CREDIT", reference };
}

/** One HTTP attempt, classified. */
async function attempt(endpoint: DaemonEndpoint, key: string, body: string): Promise<Attempt> {
  try {
    const res = await fetch(`${endpoint.url()}/v1/invoices`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${endpoint.key}`,
        "content-type": "application/json",
        "idempotency-key": key,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: the daemon's JSON reply, read field by field.
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // A non-JSON answer is recorded with a null code.
    }
    if (res.status >= 200 && res.status < 300) {
      return { kind: "ok", status: res.status, fiscalNumber: Number(json?.fiscal?.fiscal_number) };
    }
    return {
      kind: "error",
      status: res.status,
      code: typeof json?.error?.code === "number" ? json.error.code : null,
    };
  } catch (err) {
    return { kind: "no-answer", reason: (err as Error).cause ? String((err as Error).cause) : String(err) };
  }
}

/** True when the client should retry the same key: the daemon or the device may yet answer. */
function retryable(a: Attempt): boolean {
  if (a.kind === "no-answer") return true;
  if (a.kind === "ok") return false;
  // 507 JOURNAL_FULL: no retry helps (docs/API.md §8).
  return (a.status >= 500 && a.status !== 507) || a.code === 321;
}

/**
 * Starts `clients` POS clients that together issue `total` Idempotency-Keys. `rng` chooses every
 * invoice; `prefix` keeps keys unique across scenarios sharing nothing but a process.
 */
export function startWorkload(
  endpoint: DaemonEndpoint,
  rng: Rng,
  total: number,
  prefix: string,
  clients = POS_CLIENTS,
): Workload {
  const outcomes: KeyOutcome[] = [];
  const originals: Original[] = [];
  let issued = 0;
  let gate: Promise<void> = Promise.resolve();
  let inFlight = 0;

  /** The next invoice to send: its key, type, body and (for a credit note) the original it reserved. */
  const nextInvoice = (): {
    key: string;
    type: string;
    body: Record<string, unknown>;
    original?: Original;
  } => {
    const key = `${prefix}-${++issued}`;
    const roll = rng.next();
    const free = originals.filter((o) => !o.busy && o.remaining > 0);
    if (roll < 0.25 && free.length > 0) {
      const original = rng.pick(free);
      original.busy = true;
      const isVoid = rng.next() < 0.3;
      const amount = isVoid
        ? original.remaining
        : rng.int(1, Math.max(1, Math.floor(original.remaining / 3)));
      const body = creditBody(original, amount, isVoid ? "RAN" : "RAM");
      return { key, type: String(body.type), body, original };
    }
    if (roll < 0.4) return { key, type: "EXPORT", body: exportBody("EXPORT", rng.int(10_000, 900_000)) };
    if (roll < 0.5) return { key, type: "ADVANCE", body: saleBody("ADVANCE", rng.int(1_000, 90_000)) };
    return { key, type: "SALE", body: saleBody("SALE", rng.int(100, 250_000)) };
  };

  const client = async (): Promise<void> => {
    for (;;) {
      await gate;
      if (issued >= total) break;
      inFlight++;
      const inv = nextInvoice();
      const outcome: KeyOutcome = {
        key: inv.key,
        type: inv.type,
        attempts: [],
        startedAt: Date.now(),
        endedAt: 0,
      };
      outcomes.push(outcome);
      const body = JSON.stringify(inv.body);
      let last: Attempt;
      do {
        if (outcome.attempts.length > 0) await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        last = await attempt(endpoint, inv.key, body);
        outcome.attempts.push(last);
      } while (retryable(last) && outcome.attempts.length < ATTEMPTS_PER_KEY);
      outcome.endedAt = Date.now();
      if (inv.original) {
        inv.original.busy = false;
        if (last.kind === "ok") {
          const amount = Number((inv.body.payments as { amount: number }[])[0]!.amount);
          inv.original.remaining -= amount;
        }
      } else if (
        last.kind === "ok" &&
        (inv.type === "SALE" || inv.type === "ADVANCE" || inv.type === "EXPORT")
      ) {
        const amount = Number((inv.body.payments as { amount: number }[])[0]!.amount);
        originals.push({
          fiscalNumber: last.fiscalNumber,
          isExport: inv.type === "EXPORT",
          remaining: amount,
          busy: false,
        });
      }
      inFlight--;
    }
  };

  const done = Promise.all(Array.from({ length: clients }, client)).then(() => undefined);
  return {
    outcomes,
    issued: () => issued,
    done,
    hold: (release) => {
      gate = release;
    },
    idle: async () => {
      while (inFlight > 0) await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
    },
  };
}

/** The final attempt of a key. */
export function finalAttempt(o: KeyOutcome): Attempt {
  return o.attempts[o.attempts.length - 1]!;
}
