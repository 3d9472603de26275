/**
 * Verifying an export as the exporter lays it out (docs/EXPORT.md §1): the header, the line
 * `  "records": [`, one entry per line, then `  ]` and `}`. Reading line by line, the verifier holds
 * one entry at a time and a compact summary of the ones before, never the document, so a million
 * records verify in bounded memory. Pure: the caller reads the lines (from a file, a pipe, a test).
 *
 * A document in another layout (reformatted by a JSON tool, say) is still an export: this reader
 * answers `null` for it, and the caller parses the whole text with `verifyExport`. Both readers give
 * the same verdict on the same document; the line reader only refuses to guess.
 */

import type { ExportVerification } from "./report.js";
import { ExportVerifier, type VerifyExportOptions } from "./verify-export.js";

/** The line that ends the header and opens the entries. */
const RECORDS_OPEN = '  "records": [';

/** Parses JSON text, or answers undefined. */
function parse(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * Verifies an export read line by line (without line terminators). Returns null when the text is not
 * in the exporter's layout, so the caller falls back to parsing it whole.
 */
export async function verifyExportLines(
  lines: AsyncIterable<string>,
  options: VerifyExportOptions = {},
): Promise<ExportVerification | null> {
  const header: string[] = [];
  let verifier: ExportVerifier | null = null;
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
      const value = parse(`${header.join("\n").trimEnd().replace(/,$/, "")}\n}`)?.value;
      if (value === null || typeof value !== "object" || Array.isArray(value) || "records" in value)
        return null;
      verifier = new ExportVerifier(value, options);
      const range = (value as { range?: { from?: unknown; to?: unknown } }).range;
      if (typeof range?.from === "number" && typeof range.to === "number") {
        total = Math.max(0, range.to - range.from + 1);
      }
    } else if (closed) {
      if (line !== "}") return null;
      ended = true;
    } else if (line === "  ]") {
      if (comma !== false) return null;
      closed = true;
    } else {
      if (comma === false || !line.startsWith("    {")) return null;
      comma = line.endsWith(",");
      const entry = parse(comma ? line.slice(0, -1) : line);
      if (entry === undefined) return null;
      verifier.add(entry.value, total);
    }
  }
  return verifier !== null && ended ? verifier.finish() : null;
}
