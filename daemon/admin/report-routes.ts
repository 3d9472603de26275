/**
 * The fiscal day on the admin channel (docs/ADMIN.md §Reports): `stalela report z | x | a | list`
 * run on the shop PC go through these routes, since the daemon holds the device. Each answers the
 * report's JSON view (daemon/reports/views.ts) and the seller it is printed for, so the CLI prints it
 * in the technician's language and the shop's time.
 */
import type { FastifyInstance } from "fastify";
import { FiscalError, REPORT_KINDS, type ReportKind } from "../../protocol/index.js";
import type { ReportSeller } from "../receipt/report-view.js";
import type { DayReports } from "../reports/day-reports.js";
import { reportView } from "../reports/views.js";

/** What the report routes need: the daemon's fiscal day and the configured seller. */
export interface AdminReports {
  readonly day: DayReports;
  /** The SFE seller (name, address), or undefined while the SFE identity is incomplete. */
  readonly seller: () => ReportSeller | undefined;
}

/** Most stored reports one list call returns. */
export const REPORT_LIST_MAX = 100;

/** Who an admin request acts as, in the audit log. */
const ACTOR = "admin";

function positive(value: unknown, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new FiscalError("FIELD_RANGE", `${name} must be a positive integer`);
  return n;
}

/** Registers the report routes; `reportsOf` gives the fiscal day once the daemon has made it. */
export function registerReportRoutes(app: FastifyInstance, reportsOf: () => AdminReports | undefined): void {
  const reports = (): AdminReports => {
    const r = reportsOf();
    if (r === undefined) throw new FiscalError("DEVICE_UNAVAILABLE", "the daemon's fiscal day is not ready");
    return r;
  };
  const seller = (r: AdminReports) => r.seller() ?? null;

  app.post("/admin/v1/reports/z", async () => {
    const r = reports();
    const { z, closures } = await r.day.closeDay(ACTOR);
    return { z: reportView(z), closures: closures.map((c) => reportView(c)), seller: seller(r) };
  });

  app.get("/admin/v1/reports/x", async () => {
    const r = reports();
    return { report: reportView(await r.day.readDay()), seller: seller(r) };
  });

  app.post("/admin/v1/reports/a", async (request) => {
    const r = reports();
    const body = (request.body ?? {}) as { from?: unknown; to?: unknown };
    const range = { from: positive(body.from, "from"), to: positive(body.to, "to") };
    const a = await r.day.articles(ACTOR, range);
    return { report: reportView(a, { number: a.number, lines: a.lines }), seller: seller(r) };
  });

  app.get<{ Querystring: { kind?: string; limit?: string } }>("/admin/v1/reports", async (request) => {
    const r = reports();
    const { kind, limit } = request.query;
    if (kind !== undefined && !(REPORT_KINDS as readonly string[]).includes(kind)) {
      throw new FiscalError("FIELD_RANGE", `kind must be one of ${REPORT_KINDS.join(", ")}`);
    }
    const n = Math.min(positive(limit, "limit") ?? 20, REPORT_LIST_MAX);
    const items = r.day.storedList(kind as ReportKind | undefined, n);
    return { items: items.map((s) => reportView(s, { number: s.number })), seller: seller(r) };
  });

  app.get<{ Params: { kind: string; number: string } }>(
    "/admin/v1/reports/:kind/:number",
    async (request) => {
      const r = reports();
      const { kind } = request.params;
      if (!(REPORT_KINDS as readonly string[]).includes(kind)) {
        throw new FiscalError("FIELD_RANGE", `kind must be one of ${REPORT_KINDS.join(", ")}`);
      }
      const number = positive(request.params.number, "number")!;
      const stored = r.day.stored(kind as ReportKind, number);
      if (stored === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no ${kind} number ${number}`);
      return { report: reportView(stored, { number: stored.number }), seller: seller(r) };
    },
  );
}
