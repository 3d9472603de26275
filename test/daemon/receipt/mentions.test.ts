/**
 * Every mandatory mention of a normalized invoice (SFE §1.2 a–x, ../shared/DRC-RULES.md §3.1), with
 * the fixtures' values written out here by hand, appears in every format: text, HTML (its text),
 * PDF (pdftotext) and ESC/POS (the printed characters).
 */
import { describe, expect, it } from "vitest";
import { renderEscposReceipt } from "../../../daemon/receipt/escpos.js";
import { renderHtmlReceipt } from "../../../daemon/receipt/html.js";
import { renderPdfReceipt } from "../../../daemon/receipt/pdf.js";
import { renderTextReceipt } from "../../../daemon/receipt/text.js";
import { receiptViewOf } from "../../../daemon/receipt/view.js";
import { fixtureInput } from "./fixtures.js";
import { pdfText } from "./raster.js";

/** §3.1 item → the texts that must appear, for the PM sale with USD printed as a copy. */
const SALE_MENTIONS: Readonly<Record<string, readonly string[]>> = {
  "a company name": ["Quincaillerie du Fleuve"],
  "b company NIF": ["NIF : A1234567B"],
  "c place of sale": ["12, avenue du Commerce, Gombe, Kinshasa"],
  "d phone, address, email": [
    "+243 81 000 0000",
    "3, boulevard du 30 Juin, Kinshasa",
    "contact@fleuve.example",
  ],
  "e client": ["[PM] Personne morale", "Kin Import SARL", "A7654321C"],
  "f DUPLICATA": ["DUPLICATA"],
  "k number": ["2026-000980"],
  "l lines": [
    "Sac de riz 25 kg",
    "[BIE] Biens, groupe B",
    "2 × 28 500,00",
    "57 000,00",
    "Remise fidélité 5 %",
    "30 000,00",
  ],
  "m-o per group": ["B – Taxable 16 %", "62 068,97", "16 %", "9 931,03", "A – Exonéré"],
  "p total TTC": ["75 600,00 CDF"],
  "q total in words": ["soixante-quinze mille six cents francs congolais"],
  "r USD and rate": ["10,00 USD", "2 850 CDF/USD", "01/12/2026"],
  "s payment modes": ["Espèces", "Mobile money", "47 100,00"],
  "t specific tax": ["Taxe spécifique : 500,00"],
  "u date and time": ["01/12/2026 14:05:33 (UTC+01:00)"],
  "v ISF": ["ISF : ISF-0042"],
  "w operator": ["Mireille Kabeya"],
  "x security elements": [
    "CODE DEF/DGI : K7Q2M9X4C1V8B3N6P5R0T2W0",
    "DEF NID : DEF-51180116",
    "DEF Compteurs : 300/1200 FV",
    "DEF Heure : 01/12/2026 14:05:33",
    "1200",
  ],
  "price mode (§1.5.4)": ["Prix TTC"],
  "comment lines (EG1.24)": ["Livraison le 3 décembre"],
};
/** The labels of the other types (§3.1 g–i). */
const LABELS: Readonly<Record<string, readonly string[]>> = {
  "credit-cor": ["FACTURE D'AVOIR", "COR – Correction", "ORIG7Q2M9X4C1V8B3N6P5R0T"],
  "export-ao": [
    "FACTURE EXPORTATION",
    "[AO] Ambassades et organisations internationales",
    "Réf. Exo. : EXO-2026-0815",
  ],
  "export-advance": ["FACTURE D'ACOMPTE EXPORTATION"],
  "advance-ht": ["FACTURE D'ACOMPTE", "Prix HT"],
  "export-credit-rrr": ["FACTURE D'AVOIR EXPORTATION", "RRR"],
};

/** Whitespace of any kind (line breaks and indentation of wrapped lines too) as one space. */
const flat = (text: string): string => text.replace(/[\s\u00a0\u202f]+/g, " ");

function htmlText(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

// What the encoder sends besides text: ESC @, ESC E/a/M/t/!/- n, FS ., GS V m n, a raster header
// (GS v 0 m xL xH yL yH), and control bytes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC/POS commands are control bytes.
const COMMANDS = /\x1dv0[\s\S]{5}|\x1b@|\x1b[EaMt!-].|\x1c\.|\x1dV../g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control bytes between lines.
const CONTROLS = /[\x00-\x1f]/g;

/** The characters an ESC/POS stream prints, its commands removed. */
function escposText(bytes: Uint8Array): string {
  return (
    Buffer.from(bytes)
      .toString("latin1")
      .replace(COMMANDS, "")
      .replace(CONTROLS, " ")
      // The no-break space of amounts: 0xFF in code page 437, 0xA0 in the Windows ones.
      .replace(/[\xa0\xff]/g, " ")
  );
}

/** A mention as a pattern over ESC/POS text: each non-ASCII character is one code-page byte. */
function escposPattern(mention: string): RegExp {
  const body = [...flat(mention)]
    .map((c) => (c.charCodeAt(0) > 0x7e ? "[\\x80-\\xff ]" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(body.replace(/ /g, " +"));
}

async function formatsOf(name: string): Promise<Record<string, string>> {
  const view = receiptViewOf(fixtureInput(name, { kind: "duplicata", copyNumber: 2 }));
  return {
    text: flat(renderTextReceipt(view, 32)),
    html: flat(htmlText(renderHtmlReceipt(view, "<svg></svg>"))),
    pdf: flat(pdfText(await renderPdfReceipt(view, new Date("2026-12-01T13:05:33Z")))),
    escpos: flat(escposText(renderEscposReceipt(view, 42))),
  };
}

describe("the mandatory mentions", () => {
  it.each(Object.entries(SALE_MENTIONS))("%s appear in every format", async (_, mentions) => {
    const formats = await formatsOf("sale-ttc-pm-usd");
    for (const mention of mentions) {
      expect(formats.text, `text: ${mention}`).toContain(flat(mention));
      expect(formats.html, `html: ${mention}`).toContain(flat(mention));
      expect(formats.pdf, `pdf: ${mention}`).toContain(flat(mention));
      expect(formats.escpos, `escpos: ${mention}`).toMatch(escposPattern(mention));
    }
  });

  it.each(Object.entries(LABELS))("the label of %s appears in every format", async (name, mentions) => {
    const formats = await formatsOf(name);
    for (const mention of mentions) {
      expect(formats.text, `text: ${mention}`).toContain(flat(mention));
      expect(formats.html, `html: ${mention}`).toContain(flat(mention));
      expect(formats.pdf, `pdf: ${mention}`).toContain(flat(mention));
      expect(formats.escpos, `escpos: ${mention}`).toMatch(escposPattern(mention));
    }
  });
});
