/**
 * The line-by-line reader of an export (protocol/audit/export-lines.ts): the exporter's layout gives
 * the same report as parsing the whole document; anything it cannot be sure of is `null`, so the
 * caller parses the text whole and the two readers can never disagree on a document.
 */
import { describe, expect, it } from "vitest";
import { journalExportJson } from "../../daemon/export/journal-export.js";
import { type JournalExport, verifyExport, verifyExportLines } from "../../protocol/index.js";
import { sale } from "../emulator/fixtures.js";
import { syntheticJournal, syntheticJournalV2 } from "./synthetic.js";

async function layout(doc: JournalExport): Promise<string> {
  const { records, ...header } = doc;
  const pages = (async function* () {
    yield records;
  })();
  let text = "";
  for await (const chunk of journalExportJson({ header, pages })) text += chunk;
  return text;
}
async function* linesOf(text: string): AsyncGenerator<string, void, void> {
  yield* text.split("\n");
}

describe("verifyExportLines", () => {
  it("gives the whole-document report for the exporter's layout, with progress against the range", async () => {
    const j = syntheticJournalV2([
      { invoice: sale("S-1") },
      { invoice: sale("S-2") },
      { invoice: sale("S-1") },
    ]);
    const text = await layout(j.doc);
    const progress: string[] = [];
    const streamed = await verifyExportLines(linesOf(text), {
      publicKey: j.publicKey,
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });
    expect(streamed).toEqual(verifyExport(JSON.parse(text), { publicKey: j.publicKey }));
    // The same invoice sealed twice: the same payload, and the same client_ref.
    expect(streamed!.failures.map((f) => f.reason)).toEqual(["duplicate", "duplicate_client_ref"]);
    expect(progress).toEqual(["1/3", "2/3", "3/3"]);
  });

  it("answers null for what is not the exporter's layout, JSON or not", async () => {
    const j = syntheticJournal([{}, {}]);
    const text = await layout(j.doc);
    const lines = text.split("\n");
    const entry = lines.findIndex((l) => l.startsWith("    {"));
    const variants = {
      oneLine: JSON.stringify(j.doc),
      // A trailing comma after the last entry is not JSON: parsed whole, it fails too.
      trailingComma: [...lines.slice(0, entry + 2), `${lines[entry + 1]},`, ...lines.slice(entry + 2)]
        .filter((_, i) => i !== entry + 1)
        .join("\n"),
      missingComma: lines.map((l, i) => (i === entry ? l.slice(0, -1) : l)).join("\n"),
      trailingText: `${text}garbage\n`,
      unterminated: lines.slice(0, -3).join("\n"),
      recordsInHeader: text.replace('"format"', '"records": [],\n  "format"'),
    };
    for (const [name, variant] of Object.entries(variants)) {
      expect(await verifyExportLines(linesOf(variant)), name).toBeNull();
    }
    const empty = syntheticJournal([]);
    expect(await verifyExportLines(linesOf(await layout(empty.doc)))).toBeNull();
    expect(await verifyExportLines(linesOf(text), { publicKey: j.publicKey })).toMatchObject({ ok: true });
  });
});
