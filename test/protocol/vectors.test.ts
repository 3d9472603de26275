/**
 * docs/PROTOCOL.md must agree with the code: its test vectors, its error table and its tax table are
 * generated here and compared. `npm run vectors` (UPDATE_PROTOCOL_DOC=1) rewrites those sections after
 * a deliberate change; the normal run only compares.
 */

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import {
  buildVectors,
  decodeCanonical,
  ERRORS,
  type ErrorName,
  fromBase64Url,
  fromHex,
  isRetryable,
  SignContext,
  signedMessage,
  TAX_TABLE,
  TAX_TABLE_V2,
} from "../../protocol/index.js";

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

/** The v2 table (what the device computes with), then the v1 table (records sealed before). */
function taxSection(): string {
  const v2 = Object.entries(TAX_TABLE_V2.groups).map(([g, t]) => {
    const rate = t.computation === "rate" ? `${(t.rateBp / 100).toFixed(2)} %` : "—";
    const kinds = t.kinds.length === 0 ? "none" : t.kinds.join(", ");
    const use = t.exportOnly ? `${kinds}; export invoices only` : kinds;
    return `| ${g} | ${t.computation} | ${rate} | ${t.label} | ${use} | ${t.published ? "published" : "inferred"} |`;
  });
  const v1 = Object.entries(TAX_TABLE.groups).map(
    ([g, t]) =>
      `| ${g} | ${(t.rateBp / 100).toFixed(2)} % | ${t.label} | ${t.confirmed ? "published" : "placeholder"} |`,
  );
  return [
    `Table version \`${TAX_TABLE_V2.version}\` (invoices and records v2).`,
    "",
    "| group | computation | rate | meaning | item types | status |",
    "| --- | --- | --- | --- | --- | --- |",
    ...v2,
    "",
    `Table version \`${TAX_TABLE.version}\` (invoices and records v1, sealed before).`,
    "",
    "| group | rate | meaning | status |",
    "| --- | --- | --- | --- |",
    ...v1,
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
      expect.arrayContaining([
        "frame-info-request",
        "invoice-payload-hash",
        "record-signature",
        "record-qr",
        "invoice-v2-pos-json",
        "invoice-v2-canonical-cbor",
        "invoice-v2-payload-hash",
        "record-v2-cbor",
        "record-v2-signature",
        "record-v2-code-def",
        "record-v2-qr",
      ]),
    );
    for (const id of ids) expect(doc).toContain(`**${id}**`);
  });
});

describe("the version-2 vectors agree with each other, checked independently", () => {
  const vectors = new Map(buildVectors().map((v) => [v.id, v.value]));
  const bytes = (id: string): Uint8Array => fromHex(vectors.get(id)!);
  const devicePublicKey = bytes("device-public-key");

  it("the payload hash is SHA-256 of the canonical invoice, and the record binds it", () => {
    const digest = createHash("sha256").update(bytes("invoice-v2-canonical-cbor")).digest();
    expect(vectors.get("invoice-v2-payload-hash")).toBe(digest.toString("hex"));
    const record = decodeCanonical(bytes("record-v2-cbor")) as Record<string, unknown>;
    expect(record.payload_hash).toEqual(new Uint8Array(digest));
  });

  it("the invoice's totals are the TTC arithmetic done by hand", () => {
    const invoice = decodeCanonical(bytes("invoice-v2-canonical-cbor")) as { totals: unknown };
    // B: 2.5 × 350000 = 875000 TTC; base = ⌊(2·875000·10000 + 11600 − 1) / (2·11600)⌋ = 754310
    // (754310.34…), tax = 120690. L: 50000 outside VAT. Total 925000 = 855150 (3.00 USD) + 69850.
    expect(invoice.totals).toEqual({
      total: 925000,
      tax_total: 120690,
      specific_tax_total: 0,
      groups: [
        { group: "B", rate_bp: 1600, base: 754310, tax: 120690, total: 875000 },
        { group: "L", rate_bp: 0, base: 50000, tax: 0, total: 50000 },
      ],
    });
  });

  it("the record signature verifies with tweetnacl, and it chains to the v1 record", () => {
    const message = signedMessage(SignContext.RECORD, bytes("record-v2-cbor"));
    expect(nacl.sign.detached.verify(message, bytes("record-v2-signature"), devicePublicKey)).toBe(true);
    const record = decodeCanonical(bytes("record-v2-cbor")) as Record<string, unknown>;
    expect(record.prev_hash).toEqual(bytes("record-hash"));
    expect(record).toMatchObject({
      v: 2,
      fiscal_number: 2,
      year_number: 1,
      fiscal_year: 2026,
      dgi_type: "FV",
    });
  });

  it("the Code DEF/DGI is 120 bits of SHA-256(signature) in Crockford base32", () => {
    const digest = createHash("sha256").update(bytes("record-v2-signature")).digest();
    const bits = [...digest.subarray(0, 15)].map((b) => b.toString(2).padStart(8, "0")).join("");
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    const code = (bits.match(/.{5}/g) ?? []).map((five) => alphabet[Number.parseInt(five, 2)]).join("");
    expect(vectors.get("record-v2-code-def")).toBe(code);
  });

  it("the QR v2 carries the record's fields and a signature that verifies with tweetnacl", () => {
    const qr = vectors.get("record-v2-qr")!;
    const fields = qr.split(";");
    // issued_at = 2026-01-01T08:30:00Z + 120 s.
    expect(fields.slice(0, 9)).toEqual([
      "RDCDEF01",
      "DEF-0A1B2C3D",
      vectors.get("record-v2-code-def"),
      "A1234567B",
      "20260101083200",
      "2",
      "FV",
      "925000",
      "120690",
    ]);
    const body = new TextEncoder().encode(`${fields.slice(0, 9).join(";")};`);
    const signature = fromBase64Url(fields[9]!);
    expect(nacl.sign.detached.verify(signedMessage(SignContext.QR, body), signature, devicePublicKey)).toBe(
      true,
    );
  });
});
