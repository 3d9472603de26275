import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ArgsOf,
  COMMAND_NAMES,
  type Command,
  canonicaliseInvoice,
  decodeBusy,
  decodeEvent,
  decodeNak,
  decodeRequest,
  decodeResponse,
  encodeBusy,
  encodeCanonical,
  encodeError,
  encodeEvent,
  encodeFrame,
  encodeNak,
  encodeRequest,
  encodeResult,
  FiscalError,
  FrameParser,
  FrameType,
  generateKeyPair,
  invoiceHash,
  MAX_INVOICE_BYTES,
  type ResultOf,
  sealRecord,
  sealReport,
  signActivationBundle,
} from "../../protocol/index.js";

const key = generateKeyPair();
const invoice = canonicaliseInvoice(
  {
    type: "SALE",
    currency: "USD",
    items: [{ name: "Airtime", kind: "SERVICE", quantity: 1, unit_price: 500, tax_group: "B" }],
    payments: [{ method: "CARD", amount: 500 }],
  },
  { cashierId: "C-1", defaultClientRef: "R-1" },
);
const hash = invoiceHash(invoice);
const nonce = new Uint8Array(16).fill(3);
const blob = signActivationBundle(
  {
    kind: "ACTIVATION_BUNDLE",
    v: 1,
    bundle_id: "B-1",
    device_id: "DEF-1",
    merchant_nif: "N-1",
    outlet_id: "O-1",
    fiscal_authority_id: "F-1",
    issued_at: 1,
  },
  key.seed,
);
const sealed = sealRecord(
  {
    kind: "INVOICE",
    v: 1,
    device_id: "DEF-1",
    fiscal_number: 1,
    type_number: 1,
    invoice_type: "SALE",
    issued_at: 1_763_888_400_000,
    payload_hash: hash,
    prev_hash: new Uint8Array(32),
    merchant_nif: "N-1",
    outlet_id: "O-1",
    fiscal_authority_id: "F-1",
    cashier_id: "C-1",
    client_ref: "R-1",
    currency: "USD",
    totals: invoice.totals,
    tax_table: invoice.tax_table,
  },
  key.seed,
);
const clock = { now: 1_763_888_400_000, offset_ms: -250, valid: true };
const emptyFigures = {
  types: [],
  groups: { sales: [], credits: [] },
  payments: { sales: [], credits: [] },
  credit_notes: [],
  reductions: { lines: 0, amount: 0 },
  v1_records: 0,
};
const zReport = sealReport(
  {
    kind: "Z_REPORT",
    v: 1,
    device_id: "DEF-1",
    merchant_nif: "N-1",
    outlet_id: "O-1",
    fiscal_authority_id: "F-1",
    isf: "ISF-1",
    issued_at: clock.now,
    after_fiscal_number: 0,
    prev_hash: hash,
    number: 1,
    period_from: null,
    first_fiscal_number: null,
    last_fiscal_number: null,
    incomplete: 0,
    figures: emptyFigures,
    prev_report_hash: hash,
  },
  key.seed,
);

/** One valid argument object and one valid result per command. */
const SAMPLES: { [C in Command]: { args: ArgsOf<C>; result: ResultOf<C> } } = {
  INFO: {
    args: {},
    result: {
      device_id: "DEF-1",
      model: "STALELA-EMU",
      firmware: "1.0.0",
      protocol: 1,
      public_key: key.publicKey,
      state: "ACTIVE",
      identity: { merchant_nif: "N-1", outlet_id: "O-1", fiscal_authority_id: "F-1" },
      activation: blob,
      activation_bundle: blob,
      tax_table: invoice.tax_table,
      limits: {
        max_payload: 32768,
        nonce_ttl_ms: 120000,
        max_pending: 10,
        journal_capacity: 1000,
        journal_page: 32,
      },
    },
  },
  STATUS: {
    args: {},
    result: {
      state: "LOCKED",
      lock_reason: "JOURNAL_FULL",
      last_fiscal_number: 1000,
      type_counters: { SALE: 990, CREDIT: 10 },
      journal_used: 1000,
      journal_capacity: 1000,
      pending: 0,
      clock,
      last_hash: hash,
      warnings: ["JOURNAL_NEARLY_FULL"],
    },
  },
  ACTIVATE: { args: { bundle: blob }, result: { activation: blob } },
  PREPARE: {
    args: { invoice },
    result: { nonce, payload_hash: hash, expires_at: clock.now + 120000, totals: invoice.totals },
  },
  COMMIT: { args: { nonce, payload_hash: hash }, result: sealed },
  ABORT: { args: { nonce }, result: { nonce } },
  LIST_PENDING: {
    args: {},
    result: { pending: [{ nonce, payload_hash: hash, client_ref: "R-1", expires_at: 5 }] },
  },
  GET_RECORD: { args: { payload_hash: hash }, result: sealed },
  JOURNAL_READ: { args: { from: 1, limit: 32 }, result: { entries: [sealed, sealed], next: null, last: 2 } },
  Z_REPORT: { args: { isf: "ISF-1", number: 1 }, result: { report: zReport, closures: [] } },
  X_REPORT: { args: { isf: "ISF-1" }, result: { report: zReport } },
  GET_REPORT: { args: { kind: "Z_REPORT", number: 1 }, result: { report: zReport, last: 1 } },
  A_REPORT: { args: { isf: "ISF-1", from: 1, to: 2 }, result: { report: zReport } },
  TIME_GET: { args: {}, result: clock },
  TIME_SET: { args: { now: clock.now }, result: clock },
  SELF_TEST: {
    args: {},
    result: { passed: false, checks: [{ name: "journal-chain", passed: false, detail: "record 7" }] },
  },
};

function throughWire(type: FrameType, seq: number, payload: Uint8Array, chunk: number): Uint8Array {
  const bytes = encodeFrame({ type, seq, payload });
  const parser = new FrameParser();
  const events = [];
  for (let i = 0; i < bytes.length; i += chunk) events.push(...parser.push(bytes.subarray(i, i + chunk)));
  const frame = events.find((e) => e.kind === "frame");
  if (frame?.kind !== "frame") throw new Error("frame lost");
  expect(frame.frame.seq).toBe(seq);
  return frame.frame.payload;
}

describe("message catalogue", () => {
  it("covers every command of the specification", () => {
    expect([...COMMAND_NAMES].sort()).toEqual([
      "ABORT",
      "ACTIVATE",
      "A_REPORT",
      "COMMIT",
      "GET_RECORD",
      "GET_REPORT",
      "INFO",
      "JOURNAL_READ",
      "LIST_PENDING",
      "PREPARE",
      "SELF_TEST",
      "STATUS",
      "TIME_GET",
      "TIME_SET",
      "X_REPORT",
      "Z_REPORT",
    ]);
  });

  it("round-trips every request and every result through frame and CBOR, at any SEQ and chunking", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COMMAND_NAMES),
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 1, max: 80 }),
        (cmd, seq, chunk) => {
          const sample = SAMPLES[cmd];
          const req = decodeRequest(
            throughWire(FrameType.REQUEST, seq, encodeRequest(cmd, sample.args as never), chunk),
          );
          expect(req.cmd).toBe(cmd);
          expect(req.args).toEqual(sample.args);
          const result = decodeResponse(
            cmd,
            throughWire(FrameType.RESPONSE, seq, encodeResult(cmd, sample.result as never), chunk),
          );
          expect(result).toEqual(sample.result);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("round-trips generated arguments of the parameterised commands", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ fiscal_number: fc.integer({ min: 1, max: 2 ** 32 }) }),
          fc.record({ payload_hash: fc.uint8Array({ minLength: 32, maxLength: 32 }) }),
          fc.record({ client_ref: fc.stringMatching(/^[A-Za-z0-9._:/#@+=-]{1,64}$/) }),
        ),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (getArgs, now) => {
          expect(decodeRequest(encodeRequest("GET_RECORD", getArgs)).args).toEqual(getArgs);
          expect(decodeRequest(encodeRequest("TIME_SET", { now })).args).toEqual({ now });
        },
      ),
    );
  });

  it("carries a device error with its code and field issues back to the host", () => {
    const err = new FiscalError("INVOICE_INVALID", "bad", {
      issues: [{ path: "/items/0/tax_group", code: 305, message: "x" }],
    });
    try {
      decodeResponse("PREPARE", encodeError(err));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FiscalError);
      expect((e as FiscalError).code).toBe(300);
      expect((e as FiscalError).details?.issues).toEqual([
        { path: "/items/0/tax_group", code: 305, message: "x" },
      ]);
    }
  });

  it("carries a sealed record v2 with its Code DEF/DGI and the invoice bytes (COMMIT, JOURNAL_READ)", () => {
    const invoiceBytes = new Uint8Array(MAX_INVOICE_BYTES).fill(0xa0);
    const v2 = { ...sealed, auth_code: "0123456789ABCDEFGHJKMNPQ", invoice: invoiceBytes };
    expect(decodeResponse("COMMIT", encodeResult("COMMIT", v2))).toEqual(v2);
    const page = { entries: [v2, sealed], next: null, last: 2 };
    expect(decodeResponse("JOURNAL_READ", encodeResult("JOURNAL_READ", page))).toEqual(page);
  });

  it.each([
    ["a Code DEF/DGI of 23 characters", { auth_code: "0123456789ABCDEFGHJKMNP" }, /\/auth_code/],
    [
      "a Code DEF/DGI with a letter outside Crockford's alphabet",
      { auth_code: "0123456789ABCDEFGHJKMNPU" },
      /\/auth_code/,
    ],
    ["a v1 auth code without its dashes", { auth_code: "0123456789ABCDEF" }, /\/auth_code/],
    ["invoice bytes past MAX_INVOICE_BYTES", { invoice: new Uint8Array(MAX_INVOICE_BYTES + 1) }, /\/invoice/],
  ])("refuses a sealed record with %s", (_what, change, path) => {
    const payload = encodeResult("COMMIT", { ...sealed, ...change } as never);
    expect(() => decodeResponse("COMMIT", payload)).toThrow(new RegExp(`E212 .*${path.source}`));
  });

  it("keeps an error code unknown to this host visible instead of guessing", () => {
    const payload = encodeCanonical({ ok: false, error: { code: 199, message: "future" } });
    expect(() => decodeResponse("INFO", payload)).toThrow(/E212 .*unknown error code 199/);
  });

  it.each([
    ["an unknown command", { cmd: "FORMAT_DISK" }, /E213/],
    ["a missing cmd", { now: 1 }, /E212/],
    [
      "bad arguments",
      { cmd: "COMMIT", nonce: new Uint8Array(15), payload_hash: new Uint8Array(32) },
      /E212 .*\/nonce/,
    ],
    ["extra arguments", { cmd: "INFO", verbose: true }, /E212 .*\/verbose/],
    ["two GET_RECORD keys", { cmd: "GET_RECORD", fiscal_number: 1, client_ref: "x" }, /E212/],
    ["a JOURNAL_READ page too large", { cmd: "JOURNAL_READ", from: 1, limit: 33 }, /E212/],
  ])("refuses %s with a coded error", (_what, body, re) => {
    expect(() => decodeRequest(encodeCanonical(body))).toThrow(re);
  });

  it("refuses a non-map request, and a reply that does not match the catalogue", () => {
    expect(() => decodeRequest(encodeCanonical([1]))).toThrow(/E212/);
    expect(() => decodeResponse("TIME_GET", encodeCanonical({ ok: true, result: { now: -1 } }))).toThrow(
      /E212/,
    );
    expect(() => decodeResponse("TIME_GET", encodeCanonical({ ok: "yes" }))).toThrow(/E212/);
  });

  it("encodes events, BUSY and NAK payloads", () => {
    expect(decodeEvent(encodeEvent({ event: "BOOT", at: 5, state: "ACTIVE" }))).toEqual({
      event: "BOOT",
      at: 5,
      state: "ACTIVE",
    });
    expect(decodeBusy(encodeBusy(20))).toBe(20);
    expect(decodeNak(encodeNak(200))).toBe(200);
    expect(() => decodeBusy(encodeNak(200))).toThrow(/E212/);
  });

  it("never throws anything but a coded error on 100,000 random and mutated request payloads", () => {
    const valid = COMMAND_NAMES.map((cmd) => encodeRequest(cmd, SAMPLES[cmd].args as never));
    fc.assert(
      fc.property(
        fc.nat(valid.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }),
        fc.uint8Array({ maxLength: 40 }),
        (i, flips, random) => {
          const mutated = valid[i]!.slice();
          for (const [pos, byte] of flips) mutated[pos % mutated.length] = byte;
          for (const input of [mutated, random]) {
            try {
              decodeRequest(input);
            } catch (err) {
              expect(err).toBeInstanceOf(FiscalError);
            }
          }
        },
      ),
      { numRuns: 50_000 },
    );
  });
});
