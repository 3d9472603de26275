/**
 * What the console's pages show and do (docs/CONSOLE.md), over a real fiscal service: the status
 * with its conditions and the live fragment, today's figures and chart from sealed sales (amounts
 * worked out here by hand), the invoice search, an invoice's receipt printed twice (the second a
 * DUPLICATA, logged as the console's), the keys (a new key shown once, a revoked key refused by the
 * POS API) and the failed uploads put back in the queue. French by default, English by choice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { posSale } from "../fiscal/harness.js";
import { type Browser, ConsoleWorld, HOST } from "./world.js";

let w: ConsoleWorld;
let b: Browser;
let ids: string[];

beforeAll(async () => {
  w = await new ConsoleWorld().start();
  const h = w.harness;
  ids = [];
  for (const [key, amount] of [
    ["CONSOLE-1", 11_600],
    ["CONSOLE-2", 23_200],
  ] as const) {
    ids.push((await h.service.fiscalise(posSale(amount), key, h.caller)).invoice.id);
  }
  // Today is the sealing day: the console's clock at the last record's device time.
  w.now = Date.now();
  b = w.browser();
  await b.login();
});
afterAll(async () => {
  await w?.stop();
});

/** The text of an element marked data-field="name" (the first one). */
function field(html: string, name: string): string {
  const m = new RegExp(`data-field="${name}">([^<]*)<`).exec(html);
  if (m === null) throw new Error(`no field ${name}`);
  return m[1]!;
}

describe("status", () => {
  it("shows the overall severity, each condition with its hint, the device and the uploads", async () => {
    const page = (await b.get("/console/")).body;
    expect(page).toContain('data-status="warning"');
    expect(page).toContain('data-code="UPLOADS_PENDING"');
    expect(page).toContain("3 uploads pending");
    expect(page).toContain("Que faire : wait");
    expect(field(page, "last_fiscal_number")).toBe("41");
    expect(page).toContain('hx-get="/console/status/live"');
    expect(page).toContain('hx-trigger="every 5s"');
  });

  it("the live fragment is the panel alone, as htmx swaps it in", async () => {
    w.status.report = { ...w.status.report, status: "ok", conditions: [] };
    const live = await b.get("/console/status/live", { "hx-request": "true" });
    expect(live.statusCode).toBe(200);
    expect(live.body).not.toContain("<html");
    expect(live.body).toContain('data-status="ok"');
    expect(live.body).toContain("Aucune condition");
  });
});

describe("today", () => {
  it("counts the day's invoices and sums them per tax group and payment method", async () => {
    const page = (await b.get("/console/today")).body;
    expect(field(page, "invoices")).toBe("2");
    // 116.00 + 232.00 TTC in group B at 16 %: base 300.00, tax 48.00.
    expect(field(page, "sales")).toBe("348,00 CDF");
    expect(page).toMatch(/data-group="B">.*300,00 CDF.*48,00 CDF.*348,00 CDF/);
    expect(page).toMatch(/data-method="CASH">.*<td class="num">2<\/td>.*348,00 CDF/);
    const chart = JSON.parse(
      /<script type="application\/json" id="sales-data">([^<]*)<\/script>/.exec(page)![1]!,
    );
    expect(chart.labels).toHaveLength(24);
    expect(chart.values.reduce((a: number, v: number) => a + v, 0)).toBe(348);
  });
});

describe("invoices", () => {
  const rows = (html: string) => [...html.matchAll(/data-invoice="([^"]+)"/g)].map((m) => m[1]);

  it("finds by fiscal number, by id or key, by type, state and local date", async () => {
    expect(rows((await b.get("/console/invoices")).body).sort()).toEqual([...ids].sort());
    expect(rows((await b.get("/console/invoices?number=2")).body)).toEqual([ids[1]]);
    expect(rows((await b.get("/console/invoices?key=CONSOLE-1")).body)).toEqual([ids[0]]);
    expect(rows((await b.get(`/console/invoices?key=${ids[1]}`)).body)).toEqual([ids[1]]);
    expect(rows((await b.get("/console/invoices?type=CREDIT")).body)).toEqual([]);
    expect(rows((await b.get("/console/invoices?state=FISCALIZED")).body).sort()).toEqual([...ids].sort());
    const today = new Date(w.now + 3_600_000).toISOString().slice(0, 10); // Kinshasa is UTC+01:00
    expect(rows((await b.get(`/console/invoices?date=${today}`)).body)).toHaveLength(2);
    expect(rows((await b.get("/console/invoices?date=2020-01-01")).body)).toEqual([]);
    expect((await b.get("/console/invoices?number=9")).body).toContain("Aucune facture ne correspond.");
    expect((await b.get("/console/invoices?date=hier")).statusCode).toBe(422);
  });

  it("shows an invoice with its QR and history; prints it once, then a DUPLICATA the receipt log keeps", async () => {
    const url = `/console/invoices/${ids[0]}`;
    const page = (await b.get(url)).body;
    expect(field(page, "fiscal_number")).toBe("1");
    expect(page).toContain("<svg");
    expect(page).toContain("FISCALIZED");
    expect(field(page, "prints")).toBe("Reçus imprimés : 0");
    const preview = await b.get(`${url}/receipt`);
    expect(preview.statusCode).toBe(200);
    expect(preview.headers["content-security-policy"]).toContain("default-src 'none'");
    const first = await b.post(url, `${url}/print`);
    expect(first.statusCode).toBe(200);
    expect(first.body).not.toContain("DUPLICATA");
    const second = await b.post(url, `${url}/print`);
    expect(second.body).toContain("DUPLICATA");
    expect(field((await b.get(url)).body, "prints")).toBe("Reçus imprimés : 2");
    const log = w.harness.db
      .prepare(
        "SELECT copy_number, requested_by FROM receipt_prints WHERE invoice_id = ? ORDER BY copy_number",
      )
      .all(ids[0]);
    expect(log).toEqual([
      { copy_number: 1, requested_by: "console" },
      { copy_number: 2, requested_by: "console" },
    ]);
    expect(w.actions().filter((a) => a === "receipt.print")).toHaveLength(2);
  });

  it("an unknown invoice is a coded 404 page", async () => {
    const r = await b.get("/console/invoices/inv_nope");
    expect(r.statusCode).toBe(404);
    expect(r.body).toContain("E115 RECORD_NOT_FOUND");
  });
});

describe("keys", () => {
  it("shows a new key once; it seals on the POS API until the console revokes it", async () => {
    const created = await b.post("/console/keys", "/console/keys", { cashier: "CAISSE-7", label: "till 7" });
    const key = field(created.body, "new-key");
    expect(key).toMatch(/^stl_/);
    const listed = (await b.get("/console/keys")).body;
    expect(listed).toContain("CAISSE-7");
    expect(listed).not.toContain(key);
    const pos = () =>
      w.app.inject({
        method: "GET",
        url: "/v1/invoices",
        headers: { host: HOST, authorization: `Bearer ${key}` },
      });
    expect((await pos()).statusCode).toBe(200);
    const id = w.keys.list().find((k) => k.cashier_id === "CAISSE-7")!.id;
    const revoked = await b.post("/console/keys", `/console/keys/${id}/revoke`);
    expect(revoked.body).toContain(`Clé ${id} révoquée.`);
    const refused = await pos();
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.name).toBe("AUTH_REVOKED");
    expect(w.actions()).toEqual(expect.arrayContaining(["api-key.create", "api-key.revoke"]));
  });

  it("a bad cashier id is a coded error, and no key is made", async () => {
    const before = w.keys.list().length;
    const r = await b.post("/console/keys", "/console/keys", { cashier: "no spaces allowed" });
    expect(r.statusCode).toBe(422);
    expect(r.body).toContain("FIELD_TYPE");
    expect(w.keys.list()).toHaveLength(before);
  });
});

describe("uploads", () => {
  it("lists a failed upload and puts it back in the queue", async () => {
    const db = w.harness.db;
    await w.harness.until(() => w.harness.sync.parts.queue.summary().pending === 0);
    db.prepare("UPDATE outbox SET status = 'FAILED', last_error = 'E999 test' WHERE invoice_id = ?").run(
      ids[1],
    );
    const page = (await b.get("/console/uploads")).body;
    expect(page).toContain("En échec (1)");
    expect(page).toContain(`data-upload="${ids[1]}"`);
    const retried = await b.post("/console/uploads", "/console/uploads/retry", { invoice_id: ids[1]! });
    expect(retried.body).toContain("1 envoi(s) remis en attente.");
    const status = db.prepare("SELECT status FROM outbox WHERE invoice_id = ?").pluck().get(ids[1]);
    expect(["PENDING", "ACKED"]).toContain(status);
    expect(w.actions()).toContain("sync.retry");
  });
});

describe("language", () => {
  it("is French by default and English by choice, remembered", async () => {
    const en = await b.get("/console/today?lang=en");
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain("Sealed invoices");
    expect((await b.get("/console/keys")).body).toContain("POS API keys");
    expect((await b.get("/console/keys?lang=fr")).body).toContain("Clés API des caisses");
  });
});
