/**
 * The console's fiscal day and device pages (docs/CONSOLE.md §Reports, §Device): the X report, the
 * day closed once per click (Z 1, then Z 2 of the next day, never Z 1 twice), the printed Z, the A
 * report's lines; the device's identity, self-test and clock; and the journal export downloaded
 * from the console, which the independent verifier accepts with the device key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeReport, fromBase64Url, type JournalExport, verifyExport } from "../../../protocol/index.js";
import { SHOP } from "../../sync/fixtures.js";
import { posSale } from "../fiscal/harness.js";
import { type Browser, ConsoleWorld } from "./world.js";

let w: ConsoleWorld;
let b: Browser;

beforeAll(async () => {
  w = await new ConsoleWorld().start();
  b = w.browser();
  await b.login();
});
afterAll(async () => {
  await w?.stop();
});

const field = (html: string, name: string): string => {
  const m = new RegExp(`data-field="${name}">([^<]*)<`).exec(html);
  if (m === null) throw new Error(`no field ${name}`);
  return m[1]!;
};

describe("reports", () => {
  it("shows the open day, closes it behind a confirmation, once per click, and prints the Z", async () => {
    await w.reports.seal(11_600);
    await w.reports.seal(23_200);
    const before = (await b.get("/console/reports")).body;
    expect(before).toContain("le Z n° 1 la clôturera");
    expect(field(before, "x-invoices")).toBe("1 – 2");
    expect(field(before, "x-sales")).toBe("348,00 CDF");
    expect(before).toMatch(
      /<form method="post" action="\/console\/reports\/z" data-confirm="Clôturer la journée fiscale par le rapport Z n° 1/,
    );
    const closed = await b.post("/console/reports", "/console/reports/z");
    expect(closed.statusCode).toBe(200);
    expect(closed.body).toContain('data-made="Z 1"');
    expect(closed.body).toContain("Ventes 348,00 CDF");
    expect(closed.body).toContain('data-report="Z_REPORT 1"');
    // The next click closes the next day (empty), never day 1 again.
    const again = await b.post("/console/reports", "/console/reports/z");
    expect(again.body).toContain('data-made="Z 2"');
    const printed = await b.get("/console/reports/z/1/print");
    expect(printed.statusCode).toBe(200);
    expect(printed.headers["content-type"]).toContain("text/html");
    expect(printed.body).toContain("RAPPORT Z n° 1");
    expect((await b.get("/console/reports/z/9/print")).statusCode).toBe(404);
    const x = await b.get("/console/reports/x/print");
    expect(x.body).toContain("RAPPORT X");
  });

  it("builds the A report over a range of fiscal numbers", async () => {
    const a = await b.post("/console/reports", "/console/reports/a", { from: "1", to: "2" });
    expect(a.statusCode).toBe(200);
    // One article ("Sac de riz", no code) sold at two unit prices: two lines (PROTOCOL §13.5).
    expect(a.body).toContain("Factures 1 à 2 : 2 article(s).");
    expect(
      [...a.body.matchAll(/data-article="Sac de riz">.*?<td class="num">([^<]+)<\/td>/g)].map((m) => m[1]),
    ).toEqual(["116,00 CDF", "232,00 CDF"]);
    expect((await b.post("/console/reports", "/console/reports/a", { from: "0" })).statusCode).toBe(422);
  });
});

describe("device", () => {
  it("shows the device's identity and clock, runs the self-test and sets the clock", async () => {
    const page = (await b.get("/console/device")).body;
    expect(field(page, "device-id")).toBe(w.harness.device.deviceId);
    expect(field(page, "device-state")).toBe("ACTIVE");
    const test = await b.post("/console/device", "/console/device/self-test");
    expect(test.body).toContain('<p data-field="self-test"><strong>Autotest réussi</strong></p>');
    // This PC's clock (the world's manual one) hours away from the device's: the activated device refuses.
    w.now = Date.now() - 3 * 3_600_000;
    const refused = await b.post("/console/device", "/console/device/time");
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain("E107 TIME_SET_REFUSED");
    w.now = Date.now();
    const set = await b.post("/console/device", "/console/device/time");
    expect(set.body).toContain("Horloge réglée et relue.");
    expect(w.actions()).toContain("device.time.set");
  });

  it("downloads the journal export, which verifies with the device key and carries the receipt log", async () => {
    const h = w.harness;
    const { invoice } = await h.service.fiscalise(posSale(5_800), "EXPORT-1", h.caller);
    const url = `/console/invoices/${invoice.id}`;
    await b.post(url, `${url}/print`);
    const r = await b.get("/console/device/export");
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-disposition"]).toMatch(/^attachment; filename="journal-DEF-[^"]+\.json"$/);
    const doc = JSON.parse(r.body) as JournalExport;
    expect(doc.format).toBe("stalela-journal-export/4");
    const report = verifyExport(doc, { publicKey: h.device.publicKey });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    const entry = doc.records.find((e) => e.fiscal_number === invoice.fiscal!.fiscal_number)!;
    expect(entry.prints?.map((p) => p.requested_by)).toEqual(["console"]);
    expect(
      doc.reports?.every((e) => decodeReport(fromBase64Url(e.record)).device_id === doc.device.device_id),
    ).toBe(true);
  });

  it("activates a waiting device with a code from the cloud, and shows the key to write down", async () => {
    const fresh = await new ConsoleWorld().start(undefined, { activated: false });
    try {
      const browser = fresh.browser();
      await browser.login();
      expect(field((await browser.get("/console/device")).body, "device-state")).toBe("UNACTIVATED");
      const code = fresh.harness.cloud.issueCode(SHOP);
      const done = await browser.post("/console/device", "/console/device/activate", { code });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain(
        `Appareil ${fresh.harness.device.deviceId} activé pour le NIF ${SHOP.merchant_nif}`,
      );
      expect(done.body).toContain(Buffer.from(fresh.harness.device.publicKey).toString("hex"));
      expect(field(done.body, "device-state")).toBe("ACTIVE");
      // A code is good once.
      const again = await browser.post("/console/device", "/console/device/activate", { code });
      expect(again.statusCode).toBeGreaterThanOrEqual(400);
    } finally {
      await fresh.stop();
    }
  });

  it("a malformed activation code is a coded error page", async () => {
    const r = await b.post("/console/device", "/console/device/activate", { code: "!!" });
    expect(r.statusCode).toBeGreaterThanOrEqual(400);
    expect(r.body).toMatch(/E\d{3} ACTIVATION_CODE_UNKNOWN/);
  });
});
