/**
 * The console's fiscal day (docs/CONSOLE.md §Reports): the open day's X report, closing the day (Z)
 * behind a confirmation, the stored Z reports and closures, and the A report over a range of fiscal
 * numbers. Each printed as the API prints it (the receipt renderer, in French by default), in a tab
 * of its own. The day is closed by the same DayReports as `stalela report z` and POST /v1/reports/z:
 * the device refuses a Z number it has made, so a second click closes the next day, never this one
 * twice.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { FiscalError, isCreditType } from "../../protocol/index.js";
import { DOCUMENT_CSP } from "../receipt/html.js";
import type { ReceiptWidth } from "../receipt/lines.js";
import { type ReportView, reportView } from "../reports/views.js";
import { CONSOLE_ACTOR } from "./auth-routes.js";
import type { ConsoleDeps } from "./deps.js";
import { langOf, page } from "./render.js";

/** Stored reports listed. */
export const REPORT_LIST_SHOWN = 30;

/** Σ sales TTC and Σ credit notes TTC of a report's figures (minor units). */
function totalsOf(view: ReportView): { sales: number; credits: number } {
  const types = view.figures?.types ?? [];
  const sum = (credit: boolean) =>
    types.filter((t) => isCreditType(t.invoice_type) === credit).reduce((n, t) => n + t.total, 0);
  return { sales: sum(false), credits: sum(true) };
}

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new FiscalError("FIELD_RANGE", `${name} must be a positive integer`);
  return n;
}

export function registerReportPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const reportsPage = async (
    request: Parameters<typeof page>[0],
    reply: FastifyReply,
    made: { z?: ReportView; closures?: ReportView[]; a?: ReportView } = {},
  ) => {
    const x = reportView(await deps.reports.readDay());
    const stored = deps.reports
      .storedList(undefined, REPORT_LIST_SHOWN)
      .map((s) => reportView(s, { number: s.number }));
    return page(request, reply, deps.timeZone, "reports.eta", {
      nav: "reports",
      title: "console.reports.title",
      x,
      xTotals: totalsOf(x),
      stored: stored.map((view) => ({ view, totals: totalsOf(view) })),
      made:
        made.z === undefined ? null : { z: made.z, closures: made.closures ?? [], totals: totalsOf(made.z) },
      a: made.a ?? null,
    });
  };

  app.get("/reports", async (request, reply) => reportsPage(request, reply));

  app.post("/reports/z", async (request, reply) => {
    const { z, closures } = await deps.reports.closeDay(CONSOLE_ACTOR);
    return reportsPage(request, reply, {
      z: reportView(z),
      closures: closures.map((c) => reportView(c)),
    });
  });

  app.post<{ Body: { from?: string; to?: string } }>("/reports/a", async (request, reply) => {
    const range = { from: positive(request.body?.from, "from"), to: positive(request.body?.to, "to") };
    const a = await deps.reports.articles(CONSOLE_ACTOR, range);
    return reportsPage(request, reply, { a: reportView(a, { number: a.number, lines: a.lines }) });
  });

  const printed = async (reply: FastifyReply, view: ReportView, lang: "fr" | "en") => {
    const doc = await deps.reportPrinter.print(view, "html", 48 as ReceiptWidth, lang);
    return reply.type(doc.mediaType).header("content-security-policy", DOCUMENT_CSP).send(doc.body);
  };

  app.get("/reports/x/print", async (request, reply) =>
    printed(reply, reportView(await deps.reports.readDay()), langOf(request, reply)),
  );

  app.get<{ Params: { number: string } }>("/reports/z/:number/print", async (request, reply) => {
    const number = positive(request.params.number, "number") ?? 0;
    const stored = deps.reports.stored("Z_REPORT", number);
    if (stored === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no Z report ${number} in the store`);
    return printed(reply, reportView(stored, { number: stored.number }), langOf(request, reply));
  });
}
