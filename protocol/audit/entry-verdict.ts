/**
 * The split of the verifier's work (docs/EXPORT.md §3): each entry's own checks (signature, code,
 * QR, decoding, record and invoice rules) depend on no other entry, so they may run anywhere, in any
 * order, on any thread; the checks across entries (chain, counters, credit ledger, days) take the
 * results in file order on one. This file is that contract: `entryVerdictOf` and `checkEntryBatch`
 * do the first part and give plain data (it crosses a thread by structured clone), and
 * `ExportVerifier.addVerdict` takes it. Pure: where the batches run is the caller's business.
 */
import { type CheckedEntry, checkEntry, type EntryContext } from "./entry-check.js";
import type { RecordFailure } from "./report.js";

export type { CheckedEntry, EntryContext } from "./entry-check.js";

/** What one entry's own checks found. */
export interface EntryVerdict {
  /** The entry's place in the file, from 0: the verifier insists on taking verdicts in that order. */
  readonly index: number;
  /** Its failures in the order the checks found them (the report's sort keeps that order within a reason). */
  readonly failures: readonly RecordFailure[];
  /** What the checks across entries need of it; null when it cannot be read. */
  readonly checked: CheckedEntry | null;
  /** For an entry that cannot be read, the fiscal number it claims (so it is not reported missing too). */
  readonly claimed: number | null;
}

/** Checks one entry on its own. Never throws for bad content: it reports it. */
export function entryVerdictOf(raw: unknown, index: number, ctx: EntryContext): EntryVerdict {
  const failures: RecordFailure[] = [];
  const checked = checkEntry(raw, index, ctx, (reason, message, fn = null) => {
    failures.push({ fiscal_number: fn, index, reason, message });
  });
  let claimed: number | null = null;
  if (checked === null) {
    const given = (raw as { fiscal_number?: unknown } | null)?.fiscal_number;
    if (Number.isSafeInteger(given)) claimed = given as number;
  }
  return { index, failures, checked, claimed };
}

/**
 * Consecutive entries of one export, for their own checks. The line reader sends each entry's JSON
 * text (parsing is part of the work it hands out); a document parsed whole sends the values.
 */
export interface EntryBatch {
  readonly context: EntryContext;
  /** The index of the batch's first entry in the file. */
  readonly first: number;
  readonly entries: readonly unknown[];
  /** Whether `entries` are JSON texts to parse, not values. */
  readonly text: boolean;
}

/** The JSON value of `text` (an entry's line, the header's), or undefined when it is not JSON. */
export function parseJsonText(text: string): { readonly value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * Each entry's verdict, in batch order; null for a text that is not JSON (the line reader then gives
 * up on the layout, as it does on this thread: the batch stops there).
 */
export function checkEntryBatch(batch: EntryBatch): (EntryVerdict | null)[] {
  const verdicts: (EntryVerdict | null)[] = [];
  for (const [i, entry] of batch.entries.entries()) {
    const raw = batch.text ? parseJsonText(entry as string) : { value: entry };
    if (raw === undefined) {
      verdicts.push(null);
      break;
    }
    verdicts.push(entryVerdictOf(raw.value, batch.first + i, batch.context));
  }
  return verdicts;
}

/**
 * Where batches of entries are checked: by default on the verifier's own thread; the CLI hands them
 * to worker threads (cli/verify-pool.ts). `check` resolves to `checkEntryBatch(batch)`, or rejects
 * when it cannot (a worker died): the verification then fails, it never hangs or guesses.
 */
export interface EntryChecks {
  /** Entries per batch: large enough that the hand-over costs little next to the checks. */
  readonly entriesPerBatch: number;
  /** Batches handed out before the oldest one's verdicts are awaited (keeps every thread busy). */
  readonly batchesInFlight: number;
  check(batch: EntryBatch): Promise<readonly (EntryVerdict | null)[]>;
}
