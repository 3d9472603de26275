/**
 * `stalela verify EXPORT [--pubkey HEX] [--threads N] [--json]`: checks a journal export offline
 * (docs/EXPORT.md), independently of any daemon or device. Exit 0 when everything verifies, 5
 * (VERIFICATION) with a per-record report otherwise. Progress goes to stderr on a terminal only, so a
 * pipe stays clean. A file in the exporter's layout is read line by line, so a million records verify
 * without the document in memory; any other layout is parsed whole. Either way each entry's own
 * checks run on N worker threads (cli/verify-pool.ts; one per core by default, none with 1), and the
 * report is the same whatever N.
 */

import { createReadStream, readFileSync } from "node:fs";
import { access, constants } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import { type Command, InvalidArgumentError } from "commander";
import { type Lang, t } from "../../protocol/i18n/index.js";
import {
  type DocumentIssueReason,
  EXPORT_FORMAT,
  type ExportVerification,
  FiscalError,
  publicKeyFromHex,
  type RecordFailure,
  type RecordFailureReason,
  type ReportFailureReason,
  type VerifyProgress,
  verifyExport,
  verifyExportLines,
  verifyExportWith,
} from "../../protocol/index.js";
import { afterHelp, helpKey } from "../help.js";
import { readerLang } from "../lang.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import { EntryCheckThreadError, ExportCheckPool } from "../verify-pool.js";

/** Entries between two progress redraws: often enough to look alive, rarely enough to cost nothing. */
const PROGRESS_EVERY_RECORDS = 250;

/** Most worker threads `--threads` takes: far more than any auditor's machine has cores. */
export const MAX_VERIFY_THREADS = 256;

interface VerifyOptions extends OutputOptions {
  readonly pubkey?: string;
  readonly threads?: number;
}

/** Parses a --threads value: an integer from 1 to MAX_VERIFY_THREADS (a usage error otherwise). */
export function threadCount(text: string): number {
  const n = /^[1-9]\d{0,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n <= MAX_VERIFY_THREADS))
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_VERIFY_THREADS}`);
  return n;
}

/** Parses a --pubkey value; a bad one is a usage error (exit 2). */
export function pinnedKeyOf(hex: string | undefined): Uint8Array | undefined {
  if (hex === undefined) return undefined;
  try {
    return publicKeyFromHex(hex);
  } catch {
    throw new FiscalError(
      "FIELD_TYPE",
      "--pubkey must be a 32-byte Ed25519 public key in hex (64 characters)",
    );
  }
}

/** A progress printer for a terminal, or nothing when stderr is not one (or --json is set). */
export function terminalProgress(label: string, json: boolean | undefined): VerifyProgress | undefined {
  if (json === true || process.stderr.isTTY !== true) return undefined;
  return (done, total) => {
    if (done % PROGRESS_EVERY_RECORDS === 0 || done === total) {
      process.stderr.write(`\r${label} ${done}/${total}${done === total ? "\n" : ""}`);
    }
  };
}

/** Record failures of one reason listed one by one before the rest are counted (--json lists all). */
export const FAILURES_LISTED_PER_REASON = 20;

/** `1–3, 5, 9–12`: fiscal numbers as ranges, so thousands of them stay one short line. */
export function numberRanges(numbers: readonly number[]): string {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/** Reasons that leave an entry undecoded, so that it has no signature to check. */
const UNREADABLE = new Set(["malformed", "non_canonical", "not_a_record"]);

/**
 * The one cause behind every signature failure, when there is one: not a single readable record
 * verifies under the key, so the key is wrong (a wrong --pubkey, or a file re-signed with another
 * key), not thousands of records. Then each record's signature and QR-signature failures say nothing
 * more and are summed up in one line; every other problem is still listed.
 */
export function wrongKeyCause(r: ExportVerification, lang: Lang = readerLang()): string | undefined {
  const unreadable = new Set(r.failures.filter((f) => UNREADABLE.has(f.reason)).map((f) => f.index));
  const readable = r.counts.records - unreadable.size;
  const badSignatures = new Set(r.failures.filter((f) => f.reason === "signature").map((f) => f.index)).size;
  if (readable === 0 || badSignatures < readable) return undefined;
  return (
    t(lang, "verify.wrong_key", { bad: badSignatures, readable }) +
    t(lang, r.key_source === "pinned" ? "verify.wrong_key.pinned" : "verify.wrong_key.file")
  );
}

/** Failures a wrong key explains: each record's signature, and its QR's signature. */
function keyCaused(f: RecordFailure): boolean {
  return (
    f.reason === "signature" || (f.reason === "qr_invalid" && /signature does not verify/.test(f.message))
  );
}

/** What a failure reason means, for the summary's legend (docs/EXPORT.md §3 has the full table). */
export function reasonMeaning(
  reason: RecordFailureReason | ReportFailureReason | DocumentIssueReason,
  lang: Lang,
): string {
  return t(lang, `verify.reason.${reason}`);
}

/** How a report failure names its report: `Z 12`, `M 3`, `Y 1`. */
const REPORT_SHORT: Readonly<Record<string, string>> = {
  Z_REPORT: "Z",
  MONTH_CLOSURE: "M",
  YEAR_CLOSURE: "Y",
};

/** Unchecked credit notes listed one by one before the rest are counted. */
const UNCHECKED_LISTED = 20;

/** The report as lines for people: each distinct problem once, repeated ones counted. */
export function humanReport(file: string, r: ExportVerification, lang: Lang = readerLang()): string[] {
  const lines = [`${file}: ${t(lang, r.ok ? "verify.verified" : "verify.failed")}`];
  if (r.device_id !== null && r.range !== null) {
    const { from, to, last_on_device: last } = r.range;
    const partial = to < last ? t(lang, "verify.partial", { last: String(last) }) : "";
    const values = {
      device: r.device_id,
      from: String(from),
      to: String(to),
      partial,
      records: r.counts.records,
    };
    lines.push(`  ${t(lang, "verify.device", values)}`);
  }
  const key = r.public_key ?? t(lang, "verify.key.none");
  lines.push(
    `  ${t(lang, r.key_source === "pinned" ? "verify.key.pinned" : "verify.key.file", { key })}`,
    `  ${t(lang, "verify.counts", { verified: String(r.counts.verified), failed: String(r.counts.failed), missing: String(r.counts.missing) })}`,
    `  ${r.genesis_checked ? t(lang, "verify.genesis") : t(lang, "verify.no_genesis", { from: String(r.range?.from ?? "?") })}`,
  );
  if (r.chain.last_hash !== null) lines.push(`  ${t(lang, "verify.last_hash", { hash: r.chain.last_hash })}`);
  if (r.counts.printed > 0) {
    const values = { printed: String(r.counts.printed), duplicates: String(r.counts.duplicates) };
    lines.push(`  ${t(lang, "verify.prints", values)}`);
  }
  if (r.format === EXPORT_FORMAT) {
    const { reports: rep } = r;
    const values = {
      z: String(rep.z),
      months: String(rep.month_closures),
      years: String(rep.year_closures),
      checked: String(rep.days_checked),
      unchecked: String(rep.days_unchecked),
      open: String(rep.open_day_records),
    };
    lines.push(`  ${t(lang, "verify.reports", values)}`);
  }
  for (const issue of r.document_issues) lines.push(`  FILE    ${issue.reason}: ${issue.message}`);
  const cause = wrongKeyCause(r, lang);
  if (cause !== undefined) lines.push(`  KEY     ${cause}`);
  const listed = new Map<string, number>();
  const unlisted = new Map<string, number>();
  for (const f of r.failures) {
    if (cause !== undefined && keyCaused(f)) continue;
    const n = listed.get(f.reason) ?? 0;
    if (n < FAILURES_LISTED_PER_REASON) {
      listed.set(f.reason, n + 1);
      lines.push(`  #${String(f.fiscal_number ?? "?").padEnd(6)} ${f.reason}: ${f.message}`);
    } else unlisted.set(f.reason, (unlisted.get(f.reason) ?? 0) + 1);
  }
  for (const f of r.reports.failures) {
    const name = f.kind === null ? "?" : `${REPORT_SHORT[f.kind] ?? f.kind} ${f.number ?? ""}`.trim();
    lines.push(`  ${name.padEnd(7)} ${f.reason}: ${f.message}`);
  }
  for (const [reason, n] of unlisted) lines.push(`  ${t(lang, "verify.more", { count: String(n), reason })}`);
  if (r.bad_fiscal_numbers.length > 0)
    lines.push(`  ${t(lang, "verify.bad_records", { ranges: numberRanges(r.bad_fiscal_numbers) })}`);
  const unchecked = r.unchecked_credits;
  if (unchecked.length > 0) {
    lines.push(`  ${t(lang, "verify.unchecked", { count: unchecked.length })}`);
    for (const c of unchecked.slice(0, UNCHECKED_LISTED)) {
      const where = t(
        lang,
        c.why === "before_range" ? "verify.unchecked.before_range" : "verify.unchecked.other_device",
      );
      lines.push(
        `    #${c.fiscal_number} → ${c.references.device_id} #${c.references.fiscal_number} (${where})`,
      );
    }
    if (unchecked.length > UNCHECKED_LISTED)
      lines.push(
        `    ${t(lang, "verify.unchecked.more", { count: String(unchecked.length - UNCHECKED_LISTED) })}`,
      );
  }
  const reasons = new Set<RecordFailureReason | ReportFailureReason | DocumentIssueReason>([
    ...r.document_issues.map((i) => i.reason),
    ...r.failures.filter((f) => cause === undefined || !keyCaused(f)).map((f) => f.reason),
    ...r.reports.failures.map((f) => f.reason),
  ]);
  if (reasons.size > 0) {
    lines.push(`  ${t(lang, "verify.reasons")}`);
    for (const reason of reasons) lines.push(`    ${reason}: ${reasonMeaning(reason, lang)}`);
  }
  return lines;
}

/** The file's lines, read as a stream. */
async function* fileLines(file: string): AsyncGenerator<string, void, void> {
  const input = createReadStream(file, { encoding: "utf8" });
  try {
    yield* createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  } finally {
    input.destroy();
  }
}

/**
 * Verifies `file`: line by line in the exporter's layout, else parsed whole; each entry's own checks
 * on `threads` worker threads, or on this thread alone with 1.
 */
export async function verifyExportFile(
  file: string,
  publicKey: Uint8Array | undefined,
  onProgress: VerifyProgress | undefined,
  threads = 1,
): Promise<ExportVerification> {
  const pool = threads > 1 ? new ExportCheckPool(threads) : null;
  pool?.start();
  try {
    await access(file, constants.R_OK);
    const checks = pool ?? undefined;
    const streamed = await verifyExportLines(fileLines(file), { publicKey, onProgress, checks });
    if (streamed !== null) return streamed;
    const text = readFileSync(file, "utf8");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      doc = { not_json: (err as Error).message };
    }
    const options = { publicKey, onProgress };
    return pool === null ? verifyExport(doc, options) : await verifyExportWith(doc, pool, options);
  } catch (err) {
    // A thread that failed is no unreadable file: it ends the command as the failure it is.
    if (err instanceof EntryCheckThreadError) throw err;
    throw new FiscalError("FIELD_REQUIRED", `cannot read ${file}: ${(err as Error).message}`);
  } finally {
    await pool?.stop();
  }
}

/** Registers `verify`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("help.verify")
    .argument("<export>", "help.verify.export")
    .option("--pubkey <hex>", "help.verify.pubkey")
    .option(
      "--threads <n>",
      helpKey("help.verify.threads", {
        cores: String(availableParallelism()),
        max: String(MAX_VERIFY_THREADS),
      }),
      threadCount,
    )
    .option("--json", "help.verify.json")
    .addHelpText("after", afterHelp("help.verify.after"))
    .action((file: string, opts: VerifyOptions) =>
      runAction(opts, async () => {
        const publicKey = pinnedKeyOf(opts.pubkey);
        const progress = terminalProgress("verifying", opts.json);
        const threads = opts.threads ?? availableParallelism();
        const report = await verifyExportFile(file, publicKey, progress, threads);
        printResult(opts, report, () => humanReport(file, report));
        process.exitCode = report.ok ? EXIT.OK : EXIT.VERIFICATION;
      }),
    );
}
