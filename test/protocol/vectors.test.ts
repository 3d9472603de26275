/**
 * docs/PROTOCOL.md must agree with the code: its test vectors, its error table and its tax table are
 * generated here and compared. `npm run vectors` (UPDATE_PROTOCOL_DOC=1) rewrites those sections after
 * a deliberate change; the normal run only compares.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildVectors, ERRORS, type ErrorName, isRetryable, TAX_TABLE } from "../../protocol/index.js";

const DOC = new URL("../../docs/PROTOCOL.md", import.meta.url);

function vectorsSection(): string {
  return buildVectors()
    .map((v) => {
      const body = v.format === "hex" ? (v.value.match(/.{1,64}/g) ?? [""]).join("\n") : v.value;
      return `**${v.id}**\n\n\`\`\`${v.format === "json" ? "json" : "text"}\n${body}\n\`\`\``;
    })
    .join("\n\n");
}

function errorSection(): string {
  const rows = (Object.keys(ERRORS) as ErrorName[]).map(
    (n) =>
      `| ${ERRORS[n].code} | ${n} | ${ERRORS[n].http} | ${isRetryable(n) ? "retryable" : "final"} | ${ERRORS[n].text} |`,
  );
  return ["| code | name | http | class | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

function taxSection(): string {
  const rows = Object.entries(TAX_TABLE.groups).map(
    ([g, t]) =>
      `| ${g} | ${(t.rateBp / 100).toFixed(2)} % | ${t.label} | ${t.confirmed ? "published" : "placeholder"} |`,
  );
  return [
    `Table version \`${TAX_TABLE.version}\`.`,
    "",
    "| group | rate | meaning | status |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

const SECTIONS: Record<string, () => string> = {
  vectors: vectorsSection,
  "error-table": errorSection,
  "tax-table": taxSection,
};

function between(doc: string, name: string): string {
  const start = doc.indexOf(`<!-- ${name}:start -->`);
  const end = doc.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`docs/PROTOCOL.md lacks the ${name} markers`);
  return doc.slice(start + `<!-- ${name}:start -->`.length, end).trim();
}

if (process.env.UPDATE_PROTOCOL_DOC === "1") {
  let doc = readFileSync(DOC, "utf8");
  for (const [name, make] of Object.entries(SECTIONS)) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    doc = `${doc.slice(0, doc.indexOf(start) + start.length)}\n${make()}\n${doc.slice(doc.indexOf(end))}`;
  }
  writeFileSync(DOC, doc);
}

describe("docs/PROTOCOL.md agrees with the code", () => {
  const doc = readFileSync(DOC, "utf8");
  it.each(Object.keys(SECTIONS))("its %s section is what the code produces", (name) => {
    expect(between(doc, name)).toBe(SECTIONS[name]!());
  });

  it("documents the vectors it promises", () => {
    const ids = buildVectors().map((v) => v.id);
    expect(ids).toEqual(
      expect.arrayContaining(["frame-info-request", "invoice-payload-hash", "record-signature", "record-qr"]),
    );
    for (const id of ids) expect(doc).toContain(`**${id}**`);
  });
});
