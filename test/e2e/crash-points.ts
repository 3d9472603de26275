/**
 * What the commit crash tests need around the System harness: the POS's retry table as a pure state
 * machine, the loop that follows it over HTTP, and a System that can skip the wait for reconciliation
 * and read the device journal (through the daemon's admin channel, docs/ADMIN.md).
 *
 * The table is the one the POS is told to follow (docs/API.md §2, §3, §8), literally:
 *   no answer (refused, reset, killed)             → the same request, same key
 *   500 (but JOURNAL_CORRUPT), 502, 503, 504        → the same request, after Retry-After when present
 *   409 REQUEST_IN_PROGRESS                         → the same request, after Retry-After
 *   409 INVALID_STATE, NONCE_*, ALREADY_FISCALIZED,
 *       IDEMPOTENCY_CONFLICT; 500 JOURNAL_CORRUPT   → GET the key, then act on the state
 *   404 RECORD_NOT_FOUND                            → send the create again (same key)
 *   PREPARING, or PREPARED of a one-shot sale       → send the create again (same key)
 *   PREPARED of a two-step sale                     → commit before commit_before, else GET again
 *   ABORTED, REJECTED                               → the sale needs a NEW key
 *   FISCALIZED, DELIVERED, SYNCED                   → done
 * Anything else (a 4xx that needs a fix, a device that needs a technician) has no way on in a test:
 * the walk ends "stuck", which the tests count as a failure.
 */
import { join } from "node:path";
import { AdminClient } from "../../daemon/admin/client.js";
import { journalFromPage } from "../../daemon/admin/device-routes.js";
import { type FiscalRecord, fromHex, JOURNAL_PAGE_MAX, openSealedRecord } from "../../protocol/index.js";
import { type ApiReply, System } from "./system.js";

/** Pause before a retry the table asks for when the daemon gave no Retry-After, in ms. */
export const RETRY_PAUSE_MS = 200;
/** Pause between two GETs of a two-step invoice past its commit_before, in ms. */
export const EXPIRED_PAUSE_MS = 1_000;
/** Most requests one walk of the table may make before it counts as stuck. */
export const WALK_MAX_STEPS = 30;
/** Most keys one basket may use (the first and the new ones the table asks for). */
export const BASKET_MAX_KEYS = 3;
/** How long the daemon may take to answer /v1/health after a restart, in ms. */
const HEALTH_TIMEOUT_MS = 15_000;
/** Pause between two /v1/health polls, in ms: short, so the POS comes back the moment it listens. */
const HEALTH_POLL_MS = 10;
/** Invoices per GET /v1/invoices page (the API's largest, docs/API.md §6). */
const LIST_PAGE_MAX = 200;

/** How the POS fiscalises: one POST /v1/invoices, or prepare then commit (docs/API.md §1, §3). */
export type PosMode = "one-shot" | "two-step";
/** The requests of the table; `send` is the mode's create request (POST /v1/invoices or /prepare). */
export type PosRequest = "send" | "commit" | "get";

/** A daemon answer, reduced to what the table reads. */
export interface Answer {
  readonly status: number;
  readonly name: string | null;
  readonly state: string | null;
  readonly commitBefore: string | null;
  readonly retryAfterMs: number | null;
  readonly replayed: boolean;
  readonly fiscalNumber: number | null;
}

/** What the table tells the POS to do after an answer (or none). */
export type Move =
  | { readonly next: PosRequest; readonly afterMs: number }
  | { readonly end: "fiscalized" | "new-key" | "stuck"; readonly why: string };

/** One request of a walk: `answer` null means no answer. */
export interface Step {
  readonly key: string;
  readonly request: PosRequest;
  readonly answer: Answer | null;
  readonly move: Move;
}

const SEALED = new Set(["FISCALIZED", "DELIVERED", "SYNCED"]);
const GET_FIRST = new Set([
  "INVALID_STATE",
  "NONCE_UNKNOWN",
  "NONCE_EXPIRED",
  "NONCE_MISMATCH",
  "ALREADY_FISCALIZED",
  "IDEMPOTENCY_CONFLICT",
]);
const RETRY_STATUSES = new Set([500, 502, 503, 504]);

/** The retry table: what to do after `request` got `answer` (null: no answer), at time `now` (ms). */
export function retryTable(mode: PosMode, request: PosRequest, answer: Answer | null, now: number): Move {
  if (answer === null) return { next: request, afterMs: RETRY_PAUSE_MS };
  const { status, name } = answer;
  if (status >= 200 && status < 300 && answer.state !== null) return onState(mode, answer, now);
  if ((status === 409 && name !== null && GET_FIRST.has(name)) || name === "JOURNAL_CORRUPT")
    return { next: "get", afterMs: 0 };
  if (RETRY_STATUSES.has(status) || (status === 409 && name === "REQUEST_IN_PROGRESS"))
    return { next: request, afterMs: answer.retryAfterMs ?? RETRY_PAUSE_MS };
  if (status === 404 && name === "RECORD_NOT_FOUND") return { next: "send", afterMs: 0 };
  return { end: "stuck", why: `no row for ${request} → ${status} ${name ?? ""}` };
}

function onState(mode: PosMode, answer: Answer, now: number): Move {
  const state = answer.state!;
  if (SEALED.has(state)) return { end: "fiscalized", why: state };
  if (state === "ABORTED" || state === "REJECTED") return { end: "new-key", why: state };
  if (state === "PREPARING" || (state === "PREPARED" && mode === "one-shot"))
    return { next: "send", afterMs: RETRY_PAUSE_MS };
  if (state === "PREPARED") {
    const before = answer.commitBefore === null ? Number.NaN : Date.parse(answer.commitBefore);
    return before > now ? { next: "commit", afterMs: 0 } : { next: "get", afterMs: EXPIRED_PAUSE_MS };
  }
  return { end: "stuck", why: `unknown state ${state}` };
}

/** One sale as the POS holds it: its mode, its current key and its body. */
export interface Pos {
  readonly mode: PosMode;
  readonly key: string;
  readonly body: Record<string, unknown>;
}

/** Makes `request` for `pos`; null when no answer came (connection refused, reset, daemon killed). */
export async function ask(sys: System, pos: Pos, request: PosRequest): Promise<Answer | null> {
  const path = `/v1/invoices/${encodeURIComponent(pos.key)}`;
  let reply: ApiReply;
  try {
    if (request === "get") reply = await sys.api("GET", path);
    else if (request === "commit") reply = await sys.api("POST", `${path}/commit`);
    else {
      const route = pos.mode === "two-step" ? "/v1/invoices/prepare" : "/v1/invoices";
      reply = await sys.api("POST", route, pos.body, { "idempotency-key": pos.key });
    }
  } catch (err) {
    // fetch fails with a TypeError when the connection is refused or cut: no answer.
    if (err instanceof TypeError) return null;
    throw err;
  }
  return answerOf(reply);
}

function answerOf(reply: ApiReply): Answer {
  const body = typeof reply.body === "object" && reply.body !== null ? reply.body : {};
  const retryAfter = reply.headers.get("retry-after");
  return {
    status: reply.status,
    // A 2xx invoice has an `error` field of its own (why it was ABORTED): only an error answer has a name.
    name: reply.status >= 400 && typeof body.error?.name === "string" ? body.error.name : null,
    state: typeof body.state === "string" ? body.state : null,
    commitBefore: typeof body.commit_before === "string" ? body.commit_before : null,
    retryAfterMs: retryAfter === null ? null : Number(retryAfter) * 1_000,
    replayed: reply.headers.get("idempotent-replayed") === "true",
    fiscalNumber: typeof body.fiscal?.fiscal_number === "number" ? body.fiscal.fiscal_number : null,
  };
}

/** Follows the table for one key, starting with `first`, until it ends or WALK_MAX_STEPS. */
export async function walkRetryTable(sys: System, pos: Pos, first: PosRequest): Promise<Step[]> {
  const steps: Step[] = [];
  let request = first;
  while (steps.length < WALK_MAX_STEPS) {
    const answer = await ask(sys, pos, request);
    const move = retryTable(pos.mode, request, answer, Date.now());
    steps.push({ key: pos.key, request, answer, move });
    if ("end" in move) return steps;
    await new Promise((r) => setTimeout(r, move.afterMs));
    request = move.next;
  }
  steps.push({
    key: pos.key,
    request,
    answer: null,
    move: { end: "stuck", why: `no end after ${WALK_MAX_STEPS} requests` },
  });
  return steps;
}

/** A key the table abandoned for a new one, with the basket's records on the device at that moment. */
export interface AbandonedKey {
  readonly key: string;
  readonly sealedOnDevice: readonly number[];
}

/** How a basket ended: every step, the key it ended on, and the keys abandoned. */
export interface BasketOutcome {
  readonly steps: readonly Step[];
  readonly finalKey: string;
  readonly end: "fiscalized" | "new-key" | "stuck";
  readonly abandoned: readonly AbandonedKey[];
}

/**
 * Fiscalises one basket the way the POS does: walk the table from `first` under `pos.key`; each time it
 * asks for a new key, note what the device had sealed of the basket (`amount`) and walk again under
 * KEY2, KEY3 … from `send`, up to BASKET_MAX_KEYS keys.
 */
export async function fiscaliseBasket(
  sys: CrashSystem,
  pos: Pos,
  amount: number,
  first: PosRequest,
): Promise<BasketOutcome> {
  const steps: Step[] = [];
  const abandoned: AbandonedKey[] = [];
  let current = pos;
  let request = first;
  for (let n = 1; ; n++) {
    const walk = await walkRetryTable(sys, current, request);
    steps.push(...walk);
    const last = walk.at(-1)!.move;
    const end = "end" in last ? last.end : "stuck";
    if (end !== "new-key" || n === BASKET_MAX_KEYS) return { steps, finalKey: current.key, end, abandoned };
    const sealed = await sys.basketRecords(amount);
    abandoned.push({ key: current.key, sealedOnDevice: sealed.map((r) => r.fiscal_number) });
    current = { ...pos, key: `${pos.key}${n + 1}` };
    request = "send";
  }
}

/** Steps as one line each, for assertion messages. */
export function traceOf(steps: readonly Step[]): string {
  return steps
    .map((s) => {
      const a = s.answer;
      const seen =
        a === null
          ? "no answer"
          : `${a.status} ${a.name ?? a.state ?? ""}${a.replayed ? " (replayed)" : ""}${a.fiscalNumber === null ? "" : ` #${a.fiscalNumber}`}`;
      const then = "end" in s.move ? `END ${s.move.end} (${s.move.why})` : `→ ${s.move.next}`;
      return `${s.key} ${s.request}: ${seen} ${then}`;
    })
    .join("\n");
}

/** The System, plus what the crash tests need: restarts without the reconciliation wait, the journal. */
export class CrashSystem extends System {
  /** False: `startDaemon` returns as soon as the daemon listens, before its reconciliation has run. */
  waitForReconcile = true;

  override async waitReconciled(offset = 0, timeoutMs = 10_000): Promise<void> {
    if (this.waitForReconcile) await super.waitReconciled(offset, timeoutMs);
  }

  /** Waits for the running daemon's reconciliation, whatever `waitForReconcile` says. */
  async reconciled(): Promise<void> {
    await super.waitReconciled(0);
  }

  /** Polls GET /v1/health (no key) until it answers 200: the daemon listens. */
  async untilHealthy(): Promise<void> {
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${this.port}/v1/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (Date.now() > deadline) throw new Error("the daemon's /v1/health did not answer in time");
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  }

  /** The device's last fiscal number, from the emulator's control channel (GET /state). */
  async lastFiscalNumber(): Promise<number> {
    const state = (await this.control("GET", "/state")) as { status: { last_fiscal_number: number } };
    return state.status.last_fiscal_number;
  }

  /** Every record of the device journal, read through the daemon (JOURNAL_READ on its admin channel). */
  async deviceJournal(): Promise<FiscalRecord[]> {
    const admin = new AdminClient(join(this.daemonState, "admin.sock"));
    const publicKey = fromHex(this.emulator.ready.public_key);
    const records: FiscalRecord[] = [];
    let from: number | null = 1;
    while (from !== null) {
      const page = journalFromPage(await admin.deviceJournal(from, JOURNAL_PAGE_MAX));
      records.push(...page.entries.map((e) => openSealedRecord(e, publicKey)));
      from = page.entries.length === 0 ? null : page.next;
    }
    return records;
  }

  /** The journal's records of the basket: a sale of `amount` CDF, each test's amount being unique. */
  async basketRecords(amount: number): Promise<FiscalRecord[]> {
    return (await this.deviceJournal()).filter((r) => r.currency === "CDF" && r.totals.total === amount);
  }

  /** Every invoice the daemon lists (all pages, newest first). */
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field by the tests.
  async allInvoices(): Promise<any[]> {
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const limit = `limit=${LIST_PAGE_MAX}`;
      const query = cursor === null ? limit : `${limit}&cursor=${encodeURIComponent(cursor)}`;
      const page = await this.api("GET", `/v1/invoices?${query}`);
      if (page.status !== 200)
        throw new Error(`GET /v1/invoices: ${page.status} ${JSON.stringify(page.body)}`);
      items.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    return items;
  }
}
