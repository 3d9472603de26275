/**
 * `GET /v1/invoices/{id}/receipt` on a real fiscal service and emulated device: the QR of every
 * format scans back to the sealed record's payload, the first rendering is the original and every
 * later one a DUPLICATA that is counted and logged, and a preview counts nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_INVOICE } from "../../../cli/commands/demo.js";
import { buildApp } from "../../../daemon/http/app.js";
import { ReceiptPrints } from "../../../daemon/store/receipt-prints.js";
import { ServiceHarness } from "../fiscal/harness.js";
import { receiptsFor } from "../http/fakes.js";
import { decodeQr, escposImage, rasterisePdf, screenshotHtml, screenshotText } from "./raster.js";

let h: ServiceHarness;
let app: ReturnType<typeof buildApp>;
const SALE = { ...DEMO_INVOICE, payments: [{ method: "CASH", amount: 5_820_000 }] };

beforeAll(async () => {
  h = await new ServiceHarness().start();
  app = buildApp({
    invoices: h.service,
    receipts: receiptsFor(h.db),
    reports: h.dayReports,
    keys: h.keys,
    status: { status: () => ({}) as never },
    config: { version: "test" },
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  h.stop();
});

async function seal(key: string): Promise<{ id: string; qr: string }> {
  const { invoice } = await h.service.fiscalise(SALE, key, h.caller);
  return { id: invoice.id, qr: invoice.fiscal?.qr ?? "" };
}

function receipt(id: string, query: string, headers: Record<string, string> = {}) {
  return app.inject({
    method: "GET",
    url: `/v1/invoices/${id}/receipt?${query}`,
    headers: { authorization: `Bearer ${h.apiKey}`, host: "127.0.0.1:8765", ...headers },
  });
}

describe("the QR of every format scans back to the record's payload", () => {
  it("text, rendered in a monospace font by Chromium, at 32 and 48 characters", async () => {
    const sale = await seal("QR-TEXT");
    for (const width of [32, 48]) {
      const res = await receipt(sale.id, `format=text&width=${width}&preview=true`);
      expect(res.statusCode).toBe(200);
      expect(decodeQr(screenshotText(res.body))).toEqual([sale.qr]);
    }
  }, 60_000);

  it("HTML, rendered by Chromium", async () => {
    const sale = await seal("QR-HTML");
    const res = await receipt(sale.id, "format=html&preview=true");
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(decodeQr(screenshotHtml(res.body))).toEqual([sale.qr]);
  }, 60_000);

  it("PDF, rasterised by pdftoppm", async () => {
    const sale = await seal("QR-PDF");
    const res = await receipt(sale.id, "format=pdf&preview=true");
    expect(res.headers["content-type"]).toBe("application/pdf");
    expect(decodeQr(rasterisePdf(res.rawPayload))).toEqual([sale.qr]);
  }, 60_000);

  it("ESC/POS, from the raster image the printer prints, at 32 and 48 characters", async () => {
    const sale = await seal("QR-ESCPOS");
    for (const width of [32, 48]) {
      const res = await receipt(sale.id, `format=escpos&width=${width}&preview=true`);
      expect(res.headers["content-type"]).toBe("application/vnd.escpos");
      const image = escposImage(res.rawPayload);
      // It fits the paper: 12 dots per character of font A (384 dots on a 58 mm roll).
      expect(image.widthDots).toBeLessThanOrEqual(width * 12);
      expect(decodeQr(image.path)).toEqual([sale.qr]);
    }
  }, 60_000);
});

describe("originals and duplicates", () => {
  it("prints one original, then only DUPLICATA copies, each counted and logged", async () => {
    const sale = await seal("DUP-1");
    const first = await receipt(sale.id, "format=text");
    expect(first.headers["receipt-copy"]).toBe("original");
    expect(first.headers["receipt-copy-number"]).toBe("1");
    expect(first.body).not.toContain("DUPLICATA");
    expect(first.headers["cache-control"]).toBe("no-store");

    const second = await receipt(sale.id, "format=html");
    expect(second.headers["receipt-copy"]).toBe("duplicata");
    expect(second.headers["receipt-copy-number"]).toBe("2");
    expect(second.body).toContain("DUPLICATA");
    expect(second.body).toContain("Copie n° 2");

    const third = await receipt(sale.id, "format=text&lang=en");
    expect(third.body).toContain("DUPLICATA (copy)");
    expect(third.body).toContain("Copy no. 3");

    const view = h.service.get(sale.id, h.caller);
    expect(view?.receipts).toMatchObject({ printed: 3, duplicates: 2 });
    const log = new ReceiptPrints(h.db).printsOf(sale.id);
    expect(log.map((p) => [p.copy_number, p.format, p.lang])).toEqual([
      [1, "text", "fr"],
      [2, "html", "fr"],
      [3, "text", "en"],
    ]);
    expect(new Set(log.map((p) => p.requested_by))).toEqual(new Set([`api-key:${h.caller.apiKeyId}`]));
  });

  it("counts nothing for a preview, which says it is not a receipt", async () => {
    const sale = await seal("DUP-PREVIEW");
    const preview = await receipt(sale.id, "format=text&preview=true");
    expect(preview.headers["receipt-copy"]).toBe("preview");
    expect(preview.headers["receipt-copy-number"]).toBeUndefined();
    expect(preview.body).toContain("APERÇU – NE PAS REMETTRE AU CLIENT");
    expect(h.service.get(sale.id, h.caller)?.receipts.printed).toBe(0);
    const original = await receipt(sale.id, "format=text");
    expect(original.headers["receipt-copy"]).toBe("original");
  });

  it("gives one original to two requests at once", async () => {
    const sale = await seal("DUP-RACE");
    const copies = await Promise.all([1, 2, 3, 4].map(() => receipt(sale.id, "format=pdf")));
    const kinds = copies.map((c) => c.headers["receipt-copy"]).sort();
    expect(kinds).toEqual(["duplicata", "duplicata", "duplicata", "original"]);
  });

  it("follows Accept-Language when no lang is given, and refuses an unknown format with 422", async () => {
    const sale = await seal("LANG-1");
    const en = await receipt(sale.id, "format=text&preview=true", { "accept-language": "en-GB,en;q=0.9" });
    expect(en.body).toContain("TOTAL incl. VAT (TTC)");
    expect(en.headers["content-language"]).toBe("en");
    expect(en.headers["content-security-policy"]).toContain("default-src 'none'");
    const fr = await receipt(sale.id, "format=text&preview=true", { "accept-language": "de-DE, fr;q=0.5" });
    expect(fr.body).toContain("TOTAL TTC");
    const bad = await receipt(sale.id, "format=docx");
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe(302);
  });

  it("refuses an invoice that is not sealed", async () => {
    const { invoice } = await h.service.prepare(SALE, "NOT-SEALED", h.caller);
    const res = await receipt(invoice.id, "format=text");
    expect(res.statusCode).toBe(404);
    expect(res.json().error.name).toBe("RECORD_NOT_FOUND");
  });
});

describe("qr.svg", () => {
  it("has a width and a height, 256 px by default and `size` when given", async () => {
    const sale = await seal("SVG-1");
    const get = (q: string) =>
      app.inject({
        method: "GET",
        url: `/v1/invoices/${sale.id}/qr.svg${q}`,
        headers: { authorization: `Bearer ${h.apiKey}`, host: "127.0.0.1:8765" },
      });
    expect((await get("")).body).toContain('width="256" height="256"');
    expect((await get("?size=512")).body).toContain('width="512" height="512"');
    expect((await get("?size=10")).statusCode).toBe(422);
  });
});
