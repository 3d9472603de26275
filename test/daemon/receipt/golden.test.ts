/**
 * Golden receipts: every fixture (each DGI type, both price modes, USD, a PM client) in text, HTML,
 * PDF and ESC/POS, compared byte for byte with the files in golden/, which were reviewed by eye.
 * `UPDATE_GOLDEN=1` rewrites them after a deliberate change; review the diff before committing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderEscposReceipt } from "../../../daemon/receipt/escpos.js";
import { renderHtmlReceipt } from "../../../daemon/receipt/html.js";
import { renderPdfReceipt } from "../../../daemon/receipt/pdf.js";
import { renderQrSvg } from "../../../daemon/receipt/qr.js";
import { renderTextReceipt } from "../../../daemon/receipt/text.js";
import { receiptViewOf } from "../../../daemon/receipt/view.js";
import { FIXTURE_NAMES, fixtureInput } from "./fixtures.js";

const DIR = join(import.meta.dirname, "golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

function matchesGolden(file: string, actual: Uint8Array): void {
  const path = join(DIR, file);
  if (UPDATE) writeFileSync(path, actual);
  expect(existsSync(path), `${file} is missing: run UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(Buffer.from(actual).equals(readFileSync(path)), `${file} differs from its golden file`).toBe(true);
}

describe.each(FIXTURE_NAMES)("the golden receipt %s", (name) => {
  const view = receiptViewOf(fixtureInput(name));
  it("in text, 48 and 32 characters", () => {
    matchesGolden(`${name}.48.txt`, Buffer.from(renderTextReceipt(view, 48)));
    matchesGolden(`${name}.32.txt`, Buffer.from(renderTextReceipt(view, 32)));
  });
  it("in HTML", async () => {
    matchesGolden(`${name}.html`, Buffer.from(renderHtmlReceipt(view, await renderQrSvg(view.qr))));
  });
  it("in PDF", async () => {
    matchesGolden(`${name}.pdf`, await renderPdfReceipt(view, new Date("2026-12-01T13:05:33Z")));
  });
  it("in ESC/POS", () => {
    matchesGolden(`${name}.escpos`, renderEscposReceipt(view, 48));
  });
});

describe("every line of a text receipt", () => {
  it.each(FIXTURE_NAMES)("fits its width (%s)", (name) => {
    const view = receiptViewOf(fixtureInput(name, { kind: "duplicata", copyNumber: 3 }, "en"));
    for (const width of [32, 42, 48] as const) {
      for (const line of renderTextReceipt(view, width).split("\n"))
        expect([...line].length, `${JSON.stringify(line)} at ${width}`).toBeLessThanOrEqual(width);
    }
  });
});
