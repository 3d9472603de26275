/**
 * `stalela invoice receipt` renders from the daemon's store, like the API's route, and counts the
 * same way: the first rendering is the original, every later one a DUPLICATA, a preview nothing; the
 * copies are logged as asked by `cli`.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { ReceiptPrints } from "../../daemon/store/receipt-prints.js";
import { posSale, ServiceHarness } from "../daemon/fiscal/harness.js";
import { runCli, tempFile } from "./run-cli.js";

let h: ServiceHarness;
let sealed: InvoiceView;

beforeAll(async () => {
  h = await new ServiceHarness().start();
  sealed = (await h.service.fiscalise(posSale(11_600), "KEY-RECEIPT-1", h.caller)).invoice;
});
afterAll(() => h.stop());

describe("stalela invoice receipt", () => {
  it("prints a preview, then the original, then a DUPLICATA, in French by default", async () => {
    const preview = await runCli(["invoice", "receipt", "KEY-RECEIPT-1", "--state", h.dir, "--preview"]);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain("APERÇU – NE PAS REMETTRE AU CLIENT");
    const original = await runCli(["invoice", "receipt", "KEY-RECEIPT-1", "--state", h.dir, "--width", "32"]);
    expect(original.code).toBe(0);
    expect(original.stdout).toContain("FACTURE");
    expect(original.stdout).toContain(`CODE DEF/DGI :`);
    expect(original.stdout).not.toContain("DUPLICATA");
    for (const line of original.stdout.trimEnd().split("\n"))
      expect([...line].length).toBeLessThanOrEqual(32);
    const copy = await runCli(["invoice", "receipt", sealed.id, "--state", h.dir, "--lang", "en"]);
    expect(copy.stdout).toContain("DUPLICATA (copy)");
    expect(copy.stdout).toContain("TOTAL incl. VAT (TTC)");
    expect(copy.stderr).toContain("duplicata");
    const log = new ReceiptPrints(h.db).printsOf(sealed.id);
    expect(log.map((p) => [p.copy_number, p.format, p.lang, p.requested_by])).toEqual([
      [1, "text", "fr", "cli"],
      [2, "text", "en", "cli"],
    ]);
  });

  it("writes a PDF to --out, and refuses an unknown width with E323 USAGE", async () => {
    const out = tempFile("receipt.pdf");
    const pdf = await runCli([
      "invoice",
      "receipt",
      "KEY-RECEIPT-1",
      "--state",
      h.dir,
      "--format",
      "pdf",
      "--out",
      out,
    ]);
    expect(pdf.code).toBe(0);
    expect(readFileSync(out).subarray(0, 5).toString("latin1")).toBe("%PDF-");
    const bad = await runCli(["invoice", "receipt", "KEY-RECEIPT-1", "--state", h.dir, "--width", "40"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^stalela: E323 USAGE: /);
  });

  it("refuses an unknown invoice with E115", async () => {
    const run = await runCli(["invoice", "receipt", "NO-SUCH", "--state", h.dir, "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 115, name: "RECORD_NOT_FOUND" } });
  });
});
