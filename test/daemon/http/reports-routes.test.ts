/**
 * The report routes (docs/API.md §11) through the real app over the real FiscalService, DayReports,
 * store and the emulator's device core: invoices are sealed with `POST /v1/invoices`, the day is
 * closed with `POST /v1/reports/z`, and every figure is checked against sums worked out by hand from
 * the invoices sent. A report's signed bytes verify with the device key, independently of the daemon.
 */
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { InvoiceView, StatusReport } from "../../../daemon/fiscal/types.js";
import { type ApiInstance, buildApp } from "../../../daemon/http/app.js";
import { ReportListSchema, ReportViewSchema, ZResultSchema } from "../../../daemon/http/report-schemas.js";
import type { ReportView } from "../../../daemon/reports/views.js";
import { fromBase64Url, isFiscalError, openSealedReport } from "../../../protocol/index.js";
import { type HarnessOptions, ServiceHarness, TEST_SFE } from "../fiscal/harness.js";
import { receiptsFor } from "./fakes.js";
import { expectConforms } from "./harness.js";

const STATUS: StatusReport = {
  status: "ok",
  version: "test",
  started_at: "2026-03-02T10:00:00.000Z",
  device: {
    connected: true,
    device_id: null,
    state: null,
    last_fiscal_number: null,
    journal_used: null,
    journal_capacity: null,
  },
  conditions: [],
  counters: {},
  link: {},
  last_reconcile: null,
};

let h: ServiceHarness;
let app: ApiInstance;

/** A fresh device, store and app. */
async function open(options?: HarnessOptions): Promise<void> {
  h = await new ServiceHarness(options).start();
  app = buildApp({
    invoices: h.service,
    receipts: receiptsFor(h.db),
    reports: h.dayReports,
    keys: h.keys,
    status: { status: () => STATUS },
    config: { version: "test" },
  });
  await app.ready();
}

beforeEach(() => open());
afterEach(async () => {
  await app.close();
  h.stop();
});

const OPERATOR = { name: "Mireille Kabeya" };
const SUGAR = { code: "SKU-1", name: "Sucre 1 kg", kind: "BIE", tax_group: "B" } as const;

/** Invoice 1: 2 × 3 500,00 CDF of sugar (group B, 16 %, TTC), paid cash. */
const SALE_1 = {
  type: "SALE",
  operator: OPERATOR,
  items: [{ ...SUGAR, quantity: 2, unit_price: 350_000 }],
  payments: [{ method: "CASH", amount: 700_000 }],
};
/** Invoice 2: bread 1 160,00 (group B) and rice 500,00 (group A, exempt), paid by mobile money. */
const SALE_2 = {
  type: "SALE",
  operator: OPERATOR,
  items: [
    { code: "SKU-2", name: "Pain", kind: "BIE", quantity: 1, unit_price: 116_000, tax_group: "B" },
    { code: "SKU-3", name: "Riz", kind: "BIE", quantity: 1, unit_price: 50_000, tax_group: "A" },
  ],
  payments: [{ method: "MOBILE_MONEY", amount: 166_000 }],
};
/** Invoice 3: one bag of sugar of invoice 1 taken back (RAM), refunded cash. */
const RETURN_1 = {
  type: "CREDIT",
  operator: OPERATOR,
  items: [{ ...SUGAR, quantity: 1, unit_price: 350_000 }],
  payments: [{ method: "CASH", amount: 350_000 }],
  reference: { nature: "RAM", fiscal_number: 1, reason: "sac retourné" },
};
/** Invoice 4, on the next day: one bag of sugar. */
const SALE_4 = {
  type: "SALE",
  operator: OPERATOR,
  items: [{ ...SUGAR, quantity: 1, unit_price: 350_000 }],
  payments: [{ method: "CASH", amount: 350_000 }],
};

/** Headers on the default Host, with the till's API key unless `key` is null. */
function headers(extra: Record<string, string> = {}, key: string | null = h.apiKey) {
  return {
    host: "127.0.0.1:8765",
    ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    ...extra,
  };
}

async function seal(key: string, body: Record<string, unknown>): Promise<InvoiceView> {
  const res = await app.inject({
    method: "POST",
    url: "/v1/invoices",
    headers: headers({ "idempotency-key": key }),
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<InvoiceView>();
}

function get(url: string, extra: Record<string, string> = {}, key: string | null = h.apiKey) {
  return app.inject({ method: "GET", url, headers: headers(extra, key) });
}

function closeDay(extra: Record<string, string> = {}, payload?: string) {
  return app.inject({
    method: "POST",
    url: "/v1/reports/z",
    headers: headers(extra),
    ...(payload === undefined ? {} : { payload }),
  });
}

/** Seals invoices 1 to 3 of the first day; returns invoice 1. */
async function firstDay(): Promise<InvoiceView> {
  const first = await seal("DAY1-1", SALE_1);
  await seal("DAY1-2", SALE_2);
  await seal("DAY1-3", RETURN_1);
  return first;
}

// The day's sums, worked out by hand. TTC: base = round(total / 1.16), tax = total − base.
//   invoice 1, B: 700 000 → base 603 448 (603 448.28), tax 96 552
//   invoice 2, B: 116 000 → base 100 000, tax 16 000; A (0 %): 50 000, no tax
//   invoice 3 (credit), B: 350 000 → base 301 724 (301 724.14), tax 48 276
const SALES_B = { group: "B", rate_bp: 1600, base: 703_448, tax: 112_552, total: 816_000 };
const SALES_A = { group: "A", rate_bp: 0, base: 50_000, tax: 0, total: 50_000 };
const CREDITS_B = { group: "B", rate_bp: 1600, base: 301_724, tax: 48_276, total: 350_000 };
const FIRST_DAY_FIGURES = {
  types: [
    {
      invoice_type: "SALE",
      dgi_type: "FV",
      count: 2,
      total: 866_000,
      tax_total: 112_552,
      specific_tax_total: 0,
      groups: [SALES_A, SALES_B],
    },
    {
      invoice_type: "CREDIT",
      dgi_type: "FA",
      count: 1,
      total: 350_000,
      tax_total: 48_276,
      specific_tax_total: 0,
      groups: [CREDITS_B],
    },
  ],
  groups: { sales: [SALES_A, SALES_B], credits: [CREDITS_B] },
  payments: {
    sales: [
      { method: "CASH", count: 1, amount: 700_000 },
      { method: "MOBILE_MONEY", count: 1, amount: 166_000 },
    ],
    credits: [{ method: "CASH", count: 1, amount: 350_000 }],
  },
  credit_notes: [{ nature: "RAM", count: 1, total: 350_000 }],
  reductions: { lines: 0, amount: 0 },
  v1_records: 0,
};

describe("POST /v1/reports/z", () => {
  it("closes the day: 201, Z 1 with the day's figures, verified, stored and audited", async () => {
    const first = await firstDay();
    const res = await closeDay();
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const body = res.json<{ z: ReportView; closures: ReportView[] }>();
    expectConforms(ZResultSchema, body);
    expect(body.closures).toEqual([]);
    expect(body.z).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      device_id: h.device.deviceId,
      merchant_nif: "A1234567B",
      outlet_id: "OUTLET-1",
      isf: TEST_SFE.isf,
      period_from: first.fiscal!.timestamp,
      period: null,
      first_fiscal_number: 1,
      last_fiscal_number: 3,
      after_fiscal_number: 3,
      z_first: null,
      z_last: null,
      incomplete: 0,
      article_count: null,
      lines: null,
      matches_store: true,
    });
    expect(body.z.figures).toEqual(FIRST_DAY_FIGURES);
    expect(Date.parse(body.z.issued_at)).toBeGreaterThanOrEqual(Date.parse(first.fiscal!.timestamp));
    const audit = h.audit.latest(10).find((e) => e.action === "report.z");
    expect(audit?.actor).toBe(`api-key:${h.caller.apiKeyId}`);
  });

  it("signs bytes anyone can verify with the device's public key", async () => {
    await firstDay();
    const { z } = (await closeDay()).json<{ z: ReportView }>();
    const record = fromBase64Url(z.signed.record);
    expect(createHash("sha256").update(record).digest("hex")).toBe(z.signed.hash);
    const report = openSealedReport(
      { record, signature: fromBase64Url(z.signed.signature) },
      h.device.publicKey,
    );
    expect(report).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      first_fiscal_number: 1,
      last_fiscal_number: 3,
    });
    expect(report.kind === "Z_REPORT" && report.figures).toEqual(FIRST_DAY_FIGURES);
    const forged = fromBase64Url(z.signed.signature);
    forged[0]! ^= 1;
    let refusal: unknown;
    try {
      openSealedReport({ record, signature: forged }, h.device.publicKey);
    } catch (err) {
      refusal = err;
    }
    expect(isFiscalError(refusal, "SIGNATURE_INVALID")).toBe(true);
  });

  it("is not idempotent: every call closes a day, the next one empty", async () => {
    await firstDay();
    expect((await closeDay()).json<{ z: ReportView }>().z.number).toBe(1);
    const again = await closeDay({ "content-type": "application/json" });
    expect(again.statusCode).toBe(201);
    expect(again.json<{ z: ReportView }>().z).toMatchObject({
      number: 2,
      first_fiscal_number: null,
      last_fiscal_number: null,
      after_fiscal_number: 3,
      period_from: null,
      figures: {
        types: [],
        groups: { sales: [], credits: [] },
        payments: { sales: [], credits: [] },
        credit_notes: [],
        reductions: { lines: 0, amount: 0 },
        v1_records: 0,
      },
    });
    // An empty JSON object is no body worth refusing, as for commit and abort.
    expect((await closeDay({ "content-type": "application/json" }, "{}")).statusCode).toBe(201);
  });

  it("answers the monthly closure the first Z of a new month made, before the Z", async () => {
    await app.close();
    h.stop();
    let deviceNow = Date.UTC(2026, 0, 20, 10);
    await open({ device: { systemNow: () => deviceNow } });
    await firstDay();
    expect((await closeDay()).json<{ z: ReportView }>().z.number).toBe(1);
    deviceNow = Date.UTC(2026, 1, 2, 10);
    await seal("DAY2-1", SALE_4);
    const res = await closeDay();
    expect(res.statusCode).toBe(201);
    const body = res.json<{ z: ReportView; closures: ReportView[] }>();
    expectConforms(ZResultSchema, body);
    expect(body.z).toMatchObject({ number: 2, first_fiscal_number: 4, last_fiscal_number: 4 });
    expect(body.closures).toHaveLength(1);
    // January's only Z is Z 1: the closure sums it alone.
    expect(body.closures[0]).toMatchObject({
      kind: "MONTH_CLOSURE",
      number: 1,
      period: "2026-01",
      period_from: null,
      z_first: 1,
      z_last: 1,
      first_fiscal_number: 1,
      last_fiscal_number: 3,
      incomplete: 0,
      article_count: null,
      lines: null,
      matches_store: true,
      figures: FIRST_DAY_FIGURES,
    });
    const listed = (await get("/v1/reports")).json<{ items: ReportView[] }>().items;
    expect(listed.map((r) => `${r.kind} ${r.number}`).sort()).toEqual([
      "MONTH_CLOSURE 1",
      "Z_REPORT 1",
      "Z_REPORT 2",
    ]);
    expect((await get("/v1/reports?kind=MONTH_CLOSURE")).json()).toEqual({ items: body.closures });
  });

  it("answers 503 with Retry-After when the device is unplugged, and closes nothing", async () => {
    await firstDay();
    h.port.trouble.unplugged = true;
    const res = await closeDay();
    expect(res.statusCode).toBe(503);
    expect(res.headers["retry-after"]).toMatch(/^[1-9][0-9]*$/);
    expect(res.json().error.name).toBe("DEVICE_UNAVAILABLE");
    h.port.trouble.unplugged = false;
    expect((await get("/v1/reports")).json<{ items: ReportView[] }>().items).toEqual([]);
    expect((await get("/v1/reports/x")).json<ReportView>().number).toBe(1);
  });

  it("needs the API key (401), and closes nothing without it", async () => {
    await firstDay();
    const res = await app.inject({ method: "POST", url: "/v1/reports/z", headers: headers({}, null) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.name).toBe("AUTH_MISSING");
    expect(h.device.execute("STATUS", {}).last_fiscal_number).toBe(3);
    expect((await get("/v1/reports?kind=Z_REPORT")).json<{ items: unknown[] }>().items).toEqual([]);
  });
});

describe("the stored reports", () => {
  it("GET /v1/reports/z/{number} answers the very Z that was made, with the same signed hash", async () => {
    await firstDay();
    const { z } = (await closeDay()).json<{ z: ReportView }>();
    const res = await get("/v1/reports/z/1");
    expect(res.statusCode).toBe(200);
    expectConforms(ReportViewSchema, res.json());
    expect(res.json<ReportView>().signed.hash).toBe(z.signed.hash);
    expect(res.json()).toEqual(z);
  });

  it("GET /v1/reports lists them newest first, by kind and limit (default 20)", async () => {
    await firstDay();
    const one = (await closeDay()).json<{ z: ReportView }>().z;
    const two = (await closeDay()).json<{ z: ReportView }>().z;
    const res = await get("/v1/reports?kind=Z_REPORT");
    expect(res.statusCode).toBe(200);
    expectConforms(ReportListSchema, res.json());
    expect(res.json()).toEqual({ items: [two, one] });
    expect((await get("/v1/reports?kind=Z_REPORT&limit=1")).json()).toEqual({ items: [two] });
    expect((await get("/v1/reports?kind=MONTH_CLOSURE")).json()).toEqual({ items: [] });
    for (let i = 0; i < 20; i++) await closeDay();
    expect((await get("/v1/reports")).json<{ items: ReportView[] }>().items.map((r) => r.number)).toEqual(
      Array.from({ length: 20 }, (_, i) => 22 - i),
    );
  });

  it("answers 404 RECORD_NOT_FOUND for a Z number it does not store", async () => {
    await firstDay();
    await closeDay();
    const res = await get("/v1/reports/z/9", { "accept-language": "en" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({
      code: 115,
      name: "RECORD_NOT_FOUND",
      message: "no fiscal record matches",
      detail: "the daemon stores no Z report number 9",
    });
  });
});

describe("GET /v1/reports/x", () => {
  it("reads the open day after a new sale: X number 2, its figures, nothing stored", async () => {
    await firstDay();
    await closeDay();
    await seal("DAY2-1", SALE_4);
    const res = await get("/v1/reports/x");
    expect(res.statusCode).toBe(200);
    expectConforms(ReportViewSchema, res.json());
    // 350 000 TTC in B: base round(301 724.14) = 301 724, tax 48 276.
    const b = { group: "B", rate_bp: 1600, base: 301_724, tax: 48_276, total: 350_000 };
    expect(res.json<ReportView>()).toMatchObject({
      kind: "X_REPORT",
      number: 2,
      first_fiscal_number: 4,
      last_fiscal_number: 4,
      after_fiscal_number: 4,
      matches_store: true,
      figures: {
        types: [
          {
            invoice_type: "SALE",
            dgi_type: "FV",
            count: 1,
            total: 350_000,
            tax_total: 48_276,
            specific_tax_total: 0,
            groups: [b],
          },
        ],
        groups: { sales: [b], credits: [] },
        payments: { sales: [{ method: "CASH", count: 1, amount: 350_000 }], credits: [] },
        credit_notes: [],
      },
    });
    expect((await get("/v1/reports")).json<{ items: ReportView[] }>().items.map((r) => r.number)).toEqual([
      1,
    ]);
  });
});

describe("GET /v1/reports/a", () => {
  it("makes and stores an A report with the article lines, and the next starts after it", async () => {
    await firstDay();
    const res = await get("/v1/reports/a");
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    expectConforms(ReportViewSchema, res.json());
    const line = (article: string, name: string, unit: number, group: string, rate: number) => ({
      article,
      name,
      unit_price: unit,
      price_mode: "TTC",
      tax_group: group,
      rate_bp: rate,
    });
    expect(res.json<ReportView>()).toMatchObject({
      kind: "A_REPORT",
      number: 1,
      first_fiscal_number: 1,
      last_fiscal_number: 3,
      article_count: 3,
      figures: null,
      incomplete: null,
      matches_store: true,
      lines: [
        // Sugar: 2 sold on invoice 1, 1 back on invoice 3.
        {
          ...line("SKU-1", "Sucre 1 kg", 350_000, "B", 1600),
          sold_milli: 2_000,
          returned_milli: 1_000,
          sold_amount: 700_000,
          returned_amount: 350_000,
        },
        {
          ...line("SKU-2", "Pain", 116_000, "B", 1600),
          sold_milli: 1_000,
          returned_milli: 0,
          sold_amount: 116_000,
          returned_amount: 0,
        },
        {
          ...line("SKU-3", "Riz", 50_000, "A", 0),
          sold_milli: 1_000,
          returned_milli: 0,
          sold_amount: 50_000,
          returned_amount: 0,
        },
      ],
    });
    const stored = (await get("/v1/reports?kind=A_REPORT")).json<{ items: ReportView[] }>().items;
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: "A_REPORT", number: 1, lines: null });
    expect(stored[0]!.signed).toEqual(res.json<ReportView>().signed);

    const none = await get("/v1/reports/a");
    expect(none.statusCode).toBe(404);
    expect(none.json().error.name).toBe("RECORD_NOT_FOUND");
    await seal("DAY1-4", SALE_4);
    expect((await get("/v1/reports/a")).json<ReportView>()).toMatchObject({
      number: 2,
      first_fiscal_number: 4,
      last_fiscal_number: 4,
      article_count: 1,
    });
  });

  it("covers the range asked for", async () => {
    await firstDay();
    const res = await get("/v1/reports/a?from=2&to=2");
    expect(res.statusCode).toBe(200);
    const body = res.json<ReportView>();
    expect(body).toMatchObject({ first_fiscal_number: 2, last_fiscal_number: 2, article_count: 2 });
    expect(body.lines!.map((l) => l.article)).toEqual(["SKU-2", "SKU-3"]);
    const past = await get("/v1/reports/a?from=2&to=9");
    expect(past.statusCode).toBe(404);
  });
});

describe("refusals", () => {
  it.each([
    ["/v1/reports?limit=0", "/query/limit"],
    ["/v1/reports?limit=101", "/query/limit"],
    ["/v1/reports?kind=FOO", "/query/kind"],
    ["/v1/reports?kind=X_REPORT", "/query/kind"],
    ["/v1/reports?limit=1.5", "/query/limit"],
    ["/v1/reports/a?from=abc", "/query/from"],
    ["/v1/reports/a?from=0", "/query/from"],
    ["/v1/reports/a?from=3&to=2", "/query/from"],
    ["/v1/reports/a?form=1", "/query/form"],
    ["/v1/reports/z/0", "/params/number"],
    ["/v1/reports/z/abc", "/params/number"],
  ])("GET %s is 422 at %s", async (url, path) => {
    await firstDay();
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error.issues.map((i: { path: string }) => i.path)).toContain(path);
    // Nothing was made: no A report is stored after a refused query.
    expect((await get("/v1/reports")).json()).toEqual({ items: [] });
  });

  it.each(["/v1/reports", "/v1/reports/x", "/v1/reports/a", "/v1/reports/z/1"])(
    "GET %s needs the API key",
    async (url) => {
      const res = await get(url, {}, null);
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="stalela"');
    },
  );
});

describe("printed reports", () => {
  it("prints the X and a stored Z in text, HTML and PDF, French by default, English on request", async () => {
    await firstDay();
    const x = await get("/v1/reports/x/print?width=32");
    expect(x.statusCode).toBe(200);
    expect(x.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(x.headers["content-language"]).toBe("fr");
    expect(x.body).toContain("RAPPORT X");
    expect(x.body.split("\n").every((line) => [...line].length <= 32)).toBe(true);
    // Group B of the day's sales, in fr-CD: 8 160,00 CDF TTC.
    expect(x.body.replace(/[\u00a0\u202f]/g, " ")).toMatch(/Total\s+8 160,00/);
    const english = await get("/v1/reports/x/print", { "accept-language": "en" });
    expect(english.body).toContain("X REPORT");
    expect(english.headers["content-language"]).toBe("en");

    expect((await closeDay()).statusCode).toBe(201);
    const html = await get("/v1/reports/z/1/print?format=html");
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(html.headers["content-security-policy"]).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    );
    expect(html.body).toContain("RAPPORT Z n° 1");
    const pdf = await get("/v1/reports/z/1/print?format=pdf&lang=en");
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
    expect((await get("/v1/reports/z/2/print")).statusCode).toBe(404);
    expect((await get("/v1/reports/z/1/print?format=escpos")).statusCode).toBe(422);
  });
});
