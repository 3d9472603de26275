/**
 * `stalela verify EXPORT [--pubkey HEX] [--json]`: checks a journal export offline (docs/EXPORT.md),
 * independently of any daemon or device. Exit 0 when everything verifies, 5 (VERIFICATION) with a
 * per-record report otherwise. Progress goes to stderr on a terminal only, so a pipe stays clean.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import {
  type ExportVerification,
  FiscalError,
  publicKeyFromHex,
  type RecordFailure,
  type VerifyProgress,
  verifyExport,
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
  return lines;
}

/** Registers `verify`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("verify a journal export offline: signatures, auth codes, QR, hash chain, counters, time")
    .argument("<export>", "the export file (`stalela device export --out FILE`)")
    .option("--pubkey <hex>", "verify with this device key (the one the DGI registered), not the file's")
    .option("--json", "machine-readable report on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 verified, 5 verification failed, 2 bad arguments or unreadable file.",
    )
    .action((file: string, opts: VerifyOptions) =>
      runAction(opts, () => {
        const publicKey = pinnedKeyOf(opts.pubkey);
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          throw new FiscalError("FIELD_REQUIRED", `cannot read ${file}: ${(err as Error).message}`);
        }
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch (err) {
          doc = { not_json: (err as Error).message };
        }
        const report = verifyExport(doc, { publicKey, onProgress: terminalProgress("verifying", opts.json) });
        printResult(opts, report, () => humanReport(file, report));
        process.exitCode = report.ok ? EXIT.OK : EXIT.VERIFICATION;
      }),
    );
}
