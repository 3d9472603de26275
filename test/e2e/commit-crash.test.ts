/**
 * Crash safety of the COMMIT, end to end (issue 13 §0): the daemon process is SIGKILLed at each instant
 * between "the COMMIT is about to be transmitted" and "its answer is stored", in both modes, then
 * restarted; the POS follows its retry table (crash-points.ts) literally. Whatever the instant:
 *   (a) the basket ends with exactly one sealed record on the device, and the POS's key resolves to
 *       FISCALIZED with that record's fiscal number;
 *   (b) the table never sends the POS to a new key for a basket the device has sealed (that is the
 *       double fiscalisation: one basket, two fiscal numbers);
 *   (c) no invoice without an Idempotency-Key is imported beside the POS's for that basket;
 *   (d) once the device has sealed, every 2xx a retried POST gets is a replay (Idempotent-Replayed).
 * The instants: (1) STALELA_CRASH_POINT=before-commit; (2) the COMMIT sealed, its reply held by the
 * emulator's delay_ms fault, the daemon killed from here during the delay; (3) STALELA_CRASH_POINT=
 * after-commit; (4) as (2), the POS retrying (or GETting) as soon as /v1/health answers, before the
 * restarted daemon's reconciliation could run.
 * A basket is told apart by its amount (unique per case), never by client_ref: the daemon derives the
 * default client_ref from the key, so a basket sealed again under a new key has another client_ref.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type Answer,
  ask,
  CrashSystem,
  EXPIRED_PAUSE_MS,
  fiscaliseBasket,
  type Move,
  type Pos,
  type PosMode,
  type PosRequest,
  RETRY_PAUSE_MS,
  retryTable,
  traceOf,
} from "./crash-points.js";
import { sale } from "./system.js";

/** How long the emulator holds every reply in the held-reply cases, in ms (docs/EMULATOR.md §4). */
const HELD_REPLY_MS = 2_000;
/** How long the device may take to seal once the request is sent, in ms (it includes a held PREPARE). */
const SEAL_TIMEOUT_MS = 15_000;
/** Pause between two polls of the emulator's state while the device holds its reply, in ms. */
const SEAL_POLL_MS = 5;
/** One case runs two processes, a crash, a restart and the table walk: a hung case fails after this. */
const CASE_TIMEOUT_MS = 120_000;

/** How the daemon dies: a STALELA_CRASH_POINT, or a SIGKILL from here while the device holds its reply. */
type Crash = "before-commit" | "after-commit" | "held-reply";

interface CrashCase {
  readonly title: string;
  readonly crash: Crash;
  /** `reconciled`: the POS comes back once the restarted daemon has reconciled; `health`: at once. */
  readonly restart: "reconciled" | "health";
  /** The POS's first request after the restart: the lost one again (the table's "no answer"), or a GET. */
  readonly first: "retry" | "get";
}

const CASES: readonly CrashCase[] = [
  {
    title: "(1) STALELA_CRASH_POINT=before-commit: PREPARED stored, COMMIT about to be sent",
    crash: "before-commit",
    restart: "reconciled",
    first: "retry",
  },
  {
    title: "(2) COMMIT sealed, its reply held by delay_ms, the daemon SIGKILLed during the delay",
    crash: "held-reply",
    restart: "reconciled",
    first: "retry",
  },
  {
    title: "(3) STALELA_CRASH_POINT=after-commit: sealed and answered, not stored",
    crash: "after-commit",
    restart: "reconciled",
    first: "retry",
  },
  {
    title: "(4) as (2), the POS retrying as soon as /v1/health answers",
    crash: "held-reply",
    restart: "health",
    first: "retry",
  },
  {
    title: "(4') as (2), the POS GETting its key first as soon as /v1/health answers",
    crash: "held-reply",
    restart: "health",
    first: "get",
  },
];

const MODES: readonly PosMode[] = ["two-step", "one-shot"];

let sys: CrashSystem | undefined;
afterEach(async () => {
  await sys?.stop();
  sys = undefined;
});

/** Resolves when `check` holds; throws after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, SEAL_POLL_MS));
  }
}

/**
 * Sends the POS's `request` and kills the daemon at the case's instant; checks that the POS got no
 * answer and that the daemon died by SIGKILL. Returns how many records the device sealed meanwhile.
 */
async function crashDuring(s: CrashSystem, pos: Pos, request: PosRequest, crash: Crash): Promise<number> {
  const before = await s.lastFiscalNumber();
  if (crash === "held-reply") {
    await s.control("PUT", "/faults", { delay_ms: HELD_REPLY_MS });
    const lost = ask(s, pos, request);
    await until("the device to seal", async () => (await s.lastFiscalNumber()) > before, SEAL_TIMEOUT_MS);
    await s.killDaemon();
    // The held reply still goes out when its delay ends; later replies are not slowed.
    await s.control("POST", "/faults/reset");
    expect(await lost, "the POS gets no answer from a killed daemon").toBeNull();
  } else {
    const lost = await ask(s, pos, request);
    expect(lost, `STALELA_CRASH_POINT=${crash} kills the daemon before it answers`).toBeNull();
  }
  const { signal } = await s.daemon.exited;
  expect(signal).toBe("SIGKILL");
  return (await s.lastFiscalNumber()) - before;
}

describe.each(MODES)("a daemon killed around the COMMIT of a %s sale", (mode) => {
  it.each(CASES.map((c, i) => ({ ...c, amount: 31_000 + 100 * i + (mode === "one-shot" ? 10 : 0) })))(
    "$title",
    async (c) => {
      const s = new CrashSystem();
      sys = s;
      const daemonEnv: Record<string, string> =
        c.crash === "held-reply" ? {} : { STALELA_CRASH_POINT: c.crash };
      await s.start({ daemonEnv });
      const pos: Pos = { mode, key: "TILL1-E", body: sale(c.amount) };
      const lostRequest: PosRequest = mode === "two-step" ? "commit" : "send";
      if (mode === "two-step") {
        const prepared = await ask(s, pos, "send");
        expect(prepared?.status).toBe(201);
        expect(prepared?.state).toBe("PREPARED");
      }

      const sealedAtCrash = await crashDuring(s, pos, lostRequest, c.crash);
      // before-commit: nothing reached the device; every other instant is after the seal.
      expect(sealedAtCrash).toBe(c.crash === "before-commit" ? 0 : 1);

      // The restart carries no crash point (System.start passed it to the first start only).
      s.waitForReconcile = c.restart === "reconciled";
      await s.startDaemon();
      if (c.restart === "health") await s.untilHealthy();
      const outcome = await fiscaliseBasket(s, pos, c.amount, c.first === "get" ? "get" : lostRequest);
      await s.reconciled();

      const trace = traceOf(outcome.steps);
      const records = await s.basketRecords(c.amount);
      const final = await s.api("GET", `/v1/invoices/${encodeURIComponent(outcome.finalKey)}`);
      const basket = (await s.allInvoices()).filter((inv) => inv.totals?.total === c.amount);
      const listed = basket.map((inv) => `${inv.idempotency_key ?? "(no key)"} ${inv.state}`).join(", ");

      // (a) one sealed record, and the POS's key resolves to it.
      expect.soft(outcome.end, `the walk:\n${trace}`).toBe("fiscalized");
      expect
        .soft(
          records.map((r) => r.fiscal_number),
          `the basket's records on the device; the walk:\n${trace}`,
        )
        .toHaveLength(1);
      expect.soft(final.body.state, `GET ${outcome.finalKey}`).toBe("FISCALIZED");
      expect
        .soft(final.body.fiscal?.fiscal_number, `GET ${outcome.finalKey}: its fiscal number`)
        .toBe(records[0]?.fiscal_number);

      // (b) never a new key for a basket the device holds.
      expect
        .soft(
          outcome.abandoned.filter((k) => k.sealedOnDevice.length > 0),
          `keys abandoned while the device held the basket; the walk:\n${trace}`,
        )
        .toEqual([]);
      if (sealedAtCrash > 0) expect.soft(outcome.finalKey, "the key the basket ends on").toBe(pos.key);

      // (c) nothing imported beside the POS's invoice (an attempt ended unsealed may stay listed).
      expect
        .soft(
          basket
            .filter((inv) => inv.fiscal !== null && inv.idempotency_key === null)
            .map((inv) => inv.fiscal.fiscal_number),
          `sealed invoices of the basket without an Idempotency-Key (listed: ${listed})`,
        )
        .toEqual([]);
      expect
        .soft(
          basket.filter((inv) => inv.fiscal !== null).map((inv) => inv.idempotency_key),
          `sealed invoices of the basket (listed: ${listed})`,
        )
        .toEqual([outcome.finalKey]);

      // (d) after the seal, a retried POST that succeeds is a replay of it.
      if (sealedAtCrash > 0) {
        const fresh = outcome.steps.filter(
          (st) =>
            st.request !== "get" &&
            st.answer !== null &&
            st.answer.status >= 200 &&
            st.answer.status < 300 &&
            !st.answer.replayed,
        );
        expect.soft(traceOf(fresh), `2xx answers without Idempotent-Replayed; the walk:\n${trace}`).toBe("");
      }
    },
    CASE_TIMEOUT_MS,
  );
});

/** An answer with only what a row of the table reads. */
function answer(status: number, fields: Partial<Answer> = {}): Answer {
  const none = { name: null, state: null, commitBefore: null, retryAfterMs: null, fiscalNumber: null };
  return { status, replayed: false, ...none, ...fields };
}

describe("the retry table the walks follow (docs/API.md §8)", () => {
  const now = Date.parse("2026-03-02T10:15:00.000Z");
  const later = "2026-03-02T10:17:00.000Z";
  const earlier = "2026-03-02T10:14:00.000Z";
  const BUSY = answer(503, { name: "DEVICE_BUSY", retryAfterMs: 1_000 });
  const IN_PROGRESS = answer(409, { name: "REQUEST_IN_PROGRESS", retryAfterMs: 1_000 });
  const rows: [string, PosMode, PosRequest, Answer | null, Move][] = [
    ["no answer: the same request", "two-step", "commit", null, { next: "commit", afterMs: RETRY_PAUSE_MS }],
    ["503: the same request after Retry-After", "one-shot", "send", BUSY, { next: "send", afterMs: 1_000 }],
    ["504: the same request", "two-step", "commit", answer(504), { next: "commit", afterMs: RETRY_PAUSE_MS }],
    [
      "409 REQUEST_IN_PROGRESS: after Retry-After",
      "one-shot",
      "send",
      IN_PROGRESS,
      { next: "send", afterMs: 1_000 },
    ],
    [
      "409 NONCE_UNKNOWN: GET first",
      "two-step",
      "commit",
      answer(409, { name: "NONCE_UNKNOWN" }),
      { next: "get", afterMs: 0 },
    ],
    [
      "409 ALREADY_FISCALIZED: GET first",
      "one-shot",
      "send",
      answer(409, { name: "ALREADY_FISCALIZED" }),
      { next: "get", afterMs: 0 },
    ],
    [
      "GET 404: send again",
      "two-step",
      "get",
      answer(404, { name: "RECORD_NOT_FOUND" }),
      { next: "send", afterMs: 0 },
    ],
    [
      "PREPARED one-shot: send again",
      "one-shot",
      "get",
      answer(200, { state: "PREPARED" }),
      { next: "send", afterMs: RETRY_PAUSE_MS },
    ],
    [
      "PREPARED two-step, in time: commit",
      "two-step",
      "get",
      answer(200, { state: "PREPARED", commitBefore: later }),
      { next: "commit", afterMs: 0 },
    ],
    [
      "PREPARED two-step, too late: GET again",
      "two-step",
      "get",
      answer(200, { state: "PREPARED", commitBefore: earlier }),
      { next: "get", afterMs: EXPIRED_PAUSE_MS },
    ],
    [
      "ABORTED: a new key",
      "two-step",
      "get",
      answer(200, { state: "ABORTED" }),
      { end: "new-key", why: "ABORTED" },
    ],
    [
      "FISCALIZED: done",
      "one-shot",
      "send",
      answer(201, { state: "FISCALIZED" }),
      { end: "fiscalized", why: "FISCALIZED" },
    ],
    [
      "422: no row, stuck",
      "one-shot",
      "send",
      answer(422, { name: "INVOICE_INVALID" }),
      { end: "stuck", why: "no row for send → 422 INVOICE_INVALID" },
    ],
  ];
  it.each(rows)("%s", (_row, mode, request, seen, move) => {
    expect(retryTable(mode, request, seen, now)).toEqual(move);
  });
});
