/**
 * `stalela verify EXPORT [--pubkey HEX] [--json]`: checks a journal export offline (docs/EXPORT.md),
 * independently of any daemon or device. Exit 0 when everything verifies, 5 (VERIFICATION) with a
 * per-record report otherwise. Progress goes to stderr on a terminal only, so a pipe stays clean.
 * A file in the exporter's layout is read line by line, so a million records verify without the
 * document in memory; any other layout is parsed whole.
 */
import { createReadStream, readFileSync } from "node:fs";
import { access, constants } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import {
  type DocumentIssueReason,
  type ExportVerification,
  FiscalError,
  publicKeyFromHex,
  type RecordFailure,
  type RecordFailureReason,
  type VerifyProgress,
  verifyExport,
  verifyExportLines,
} from "../../protocol/index.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";

/** Entries between two progress redraws: often enough to look alive, rarely enough to cost nothing. */
const PROGRESS_EVERY_RECORDS = 250;

interface VerifyOptions extends OutputOptions {
  readonly pubkey?: string;
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
export function wrongKeyCause(r: ExportVerification): string | undefined {
  const unreadable = new Set(r.failures.filter((f) => UNREADABLE.has(f.reason)).map((f) => f.index));
  const readable = r.counts.records - unreadable.size;
  const badSignatures = new Set(r.failures.filter((f) => f.reason === "signature").map((f) => f.index)).size;
  if (readable === 0 || badSignatures < readable) return undefined;
  return (
    `no record verifies under this key (${badSignatures} of ${readable} signatures fail): ` +
    (r.key_source === "pinned"
      ? "wrong --pubkey? Pin the key registered for this device"
      : "the file's key is not the one that signed its records")
  );
}

/** Failures a wrong key explains: each record's signature, and its QR's signature. */
function keyCaused(f: RecordFailure): boolean {
  return (
    f.reason === "signature" || (f.reason === "qr_invalid" && /signature does not verify/.test(f.message))
  );
}

/** What each failure reason means, for the summary's legend (docs/EXPORT.md §3 has the full table). */
export const REASON_MEANINGS: Readonly<Record<RecordFailureReason | DocumentIssueReason, string>> = {
  malformed: "the entry is not a well-formed export entry (a missing or unknown field, bad base64url)",
  non_canonical: "the record bytes are CBOR but not in deterministic encoding",
  not_a_record: "the record bytes are not a fiscal record",
  index_mismatch: "the entry's fiscal_number is not the signed one",
  signature: "the record signature does not verify with the key",
  auth_code: "the printed code is not the one derived from the signature",
  qr_invalid: "the QR does not parse or its signature does not verify",
  qr_mismatch: "the QR is genuine but its fields are another record's",
  chain_break: "prev_hash is not the hash of the record before (or of the activation)",
  counter_gap: "fiscal numbers of the range are missing",
  type_counter_gap: "a per-type counter skips or repeats",
  duplicate: "a fiscal number or an invoice payload appears twice",
  out_of_order: "the entry comes after a higher fiscal number",
  time_backwards: "issued before the record before it, or before the activation",
  foreign_device: "the record names another device, NIF, outlet or fiscal authority",
  out_of_range: "the fiscal number lies outside the declared range",
  tax_table_unknown: "the tax table is not a known version, or not the record version's",
  tax_arithmetic: "a group's rate or tax is not what its tax table and rounding rule give",
  totals_sum: "total or tax total is not the sum of the groups",
  export_group: "an export taxed outside group E, or group E on another type",
  reference_rule: "a credit note without a reference, another type with one, or a nature rule broken",
  credit_exceeds: "with the credit notes before it, more is credited than the original's total",
  void_not_full: "an annulation (VOID, RAN) that does not reverse exactly what remained",
  credit_reference:
    "the credit note references a type it may not credit, a later record, or one not in the file",
  credit_currency: "the credit note is in another currency than its original",
  duplicate_client_ref: "the client_ref was already sealed",
  invoice_missing: "a version-2 record whose entry carries no invoice",
  payload_hash: "the invoice bytes do not hash to the record's payload_hash",
  invoice_invalid: "the invoice fails the device's own validation (code in the message)",
  invoice_mismatch: "the record says something else than its invoice",
  credit_lines: "a credited line is not on the original, changes its price, or exceeds what was sold",
  prints_invalid: "the receipt log (/3 prints) is malformed, misnumbered or out of time order",
  format:
    "not a /1, /2 or /3 export, a header field missing, mistyped or unknown, or exported_at not ISO 8601",
  public_key: "the file's key is malformed, or is not the pinned key",
  activation: "the activation record is malformed, unsigned, or names another key or device",
  range: "the declared range is inconsistent",
};

/** Unchecked credit notes listed one by one before the rest are counted. */
const UNCHECKED_LISTED = 20;

/** The report as lines for people: each distinct problem once, repeated ones counted. */
export function humanReport(file: string, r: ExportVerification): string[] {
  const lines = [`${file}: ${r.ok ? "VERIFIED" : "VERIFICATION FAILED"}`];
  if (r.device_id !== null && r.range !== null) {
    const { from, to, last_on_device: last } = r.range;
    const partial = to < last ? ` (the device held ${last}: a partial export)` : "";
    lines.push(
      `  device ${r.device_id}, fiscal numbers ${from}–${to}${partial}, ${r.counts.records} records`,
    );
  }
  lines.push(
    `  key ${r.public_key ?? "(none)"} (${r.key_source === "pinned" ? "pinned with --pubkey" : "taken from the file: pin the registered key with --pubkey"})`,
    `  verified ${r.counts.verified}, failed ${r.counts.failed}, missing ${r.counts.missing}`,
    r.genesis_checked
      ? "  chain checked from the activation record (genesis)"
      : `  chain checked from fiscal number ${r.range?.from ?? "?"} on; the genesis was not checked`,
  );
  if (r.chain.last_hash !== null) lines.push(`  last hash ${r.chain.last_hash}`);
  if (r.counts.printed > 0)
    lines.push(`  receipts printed ${r.counts.printed}, of which DUPLICATA ${r.counts.duplicates}`);
  for (const issue of r.document_issues) lines.push(`  FILE    ${issue.reason}: ${issue.message}`);
  const cause = wrongKeyCause(r);
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
  for (const [reason, n] of unlisted)
    lines.push(`  … and ${n} more ${reason} failures (--json lists every one)`);
  if (r.bad_fiscal_numbers.length > 0) lines.push(`  bad records: ${numberRanges(r.bad_fiscal_numbers)}`);
  const unchecked = r.unchecked_credits;
  if (unchecked.length > 0) {
    lines.push(
      `  ${unchecked.length} credit notes reference an original this file does not hold (not checked):`,
    );
    for (const c of unchecked.slice(0, UNCHECKED_LISTED)) {
      const where = c.why === "before_range" ? "before the range" : "another device";
      lines.push(
        `    #${c.fiscal_number} → ${c.references.device_id} #${c.references.fiscal_number} (${where})`,
      );
    }
    if (unchecked.length > UNCHECKED_LISTED)
      lines.push(`    … and ${unchecked.length - UNCHECKED_LISTED} more`);
  }
  const reasons = new Set<RecordFailureReason | DocumentIssueReason>([
    ...r.document_issues.map((i) => i.reason),
    ...r.failures.filter((f) => cause === undefined || !keyCaused(f)).map((f) => f.reason),
  ]);
  if (reasons.size > 0) {
    lines.push("  what the reasons mean:");
    for (const reason of reasons) lines.push(`    ${reason}: ${REASON_MEANINGS[reason]}`);
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

/** Verifies `file`: line by line in the exporter's layout, else parsed whole. */
export async function verifyExportFile(
  file: string,
  publicKey: Uint8Array | undefined,
  onProgress: VerifyProgress | undefined,
): Promise<ExportVerification> {
  try {
    await access(file, constants.R_OK);
    const streamed = await verifyExportLines(fileLines(file), { publicKey, onProgress });
    if (streamed !== null) return streamed;
    const text = readFileSync(file, "utf8");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      doc = { not_json: (err as Error).message };
    }
    return verifyExport(doc, { publicKey, onProgress });
  } catch (err) {
    throw new FiscalError("FIELD_REQUIRED", `cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Registers `verify`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description(
      "verify a journal export offline: signatures, codes, QR, chain, counters, time, tax and totals, invoices, credit notes",
    )
    .argument("<export>", "the export file (`stalela device export --out FILE`)")
    .option("--pubkey <hex>", "verify with this device key (the one the DGI registered), not the file's")
    .option("--json", "machine-readable report on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 verified, 5 verification failed, 2 bad arguments or unreadable file.",
    )
    .action((file: string, opts: VerifyOptions) =>
      runAction(opts, async () => {
        const publicKey = pinnedKeyOf(opts.pubkey);
        const report = await verifyExportFile(file, publicKey, terminalProgress("verifying", opts.json));
        printResult(opts, report, () => humanReport(file, report));
        process.exitCode = report.ok ? EXIT.OK : EXIT.VERIFICATION;
      }),
    );
}
