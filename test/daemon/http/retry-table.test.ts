/**
 * Walks docs/API.md §8 "What to do after each answer" row by row. First the table itself: every row
 * names one of the three actions, its codes, names, HTTP status and class agree with protocol/errors.ts,
 * and every code a POS can be answered appears in it. Then each row a daemon in-process can be brought
 * to answer: the answer is provoked through the real HTTP app over the real FiscalService and the
 * emulator's device core, and a POS follows the row's action literally until the sale is sealed. Each
 * walk ends with exactly one record of the basket in the device journal, and, when the POS never took
 * a new key, with its key resolving to that record.
 */
import type { Response } from "light-my-request";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ERRORS,
  type ErrorName,
  errorNameOf,
  RETRYABLE_ERRORS,
  type SealedRecord,
} from "../../../protocol/index.js";
import {
  ACTIONS,
  API_DOC,
  basket,
  Pos,
  type PosRequest,
  type RetryRow,
  RetryTable,
  RetryWorld,
  readRetryTable,
  rowNames,
  type WalkResult,
  type WalkStart,
  type WalkWorld,
  type WorldOptions,
  walkSale,
} from "./retry-table-world.js";

const TABLE = new RetryTable(readRetryTable());
const CODED = TABLE.rows.filter((r) => r.status !== undefined);

/**
 * §8's bullet "A few transport faults have no row of their own and use the closest code with the
 * status HTTP calls for": the only (status, name) pairs whose status is not the name's own.
 */
const TRANSPORT_FAULTS: readonly { status: number; name: ErrorName; phrase: string }[] = [
  { status: 400, name: "FIELD_TYPE", phrase: "is `400` with `FIELD_TYPE` 302 at path `/`" },
  { status: 415, name: "FIELD_TYPE", phrase: "is `415` with `FIELD_TYPE` 302" },
  { status: 413, name: "INVOICE_TOO_LARGE", phrase: "is `413` with `INVOICE_TOO_LARGE` 316" },
  { status: 400, name: "MESSAGE_INVALID", phrase: "is `400 MESSAGE_INVALID` 212" },
  { status: 414, name: "MESSAGE_INVALID", phrase: "(`414` when a path segment is over 400 characters)" },
  { status: 431, name: "MESSAGE_INVALID", phrase: "`431` (headers over 16 KiB)" },
  { status: 408, name: "MESSAGE_INVALID", phrase: "`408` (not received within 10 s)" },
];

/**
 * Codes the table needs no row for:
 * - the technician's CLI only: USAGE; TIME_SET_REFUSED (setting the device clock);
 * - activation, a technician's act through the CLI: DEVICE_ALREADY_ACTIVATED, ACTIVATION_*;
 * - the cloud link, which never touches a POS request: CLOUD_*, ACTIVATION_CODE_*;
 * - a process that refuses to start (the POS sees "connection refused"): STATE_LOCKED, ADDRESS_IN_USE,
 *   LINK_PATH_IN_USE, CONFIG_INSECURE;
 * - stored only, as the `error` of an ABORTED invoice (the "state ABORTED" row): ABORTED_BY_POS 324,
 *   INTERRUPTED 325;
 * - the device's refusal of a Z number already made, which the daemon settles itself:
 *   REPORT_NUMBER_MISMATCH 122.
 */
const NOT_POS_ANSWERS: readonly ErrorName[] = [
  "USAGE",
  "TIME_SET_REFUSED",
  "DEVICE_ALREADY_ACTIVATED",
  "ACTIVATION_BAD_SIGNATURE",
  "ACTIVATION_WRONG_DEVICE",
  "ACTIVATION_INVALID",
  "CLOUD_UNREACHABLE",
  "CLOUD_REJECTED",
  "ACTIVATION_CODE_UNKNOWN",
  "ACTIVATION_CODE_USED",
  "CLOUD_NOT_ACTIVATED",
  "CLOUD_CREDENTIAL_INVALID",
  "CLOUD_NOT_CONFIGURED",
  "CLOUD_REPLY_INVALID",
  "CLOUD_ACK_MISMATCH",
  "CONFIG_INSECURE",
  "STATE_LOCKED",
  "ADDRESS_IN_USE",
  "LINK_PATH_IN_USE",
  "ABORTED_BY_POS",
  "INTERRUPTED",
  "REPORT_NUMBER_MISMATCH",
];

/**
 * Rows no daemon in-process can answer: the daemon is not there to answer at all (the end-to-end crash
 * test, test/e2e/commit-crash.test.ts, kills and restarts a real daemon process and walks them), or
 * only Node's HTTP parser on a real socket answers them, before there is a request (408, 431: provoked
 * over a socket by test/daemon/http/request-faults.test.ts).
 */
const NOT_WALKED_HERE: readonly string[] = [
  "connection refused",
  "connection reset, or no answer",
  "408 212",
  "431 212",
];

function codeNames(row: RetryRow): ErrorName[] {
  return row.codes.map((c) => errorNameOf(c)).filter((n): n is ErrorName => n !== undefined);
}

describe("the table of docs/API.md §8", () => {
  it("has its rows, one per answer", () => {
    expect(TABLE.rows.length).toBeGreaterThan(40);
    expect(new Set(TABLE.rows.map((r) => r.id)).size).toBe(TABLE.rows.length);
  });

  it.each(TABLE.rows.map((r) => [r.id, r] as const))("%s says exactly one of the three actions", (_, row) => {
    expect(ACTIONS).toContain(row.action);
  });

  it.each(CODED.map((r) => [r.id, r] as const))("%s: its names are those of its codes", (_, row) => {
    const names = codeNames(row);
    expect(names).toHaveLength(row.codes.length);
    expect(names.filter((n) => !rowNames(row, n))).toEqual([]);
    expect(row.names.filter((p) => !names.some((n) => rowNames({ ...row, names: [p] }, n)))).toEqual([]);
  });

  it.each(CODED.map((r) => [r.id, r] as const))("%s: its status is its codes' own", (_, row) => {
    const fault = (n: ErrorName) => TRANSPORT_FAULTS.some((t) => t.status === row.status && t.name === n);
    const wrong = codeNames(row).filter((n) => !fault(n) && ERRORS[n].http !== row.status);
    expect(wrong.map((n) => `${n} is ${ERRORS[n].http}`)).toEqual([]);
  });

  it.each(CODED.map((r) => [r.id, r] as const))("%s: its class is protocol/errors.ts's", (_, row) => {
    const wrong = codeNames(row).filter((n) => RETRYABLE_ERRORS.has(n) !== (row.cls === "retryable"));
    expect(wrong.map((n) => `${n} is ${RETRYABLE_ERRORS.has(n) ? "retryable" : "final"}`)).toEqual([]);
  });

  it("sends every retryable answer back with the same key (§2: a retryable attempt binds nothing)", () => {
    const retryable = TABLE.rows.filter((r) => r.cls === "retryable");
    expect(retryable.filter((r) => r.action !== "retry the same key").map((r) => r.id)).toEqual([]);
    // "open" states are not an outcome yet; every answer is final or retryable.
    const classes = (state: boolean) => (state ? ["open", "final"] : ["final", "retryable"]);
    const odd = TABLE.rows.filter((r) => !classes(r.answer.startsWith("state ")).includes(r.cls));
    expect(odd.map((r) => `${r.id}: ${r.cls}`)).toEqual([]);
  });

  it("lists the transport faults this test exempts from the status check, as §8's bullet says", () => {
    const bullet = API_DOC.slice(API_DOC.indexOf("A few transport faults")).split("\n- ")[0]!;
    const text = bullet.replace(/\s+/g, " ");
    for (const fault of TRANSPORT_FAULTS) expect(text).toContain(fault.phrase);
  });

  it("has a row for every code the POS API answers; the codes without one are answered elsewhere", () => {
    const inRows = new Set(CODED.flatMap(codeNames));
    const all = Object.keys(ERRORS) as ErrorName[];
    expect(all.filter((n) => !inRows.has(n) && !NOT_POS_ANSWERS.includes(n))).toEqual([]);
    expect(NOT_POS_ANSWERS.filter((n) => inRows.has(n))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// The walks

/** Rows some walk below declares it walks (collected when the file is loaded, filters or not). */
const WALKED = new Set<string>();
const worlds: RetryWorld[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const w of worlds.splice(0)) await w.stop();
});

async function world(options?: WorldOptions): Promise<RetryWorld> {
  const w = new RetryWorld(options);
  worlds.push(w);
  return w.start();
}

/** A test that walks `rows`; it fails unless the walk read every one of them. */
function walks(rows: readonly string[], title: string, run: () => Promise<string[]>): void {
  for (const id of rows) WALKED.add(id);
  it(`${rows.join(" + ")}: ${title}`, async () => {
    const trace = await run();
    for (const id of rows) expect(trace).toContain(id);
  });
}

/** What §8 promises on the answer of a row: the Retry-After it names, and one on every 503. */
function expectPromisedHeaders(row: RetryRow, answer: Response): void {
  if (row.retryAfterSeconds !== undefined) {
    expect(answer.headers["retry-after"], row.id).toBe(String(row.retryAfterSeconds));
  }
  if (answer.statusCode === 503) expect(answer.headers["retry-after"], row.id).toMatch(/^\d+$/);
}

interface Sale extends Omit<WalkWorld, "sealedNow" | "onRow"> {
  readonly total: number;
  /** What changes in the world once the POS has read `row` (the condition clears, time passes). */
  readonly clear?: (row: RetryRow, answer: Response) => Promise<void> | void;
  readonly start?: WalkStart;
}

/** The POS sells the basket of `sale.total` following the table, from `first`. */
function sell(w: RetryWorld, pos: Pos, first: PosRequest, sale: Sale): Promise<WalkResult> {
  const { total, clear, start, ...rest } = sale;
  return walkSale(
    pos,
    TABLE,
    first,
    {
      ...rest,
      sealedNow: () => w.sealedCount(total),
      onRow: async (row, answer) => {
        expectPromisedHeaders(row, answer);
        await clear?.(row, answer);
      },
    },
    start,
  );
}

/**
 * The sale ended once: one record of the basket in the journal, printed by the POS and found under its
 * last key. With `sameKey`, the POS never took a new key; otherwise no earlier key resolves to a seal.
 */
async function expectSoldOnce(
  w: RetryWorld,
  pos: Pos,
  total: number,
  result: WalkResult,
  sameKey: boolean,
): Promise<string[]> {
  expect(w.sealedCount(total)).toBe(1);
  const record = w.sealedRecord(total)!;
  expect(result.invoice.state).toBe("FISCALIZED");
  expect(result.invoice.fiscal?.fiscal_number).toBe(record.fiscalNumber);
  const last = await pos.get(result.keys.at(-1)!);
  expect(last.statusCode).toBe(200);
  expect(last.json()).toMatchObject({ state: "FISCALIZED", fiscal: { fiscal_number: record.fiscalNumber } });
  expect(result.keys.length === 1).toBe(sameKey);
  for (const key of result.keys.slice(0, -1)) {
    const old = await pos.get(key);
    expect(old.statusCode === 200 && old.json().fiscal !== null, `key ${key}`).toBe(false);
  }
  return result.trace;
}

const one = (total: number, key = "TILL1-0001", extra = {}): PosRequest => ({
  op: "create",
  key,
  body: basket(total, extra),
});
const twoStep = (total: number, key = "TILL1-0002"): PosRequest => ({
  op: "prepare",
  key,
  body: basket(total),
});

/** The one line of `basket(total)`. */
function items(total: number): Record<string, unknown> {
  return (basket(total).items as Record<string, unknown>[])[0]!;
}

describe("device conditions: retry the same key once the condition clears", () => {
  interface Condition {
    readonly row: string;
    readonly how: string;
    readonly options?: WorldOptions;
    /** Sets the condition (`on`) or clears it; a one-off refusal needs no clearing. */
    readonly toggle: (w: RetryWorld, on: boolean) => void;
  }
  const WARM_UP = 1_000;
  const conditions: readonly Condition[] = [
    {
      row: "503 100",
      how: "the link is unplugged",
      toggle: (w, on) => {
        w.link.unplugged = on;
      },
    },
    {
      row: "503 101",
      how: "the link answers BUSY to the PREPARE (the device never ran it)",
      toggle: (w, on) => on && w.link.refuseNext("PREPARE", "DEVICE_BUSY"),
    },
    {
      row: "503 119",
      how: "the daemon's device queue is full",
      toggle: (w, on) => on && w.link.refuseNext("PREPARE", "DEVICE_QUEUE_FULL"),
    },
    {
      row: "503 104",
      how: "the device core is locked",
      toggle: (w, on) => w.core.memory.setLockReason(on ? "TAMPER" : null),
    },
    {
      row: "503 106",
      how: "the device core's clock reads before its last record",
      toggle: (w, on) => {
        w.core.clock.skewMs = on ? -3_600_000 : 0;
      },
    },
    {
      // The emulator core locks itself (DEVICE_LOCKED) after a failed self-test; a real DEF may answer
      // SELF_TEST_FAILED 108 itself, which the link stands in for here.
      row: "503 108",
      how: "the device answers SELF_TEST_FAILED to the PREPARE",
      toggle: (w, on) => on && w.link.refuseNext("PREPARE", "SELF_TEST_FAILED"),
    },
    {
      row: "507 105",
      how: "the device core's journal is full",
      toggle: (w, on) => {
        w.core.journalCapacity = on ? w.core.memory.lastFiscalNumber : w.core.config.journalCapacity;
      },
    },
    {
      row: "409 102",
      how: "the device core is not activated yet",
      options: { activated: false },
      toggle: (w, on) => on || w.activate(),
    },
    {
      row: "409 120",
      how: "another device is plugged in (the daemon's session refuses every command)",
      toggle: (w, on) => {
        w.link.refuseAll = on ? "DEVICE_IDENTITY_MISMATCH" : null;
      },
    },
    {
      row: "503 336",
      how: "the daemon's SFE identity (ISF, seller name and address) is not configured",
      toggle: (w, on) => {
        w.sfeConfigured = !on;
      },
    },
    {
      row: "503 337",
      how: "the shop's opt-in rule refuses sales until the fiscal day is closed (Z)",
      toggle: (w, on) => {
        w.dayOverdue = on;
      },
    },
    {
      row: "503 121",
      how: "a device that fails the trust check is plugged in (the daemon's session refuses every command)",
      toggle: (w, on) => {
        w.link.refuseAll = on ? "DEVICE_UNTRUSTED" : null;
      },
    },
    ...(["FRAME_CRC", "FRAME_VERSION", "FRAME_TYPE", "HID_REASSEMBLY"] as const).map((name) => ({
      row: "502 200, 202, 203, 220",
      how: `the PREPARE ran on the device and its reply came back garbled (${name})`,
      toggle: (w: RetryWorld, on: boolean) => on && w.link.loseNextReply("PREPARE", name),
    })),
  ];

  for (const c of conditions) {
    walks([c.row], c.how, async () => {
      const w = await world(c.options);
      const pos = new Pos(w);
      if (c.options?.activated !== false) {
        const warm = await pos.send(one(WARM_UP, "TILL1-WARM"));
        expect(warm.statusCode).toBe(201);
      }
      c.toggle(w, true);
      const total = 11_600;
      const result = await sell(w, pos, one(total), {
        total,
        clear: async (row) => {
          // §2: a retryable attempt binds nothing: GET by the key answers 404.
          expect((await pos.get("TILL1-0001")).statusCode, row.id).toBe(404);
          c.toggle(w, false);
        },
      });
      expect(result.trace).toEqual([c.row]);
      return expectSoldOnce(w, pos, total, result, true);
    });
  }

  walks(["503 110"], "the device's pending slots are full of other tills' two-step invoices", async () => {
    const w = await world({ maxPending: 2 });
    const pos = new Pos(w);
    for (const key of ["TILL2-1", "TILL2-2"]) {
      expect((await pos.send({ op: "prepare", key, body: basket(500) })).statusCode).toBe(201);
    }
    const total = 11_700;
    const result = await sell(w, pos, one(total), {
      total,
      clear: async () => {
        for (const key of ["TILL2-1", "TILL2-2"]) {
          const aborted = await w.app.inject({
            method: "POST",
            url: `/v1/invoices/${key}/abort`,
            headers: { host: "127.0.0.1", authorization: `Bearer ${w.apiKey}` },
          });
          expect(aborted.statusCode).toBe(200);
        }
      },
    });
    expect(result.trace).toEqual(["503 110"]);
    return expectSoldOnce(w, pos, total, result, true);
  });

  walks(["503 106"], "a two-step COMMIT refused on an invalid clock: commit again", async () => {
    const w = await world();
    const pos = new Pos(w);
    expect((await pos.send(one(WARM_UP, "TILL1-WARM"))).statusCode).toBe(201);
    const total = 11_800;
    expect((await pos.send(twoStep(total))).statusCode).toBe(201);
    w.core.clock.skewMs = -3_600_000;
    const result = await sell(
      w,
      pos,
      { op: "commit", key: "TILL1-0002", body: basket(total) },
      {
        total,
        clear: () => {
          w.core.clock.skewMs = 0;
        },
      },
    );
    expect(result.trace).toEqual(["503 106"]);
    return expectSoldOnce(w, pos, total, result, true);
  });
});

describe("the daemon's own faults", () => {
  walks(["500 400"], "the store refuses writes before anything reached the device", async () => {
    const w = await world();
    const pos = new Pos(w);
    w.db.pragma("query_only = ON");
    const total = 12_100;
    const result = await sell(w, pos, one(total), {
      total,
      clear: (_, answer) => {
        expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
        w.db.pragma("query_only = OFF");
      },
    });
    expect(result.trace).toEqual(["500 400"]);
    return expectSoldOnce(w, pos, total, result, true);
  });

  walks(["500 400"], "the store refuses the seal after the device sealed: the retry finds it", async () => {
    const w = await world();
    const pos = new Pos(w);
    w.afterDeviceCommit = () => w.db.pragma("query_only = ON");
    const total = 12_200;
    const result = await sell(w, pos, one(total), {
      total,
      clear: () => {
        w.afterDeviceCommit = undefined;
        w.db.pragma("query_only = OFF");
      },
    });
    expect(result.trace).toEqual(["500 400"]);
    return expectSoldOnce(w, pos, total, result, true);
  });

  it("a sealed COMMIT whose reply fails the signature check leaves the POS a row to follow", async () => {
    const w = await world();
    const pos = new Pos(w);
    w.link.misreportNextCommit((sealed) => {
      const signature = new Uint8Array(sealed.signature);
      signature[0]! ^= 1;
      return { ...sealed, signature };
    });
    const total = 12_400;
    const result = await sell(w, pos, one(total), { total });
    await expectSoldOnce(w, pos, total, result, true);
  });

  walks(
    ["422 215", "state PREPARED, one-shot"],
    "the COMMIT reply and the journal's answer both fail the signature check",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      const flip = (sealed: SealedRecord): SealedRecord => {
        const signature = new Uint8Array(sealed.signature);
        signature[0]! ^= 1;
        return { ...sealed, signature };
      };
      w.link.misreportNextCommit(flip);
      w.link.misreportNext("GET_RECORD", flip);
      const total = 12_500;
      const result = await sell(w, pos, one(total), { total });
      expect(result.trace).toEqual(["422 215", "state PREPARED, one-shot"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );

  const unreadable: readonly { row: string; name: ErrorName }[] = [
    { row: "400 210, 211, 213", name: "CBOR_INVALID" },
    { row: "400 210, 211, 213", name: "CBOR_NOT_CANONICAL" },
    { row: "400 210, 211, 213", name: "UNKNOWN_COMMAND" },
    { row: "413 201", name: "FRAME_TOO_LARGE" },
  ];
  for (const { row, name } of unreadable) {
    walks(
      [row],
      `the device refuses the daemon's PREPARE as ${name}: a new key once the technician fixed it`,
      async () => {
        const w = await world();
        const pos = new Pos(w);
        w.link.refuseAll = name;
        const total = 12_600;
        const result = await sell(w, pos, one(total), {
          total,
          clear: () => {
            w.link.refuseAll = null;
          },
        });
        expect(result.trace).toEqual([row]);
        return expectSoldOnce(w, pos, total, result, false);
      },
    );
  }

  walks(
    ["500 401", "state PREPARED, one-shot"],
    "the link answers a record of another payload, twice",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      expect((await pos.send(one(1_000, "TILL1-WARM"))).statusCode).toBe(201);
      const other = w.sealedRecord(1_000)!.sealed;
      w.link.misreportNextCommit(() => other);
      w.link.misreportNext("GET_RECORD", () => other);
      const total = 12_300;
      const result = await sell(w, pos, one(total), { total });
      expect(result.trace).toEqual(["500 401", "state PREPARED, one-shot"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );
});

describe("a lost COMMIT reply: the retry of the same key answers the sealed invoice", () => {
  for (const [row, name] of [
    ["503 100", "DEVICE_UNAVAILABLE"],
    ["504 109", "DEVICE_TIMEOUT"],
  ] as const) {
    walks(
      [row],
      `one-shot: the device sealed, the reply was lost (${name}) and the link went down`,
      async () => {
        const w = await world();
        const pos = new Pos(w);
        w.link.loseNextReply("COMMIT", name, true);
        const total = 13_100;
        const result = await sell(w, pos, one(total), {
          total,
          clear: () => {
            expect(w.sealedCount(total)).toBe(1);
            w.link.unplugged = false;
          },
        });
        expect(result.trace).toEqual([row]);
        return expectSoldOnce(w, pos, total, result, true);
      },
    );
  }

  walks(
    ["503 100"],
    "two-step: the commit's reply was lost and the link went down; commit again",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      const total = 13_200;
      w.link.loseNextReply("COMMIT", "DEVICE_UNAVAILABLE", true);
      const result = await sell(w, pos, twoStep(total), {
        total,
        clear: () => {
          w.link.unplugged = false;
        },
      });
      expect(result.trace).toEqual(["503 100"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );
});

describe("bounded waits (fake timers, requestBoundMs)", () => {
  const BOUND_MS = 2_000;

  for (const [cmd, what] of [
    ["PREPARE", "the PREPARE hangs on the link, then the device answers it late"],
    ["COMMIT", "the COMMIT hangs on the link, then reaches the device and seals"],
  ] as const) {
    walks(["504 109", "409 321"], what, async () => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      const w = await world({ requestBoundMs: BOUND_MS });
      const pos = new Pos(w);
      const held = w.link.holdNext(cmd);
      const total = 14_100;
      const first = one(total);
      const answer = pos.send(first);
      await held.reached;
      await vi.advanceTimersByTimeAsync(BOUND_MS);
      const result = await sell(w, pos, first, {
        total,
        start: answer,
        clear: async (row) => {
          if (row.id !== "409 321") return;
          held.release();
          await vi.advanceTimersByTimeAsync(row.retryAfterSeconds! * 1000);
        },
      });
      // §2: "you get 409 REQUEST_IN_PROGRESS until it knows, then the outcome".
      expect(result.trace[0]).toBe("504 109");
      expect(result.trace.slice(1).length).toBeGreaterThan(0);
      expect(result.trace.slice(1).filter((id) => id !== "409 321")).toEqual([]);
      return expectSoldOnce(w, pos, total, result, true);
    });
  }
});

describe("409 answers", () => {
  walks(["409 321"], "a second request with the key while the first runs answers at once", async () => {
    const w = await world();
    const pos = new Pos(w);
    const held = w.link.holdNext("PREPARE");
    const total = 15_100;
    const first = one(total);
    const original = pos.send(first);
    await held.reached;
    const result = await sell(w, pos, first, {
      total,
      clear: async () => {
        held.release();
        expect((await original).statusCode).toBe(201);
      },
    });
    expect(result.trace).toEqual(["409 321"]);
    return expectSoldOnce(w, pos, total, result, true);
  });

  walks(["409 319"], "the key is bound to another basket: its invoice is that basket's", async () => {
    const w = await world();
    const pos = new Pos(w);
    expect((await pos.send(one(15_200))).statusCode).toBe(201);
    const result = await sell(w, pos, one(15_300), { total: 15_300 });
    expect(result.trace).toEqual(["409 319"]);
    expect(result.invoice.totals.total).toBe(15_200);
    expect(w.sealedCount(15_300)).toBe(0);
    return expectSoldOnce(w, pos, 15_200, result, true);
  });

  walks(["409 322"], "a commit of a one-shot invoice: GET shows it sealed", async () => {
    const w = await world();
    const pos = new Pos(w);
    const total = 15_400;
    expect((await pos.send(one(total))).statusCode).toBe(201);
    const result = await sell(w, pos, { op: "commit", key: "TILL1-0001", body: basket(total) }, { total });
    expect(result.trace).toEqual(["409 322"]);
    return expectSoldOnce(w, pos, total, result, true);
  });

  walks(["409 112", "state ABORTED"], "a commit after commit_before", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const w = await world();
    const pos = new Pos(w);
    const total = 15_500;
    const prepared = await pos.send(twoStep(total));
    expect(prepared.statusCode).toBe(201);
    vi.setSystemTime(Date.parse(prepared.json().commit_before) + 1);
    const result = await sell(w, pos, { op: "commit", key: "TILL1-0002", body: basket(total) }, { total });
    expect(result.trace).toEqual(["409 112", "state ABORTED"]);
    return expectSoldOnce(w, pos, total, result, false);
  });

  walks(
    ["409 111", "state ABORTED"],
    "the device lost its pending PREPAREs (power cycle) before the commit",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      const total = 15_600;
      expect((await pos.send(twoStep(total))).statusCode).toBe(201);
      w.core.stop();
      w.core.start();
      const result = await sell(w, pos, { op: "commit", key: "TILL1-0002", body: basket(total) }, { total });
      expect(result.trace).toEqual(["409 111", "state ABORTED"]);
      return expectSoldOnce(w, pos, total, result, false);
    },
  );

  walks(["409 113", "state ABORTED"], "the device answers NONCE_MISMATCH to the commit", async () => {
    const w = await world();
    const pos = new Pos(w);
    const total = 15_700;
    expect((await pos.send(twoStep(total))).statusCode).toBe(201);
    w.link.refuseNext("COMMIT", "NONCE_MISMATCH");
    const result = await sell(w, pos, { op: "commit", key: "TILL1-0002", body: basket(total) }, { total });
    expect(result.trace).toEqual(["409 113", "state ABORTED"]);
    return expectSoldOnce(w, pos, total, result, false);
  });

  walks(["409 114", "state REJECTED"], "a client_ref the device already sealed: fix the sale", async () => {
    const w = await world();
    const pos = new Pos(w);
    expect((await pos.send(one(15_800, "TILL1-0000", { client_ref: "TICKET-9" }))).statusCode).toBe(201);
    const total = 15_900;
    const result = await sell(w, pos, one(total, "TILL1-0001", { client_ref: "TICKET-9" }), {
      total,
      fix: () => basket(total, { client_ref: "TICKET-10" }),
    });
    expect(result.trace).toEqual(["409 114", "state REJECTED"]);
    expect(w.sealedCount(15_800)).toBe(1);
    return expectSoldOnce(w, pos, total, result, false);
  });

  it("a final refusal replayed from an earlier request carries Idempotent-Replayed: true (§2, §8)", async () => {
    const w = await world();
    const pos = new Pos(w);
    expect((await pos.send(one(15_800, "TILL1-0000", { client_ref: "TICKET-9" }))).statusCode).toBe(201);
    const request = one(15_900, "TILL1-0001", { client_ref: "TICKET-9" });
    const first = await pos.send(request);
    expect(first.statusCode).toBe(409);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    const again = await pos.send(request);
    expect([again.statusCode, again.json().error.name]).toEqual([409, "ALREADY_FISCALIZED"]);
    expect(again.headers["idempotent-replayed"]).toBe("true");
  });
});

describe("the request never reached the service: fix it", () => {
  interface Fault {
    readonly row: string;
    readonly how: string;
    readonly first: (total: number) => PosRequest;
    readonly action: "retry" | "new key";
    readonly pos?: (pos: Pos, w: RetryWorld) => void;
    readonly clear?: (pos: Pos, w: RetryWorld) => void;
  }
  const faults: readonly Fault[] = [
    {
      row: "400 320",
      how: "an Idempotency-Key outside the allowed characters",
      first: (t) => one(t, "TILL1 0001"),
      action: "new key",
    },
    {
      row: "400 302",
      how: "a body that is not JSON",
      first: (t) => ({ ...one(t), raw: '{"type": "SALE",' }),
      action: "new key",
    },
    {
      row: "400 302",
      how: "a body with a __proto__ key",
      first: (t) => ({ ...one(t), raw: JSON.stringify(basket(t)).replace("{", '{"__proto__":{"x":1},') }),
      action: "new key",
    },
    {
      row: "400 212",
      how: "two Host headers",
      first: (t) => ({ ...one(t), headers: { host: ["127.0.0.1", "evil.example"] as unknown as string } }),
      action: "new key",
    },
    {
      row: "413 316",
      how: "a body over 256 KiB",
      first: (t) => ({ ...one(t), raw: JSON.stringify(basket(t, { note: "x".repeat(300 * 1024) })) }),
      action: "new key",
    },
    {
      row: "413 316",
      how: "an invoice over the device's 24 KiB (200 lines with long names)",
      first: (t) => ({
        ...one(t),
        body: {
          ...basket(t),
          items: Array.from({ length: 200 }, (_, i) => ({
            ...items(t),
            name: `${i} ${"x".repeat(120)}`,
            unit_price: i === 199 ? t - 199 : 1,
          })),
        },
      }),
      action: "new key",
    },
    {
      row: "414 212",
      how: "a commit URL with a 401-character key",
      first: (t) => ({ op: "commit", key: "TILL1-0001", urlKey: "A".repeat(401), body: basket(t) }),
      action: "new key",
    },
    {
      row: "415 302",
      how: "a text/plain body",
      first: (t) => ({ ...one(t), contentType: "text/plain" }),
      action: "new key",
    },
    {
      row: "422 300–315, 317, 318, 327–335",
      how: "a price as a string",
      first: (t) => ({ ...one(t), body: { ...basket(t), items: [{ ...items(t), unit_price: String(t) }] } }),
      action: "new key",
    },
    {
      row: "422 300–315, 317, 318, 327–335",
      how: "a credit note for an original nobody sealed",
      first: (t) =>
        one(t, "TILL1-0001", {
          type: "CREDIT",
          reference: { nature: "RAM", fiscal_number: 99, reason: "retour" },
        }),
      action: "new key",
    },
    {
      row: "401 600",
      how: "no Authorization",
      first: (t) => one(t),
      action: "retry",
      pos: (pos) => {
        pos.apiKey = undefined;
      },
      clear: (pos, w) => {
        pos.apiKey = w.apiKey;
      },
    },
    {
      row: "401 601",
      how: "a key the daemon never issued",
      first: (t) => one(t),
      action: "retry",
      pos: (pos) => {
        pos.apiKey = `stl_AAAAAAAAAAAA_${"A".repeat(43)}`;
      },
      clear: (pos, w) => {
        pos.apiKey = w.apiKey;
      },
    },
    {
      row: "401 602",
      how: "a revoked key, replaced by the shop (a new key space)",
      first: (t) => one(t),
      action: "retry",
      pos: (pos, w) => {
        const old = w.keys.create("CASHIER-1", "old till key", "test");
        w.keys.revoke(old.info.id, "test");
        pos.apiKey = old.key;
      },
      clear: (pos, w) => {
        pos.apiKey = w.keys.create("CASHIER-1", "new till key", "test").key;
      },
    },
    {
      row: "421 603",
      how: "a Host that is not loopback",
      first: (t) => one(t),
      action: "retry",
      pos: (pos) => {
        pos.host = "evil.example";
      },
      clear: (pos) => {
        pos.host = "127.0.0.1:8765";
      },
    },
  ];

  for (const f of faults) {
    walks([f.row], f.how, async () => {
      const w = await world();
      const pos = new Pos(w);
      f.pos?.(pos, w);
      const total = 16_100;
      const result = await sell(w, pos, f.first(total), {
        total,
        fix: () => basket(total),
        newKey: (n) => `TILL1-FIXED-${n}`,
        clear: () => {
          expect(w.sealedCount(total)).toBe(0);
          f.clear?.(pos, w);
        },
      });
      expect(result.trace).toEqual([f.row]);
      return expectSoldOnce(w, pos, total, result, f.action === "retry");
    });
  }

  walks(["404 115"], "the POS asks first about a key the daemon never saw: send the create", async () => {
    const w = await world();
    const pos = new Pos(w);
    const total = 16_200;
    const result = await sell(w, pos, one(total), { total, start: "get" });
    expect(result.trace).toEqual(["404 115"]);
    return expectSoldOnce(w, pos, total, result, true);
  });
});

describe("states a GET shows", () => {
  walks(
    ["state PREPARING"],
    "the daemon died while the device validated a two-step prepare; the POS asks, then retries",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      const total = 17_100;
      const held = w.link.holdNext("PREPARE");
      // A one-shot sale has no row until the device has prepared it (a GET is 404, the row above);
      // a two-step prepare is stored PREPARING before the device sees it.
      void pos.send(twoStep(total)); // its answer never comes: the daemon dies below
      await held.reached;
      await w.restartDaemon();
      const result = await sell(w, pos, twoStep(total), { total, start: "get" });
      expect(result.trace).toEqual(["state PREPARING"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );

  for (const [afterCore, what] of [
    [false, "the daemon died with the COMMIT about to be sent"],
    [true, "the device sealed and the daemon died before the reply"],
  ] as const) {
    walks(["state PREPARED, one-shot"], what, async () => {
      const w = await world();
      const pos = new Pos(w);
      const total = 17_200;
      const held = w.link.holdNext("COMMIT", afterCore);
      void pos.send(one(total)); // its answer never comes: the daemon dies below
      await held.reached;
      expect(w.sealedCount(total)).toBe(afterCore ? 1 : 0);
      const sealedBefore = w.sealedRecord(total)?.fiscalNumber;
      await w.restartDaemon();
      const result = await sell(w, pos, one(total), { total, start: "get" });
      expect(result.trace).toEqual(["state PREPARED, one-shot"]);
      if (sealedBefore !== undefined) expect(result.invoice.fiscal?.fiscal_number).toBe(sealedBefore);
      return expectSoldOnce(w, pos, total, result, true);
    });
  }

  walks(
    ["state PREPARED, two-step, before commit_before"],
    "the prepare's answer was lost: commit it",
    async () => {
      const w = await world();
      const pos = new Pos(w);
      const total = 17_300;
      expect((await pos.send(twoStep(total))).statusCode).toBe(201);
      const result = await sell(w, pos, twoStep(total), { total, start: "get" });
      expect(result.trace).toEqual(["state PREPARED, two-step, before commit_before"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );

  walks(
    ["state PREPARED, two-step, past commit_before", "state ABORTED"],
    "abandoned past commit_before: the daemon ends it, then a new key",
    async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const w = await world();
      const pos = new Pos(w);
      const total = 17_400;
      const prepared = await pos.send(twoStep(total));
      vi.setSystemTime(Date.parse(prepared.json().commit_before) + 1);
      const result = await sell(w, pos, twoStep(total), {
        total,
        start: "get",
        clear: async (row) => {
          // The daemon's expiry sweep, "within about a second".
          if (row.id.includes("past commit_before")) await w.service.expireAbandoned();
        },
      });
      expect(result.trace).toEqual(["state PREPARED, two-step, past commit_before", "state ABORTED"]);
      return expectSoldOnce(w, pos, total, result, false);
    },
  );

  walks(
    ["state PREPARED, two-step, past commit_before"],
    "a lost commit had sealed it: the daemon ends it FISCALIZED",
    async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      const w = await world();
      const pos = new Pos(w);
      const total = 17_500;
      const prepared = await pos.send(twoStep(total));
      w.link.loseNextReply("COMMIT", "DEVICE_TIMEOUT", true);
      expect((await pos.send({ op: "commit", key: "TILL1-0002" })).statusCode).toBe(504);
      w.link.unplugged = false;
      vi.setSystemTime(Date.parse(prepared.json().commit_before) + 1);
      const result = await sell(w, pos, twoStep(total), {
        total,
        start: "get",
        clear: async () => {
          await w.service.expireAbandoned();
        },
      });
      expect(result.trace).toEqual(["state PREPARED, two-step, past commit_before"]);
      return expectSoldOnce(w, pos, total, result, true);
    },
  );
});

it("walks every row of the table, except the rows listed as not walkable in-process", () => {
  const ids = TABLE.rows.map((r) => r.id);
  expect(NOT_WALKED_HERE.filter((id) => !ids.includes(id))).toEqual([]);
  expect(NOT_WALKED_HERE.filter((id) => WALKED.has(id))).toEqual([]);
  expect([...WALKED].filter((id) => !ids.includes(id))).toEqual([]);
  expect(ids.filter((id) => !WALKED.has(id) && !NOT_WALKED_HERE.includes(id))).toEqual([]);
});
