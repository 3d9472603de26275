/**
 * The checks that need more than one record: the hash chain (by fiscal number, so a reordered file
 * still chains), counter gaps, duplicates, file order, device time and per-type counters.
 */
import { toHex } from "../bytes.js";
import type { FiscalRecord } from "../security/record.js";
import type { RecordFailure, RecordFailureReason } from "./report.js";

/**
 * The fields of a record the order checks read: all the verifier keeps of a record once checked.
 * Hashes are lower-case hex: a 64-character string costs less than a byte array and its buffer, and
 * a decoder's byte string may be a view that would keep the whole record alive.
 */
export interface ChainFields
  extends Pick<FiscalRecord, "fiscal_number" | "type_number" | "invoice_type" | "issued_at"> {
  readonly payload_hash: string;
  readonly prev_hash: string;
}

/** An entry that decoded, with its chain hash. */
export interface VerifiedEntry {
  readonly index: number;
  /** The signed fiscal number (never the entry's own `fiscal_number`, which nothing signs). */
  readonly record: ChainFields;
  /** Hex SHA-256 of the record bytes. */
  readonly hash: string;
}

/** The compact copy of a record the order checks keep. */
export function chainFieldsOf(record: FiscalRecord): ChainFields {
  const { fiscal_number, type_number, invoice_type, issued_at } = record;
  return {
    fiscal_number,
    type_number,
    invoice_type,
    issued_at,
    payload_hash: toHex(record.payload_hash),
    prev_hash: toHex(record.prev_hash),
  };
}

/** What the order checks know about the document. */
export interface JournalOrderContext {
  readonly from: number;
  readonly to: number;
  /** The expected prev_hash of fiscal number 1 (hex), or null when the activation did not verify. */
  readonly genesis: string | null;
  /** The activation time, or null when unknown: no record may be older. */
  readonly activatedAt: number | null;
  /** Fiscal numbers of entries that did not decode: already reported, so not reported missing too. */
  readonly unreadable: ReadonlySet<number>;
  /**
   * Format /4: the hash invoice `fn + 1` must name, given invoice `fn`'s hash (the genesis hash for
   * 0): the last journaled report made after `fn`, named in `report`, or that hash itself.
   */
  readonly tipAfter?: (fn: number, hash: string) => { readonly hash: string; readonly report: string | null };
}

/** The result of the order checks. */
export interface JournalOrderResult {
  readonly failures: RecordFailure[];
  /** Fiscal numbers of the declared range with no entry. */
  readonly missing: number;
  readonly chain: { readonly first_prev_hash: string | null; readonly last_hash: string | null };
  /** True when fiscal number 1 is present and its prev_hash was compared with the genesis hash. */
  readonly genesisChecked: boolean;
}

const short = (hash: string): string => `${hash.slice(0, 16)}…`;

/** Runs the multi-record checks over the decoded entries, in file order. */
export function checkJournalOrder(
  entries: readonly VerifiedEntry[],
  ctx: JournalOrderContext,
): JournalOrderResult {
  const failures: RecordFailure[] = [];
  const fail = (e: VerifiedEntry, reason: RecordFailureReason, message: string): void => {
    failures.push({ fiscal_number: e.record.fiscal_number, index: e.index, reason, message });
  };
  const byFn = new Map<number, VerifiedEntry>();
  const byPayload = new Map<string, number>();
  let highest = 0;
  let previous: VerifiedEntry | null = null;
  for (const e of entries) {
    const fn = e.record.fiscal_number;
    if (fn < ctx.from || fn > ctx.to)
      fail(e, "out_of_range", `outside the declared range ${ctx.from}–${ctx.to}`);
    const payload = e.record.payload_hash;
    const samePayload = byPayload.get(payload);
    if (byFn.has(fn)) {
      fail(e, "duplicate", `fiscal number ${fn} appears again (first at entry ${byFn.get(fn)!.index})`);
    } else {
      if (samePayload !== undefined)
        fail(e, "duplicate", `same invoice payload as fiscal number ${samePayload}`);
      if (fn < highest) fail(e, "out_of_order", `comes after fiscal number ${highest} in the file`);
      byFn.set(fn, e);
      byPayload.set(payload, fn);
      highest = Math.max(highest, fn);
    }
    if (previous !== null && e.record.issued_at < previous.record.issued_at) {
      fail(
        e,
        "time_backwards",
        `issued at ${iso(e.record.issued_at)}, before the previous entry (${previous.record.fiscal_number}, ${iso(previous.record.issued_at)})`,
      );
    }
    if (fn === 1 && ctx.activatedAt !== null && e.record.issued_at < ctx.activatedAt) {
      fail(e, "time_backwards", `issued at ${iso(e.record.issued_at)}, before the activation`);
    }
    previous = e;
  }

  const sorted = [...byFn.keys()].sort((a, b) => a - b);
  const position = new Map(sorted.map((fn, i) => [fn, i]));
  let missing = 0;
  let expected = ctx.from;
  const gap = (first: number, last: number, before: number | null): void => {
    missing += last - first + 1;
    const what = first === last ? `fiscal number ${first} is` : `fiscal numbers ${first}–${last} are`;
    failures.push({
      fiscal_number: first,
      index: null,
      reason: "counter_gap",
      message: `${what} missing${before === null ? " at the end of the range" : ` before ${before}`}`,
    });
  };
  const present = [...new Set([...sorted, ...ctx.unreadable])].sort((a, b) => a - b);
  for (const fn of present) {
    if (fn < ctx.from || fn > ctx.to) continue;
    if (fn > expected) gap(expected, fn - 1, fn);
    expected = fn + 1;
  }
  if (ctx.to >= expected) gap(expected, ctx.to, null);

  const tipAfter = ctx.tipAfter ?? ((_fn: number, hash: string) => ({ hash, report: null }));
  const lastOfType = new Map<string, VerifiedEntry>();
  for (const fn of sorted) {
    const e = byFn.get(fn)!;
    const prevHash = e.record.prev_hash;
    const before = byFn.get(fn - 1);
    const start = fn === 1 ? ctx.genesis : before === undefined ? null : before.hash;
    const tip = start === null ? null : tipAfter(fn - 1, start);
    if (tip !== null && prevHash !== tip.hash) {
      const what =
        tip.report !== null
          ? `the hash of ${tip.report}, made after record ${fn - 1}`
          : fn === 1
            ? "the genesis hash"
            : `the hash of record ${fn - 1}`;
      const message =
        fn === 1 && tip.report === null
          ? `prev_hash ${short(prevHash)} is not the genesis hash ${short(tip.hash)}`
          : `prev_hash ${short(prevHash)} is not ${what} (${short(tip.hash)})`;
      fail(e, "chain_break", message);
    }
    checkTypeCounter(e, lastOfType.get(e.record.invoice_type), position, ctx.from, fail);
    lastOfType.set(e.record.invoice_type, e);
  }
  const first = sorted.length > 0 ? byFn.get(sorted[0]!)! : null;
  const last = sorted.length > 0 ? byFn.get(sorted[sorted.length - 1]!)! : null;
  return {
    failures,
    missing,
    genesisChecked: ctx.genesis !== null && byFn.has(1),
    chain: {
      first_prev_hash: first === null ? null : first.record.prev_hash,
      last_hash: last === null ? null : tipAfter(last.record.fiscal_number, last.hash).hash,
    },
  };
}

/**
 * Per-type counters rise by one. Checked only where no fiscal number is missing in between (a gap is
 * already reported), and from 1 only in a full export (a range starts at an unknown count).
 */
function checkTypeCounter(
  e: VerifiedEntry,
  prior: VerifiedEntry | undefined,
  position: ReadonlyMap<number, number>,
  from: number,
  fail: (e: VerifiedEntry, reason: RecordFailureReason, message: string) => void,
): void {
  const fn = e.record.fiscal_number;
  const { invoice_type: type, type_number: n } = e.record;
  if (prior === undefined) {
    const complete = from === 1 && position.get(fn)! === fn - 1;
    if (complete && n !== 1) fail(e, "type_counter_gap", `first ${type} has type number ${n}, not 1`);
    return;
  }
  const pf = prior.record.fiscal_number;
  const complete = position.get(fn)! - position.get(pf)! === fn - pf;
  if (complete && n !== prior.record.type_number + 1) {
    fail(e, "type_counter_gap", `${type} number ${n} follows ${type} number ${prior.record.type_number}`);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
