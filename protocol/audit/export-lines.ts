/**
 * Verifying an export as the exporter lays it out (docs/EXPORT.md §1): the header, the line
 * `  "records": [`, one entry per line, then `  ]` and `}`. Reading line by line, the verifier holds
 * one entry at a time and a compact summary of the ones before, never the document, so a million
 * records verify in bounded memory. Pure: the caller reads the lines (from a file, a pipe, a test).
 *
 * A document in another layout (reformatted by a JSON tool, say) is still an export: this reader
 * answers `null` for it, and the caller parses the whole text with `verifyExport`. Both readers give
 * the same verdict on the same document; the line reader only refuses to guess.
 *
 * With `checks`, each entry's own checks (its text parsed included) run there, in batches, and the
 * verdicts come back in file order (entry-pipeline.ts): the same report, from more threads.
 */

import { EntryPipeline } from "./entry-pipeline.js";
import { type EntryChecks, parseJsonText } from "./entry-verdict.js";
import type { ExportVerification } from "./report.js";
import { ExportVerifier, type VerifyExportOptions } from "./verify-export.js";

/** Options of `verifyExportLines`. */
export interface VerifyExportLinesOptions extends VerifyExportOptions {
  /** Where the entries' own checks run (entry-verdict.ts); this thread, one by one, when absent. */
  readonly checks?: EntryChecks;
}

/** The line that ends the header and opens the entries. */
const RECORDS_OPEN = '  "records": [';

/**
 * Verifies an export read line by line (without line terminators). Returns null when the text is not
 * in the exporter's layout, so the caller falls back to parsing it whole.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string>,
  options: VerifyExportLinesOptions = {},
): Promise<ExportVerification | null> {
  const { checks, ...verifyOptions } = options;
  const header: string[] = [];
  let verifier: ExportVerifier | null = null;
  let pipeline: EntryPipeline | null = null;
  let total: number | undefined;
  /** After an entry: whether its line ended with the `,` another entry needs (and `]` forbids). */
  let comma: boolean | null = null;
  let closed = false;
  let ended = false;
  for await (const line of lines) {
    if (ended) {
      if (line.trim() !== "") return null;
    } else if (verifier === null) {
      if (line !== RECORDS_OPEN) {
        header.push(line);
        continue;
      }
      // The header lines end with `,` before "records": close the object there.
      const value = parseJsonText(`${header.join("\n").trimEnd().replace(/,$/, "")}\n}`)?.value;
      if (value === null || typeof value !== "object" || Array.isArray(value) || "records" in value)
        return null;
      verifier = new ExportVerifier(value, verifyOptions);
      const range = (value as { range?: { from?: unknown; to?: unknown } }).range;
      if (typeof range?.from === "number" && typeof range.to === "number") {
        total = Math.max(0, range.to - range.from + 1);
      }
      if (checks !== undefined) pipeline = new EntryPipeline(verifier, checks, { text: true, total });
    } else if (closed) {
      if (line !== "}") return null;
      ended = true;
    } else if (line === "  ]") {
      if (comma !== false) return null;
      closed = true;
    } else {
      if (comma === false || !line.startsWith("    {")) return null;
      comma = line.endsWith(",");
      const text = comma ? line.slice(0, -1) : line;
      if (pipeline !== null) {
        await pipeline.push(text);
        if (pipeline.gaveUp) return null;
      } else {
        const entry = parseJsonText(text);
        if (entry === undefined) return null;
        verifier.add(entry.value, total);
      }
    }
  }
  if (verifier === null || !ended) return null;
  if (pipeline !== null) {
    await pipeline.finish();
    if (pipeline.gaveUp) return null;
  }
  return verifier.finish();
}
