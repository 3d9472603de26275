/**
 * The printed fiscal-day reports (daemon/receipt/report-view.ts, report-render.ts): every mention the
 * SFE asks of an X or Z report (§1.3.3 a–m, ../shared/DRC-RULES.md §7) and of an A report (§1.4.2)
 * appears in the text (at each width), HTML and PDF renderings, worded as written here by hand, with
 * amounts in fr-CD and the time in the shop's zone.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  renderHtmlReport,
  renderPdfReport,
  renderTextReport,
} from "../../../daemon/receipt/report-render.js";
import { reportDocumentOf } from "../../../daemon/receipt/report-view.js";
import { reportView } from "../../../daemon/reports/views.js";
import { posSale, ServiceHarness, TEST_SFE } from "../fiscal/harness.js";
import { pdfText } from "./raster.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

const SELLER = { name: TEST_SFE.seller.name, address: TEST_SFE.seller.address };
/** NBSP and NNBSP as plain spaces, runs of spaces as one: the words a reader sees. */
const words = (text: string): string => text.replace(/[\u00a0\u202f]/g, " ").replace(/\s+/g, " ");
const htmlWords = (html: string): string =>
  words(
    html
      .replace(/<style>[\s\S]*?<\/style>/, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/&#39;/g, "'"),
  );

async function renderings(view: ReturnType<typeof reportView>): Promise<Record<string, string>> {
  const doc = reportDocumentOf(view, SELLER, "fr", "Africa/Kinshasa");
  return {
    text32: words(renderTextReport(doc, 32)),
    text48: words(renderTextReport(doc, 48)),
    html: htmlWords(renderHtmlReport(doc)),
    pdf: words(pdfText(await renderPdfReport(doc, new Date(view.issued_at)))),
  };
}

describe("the printed Z report", () => {
  it("carries every mention of SFE §1.3.3 in each format", async () => {
    await h.service.fiscalise(posSale(23_200), "R-1", h.caller);
    const sale = await h.service.fiscalise(posSale(11_600), "R-2", h.caller);
    await h.service.fiscalise(
      {
        ...posSale(11_600),
        type: "CREDIT",
        reference: { nature: "RAM", fiscal_number: sale.invoice.fiscal!.fiscal_number, reason: "retour" },
      },
      "C-1",
      h.caller,
    );
    const { z } = await h.dayReports.closeDay("test");
    const mentions = [
      SELLER.name, // a: business name
      "NIF A1234567B", // a: NIF
      "Date et heure", // a: date and time, in the shop's zone
      "(UTC+01:00)",
      "RAPPORT Z n° 1", // b: which report
      "Période depuis", // c: the period
      "Factures n° 1 à 3 (3 factures)",
      `ISF ${TEST_SFE.isf}`, // c: ISF
      "FV FACTURE", // d: per invoice type
      "FA FACTURE D'AVOIR",
      "Total TTC 348,00", // d: total of the sales type: 232.00 + 116.00
      "Dont TVA 48,00",
      "Nombre 2", // f: count per type
      "Ventes par groupe de taxation", // e: per group
      "Base HT 300,00",
      "Encaissements par mode de paiement", // g: payments per mode
      "Espèces (2) 348,00",
      "Remboursements par mode de paiement",
      "Espèces (1) 116,00",
      "Avoirs par nature", // i: other records that reduced the sales
      "RAM",
      "Réductions commerciales (0 ligne) 0,00", // h: commercial reductions
      "Ventes incomplètes 0", // m: incomplete sales
      "Net (ventes moins avoirs) 232,00",
      "DEF NID",
      "Chiffres conformes aux factures du service",
    ];
    const rendered = await renderings(reportView(z));
    for (const [format, text] of Object.entries(rendered)) {
      const missing = mentions.filter((m) => !text.includes(m));
      expect(missing, `${format} lacks`).toEqual([]);
    }
  });

  it("an X says it closes nothing and which Z will; an A report lists the articles and leaves stock to the POS", async () => {
    await h.service.fiscalise(posSale(11_600), "R-1", h.caller);
    const x = await renderings(reportView(await h.dayReports.readDay()));
    for (const text of Object.values(x)) {
      expect(text).toContain("RAPPORT X");
      expect(text).toContain("non clôturée : le Z n° 1 la clôturera");
    }
    const a = await h.dayReports.articles("test");
    const printed = await renderings(reportView(a, { number: a.number, lines: a.lines }));
    for (const text of Object.values(printed)) {
      expect(text).toContain("A-RAPPORT");
      expect(text).toContain("Sac de riz");
      expect(text).toContain("116,00 · B 16 % · TTC");
      expect(text).toContain("Vendu 1 116,00");
      expect(text).toContain("Les quantités en stock sont tenues par la caisse (POS).");
    }
  });
});
