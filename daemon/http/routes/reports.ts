/**
 * The fiscal-day routes (docs/API.md §11, docs/PROTOCOL.md §13): close the day (Z), read it (X), the
 * A report over a range of fiscal numbers, and the reports the daemon stores. The device makes and
 * signs every report and DayReports verifies each with the bound device key; the handlers only
 * translate HTTP to DayReports and show every report in its one JSON view (daemon/reports/views.ts).
 */
import type { FastifyRequest } from "fastify";
import { ERRORS, FiscalError } from "../../../protocol/index.js";
import { reportView } from "../../reports/views.js";
import { callerOf } from "../auth.js";
import { API_PREFIX, type ApiInstance, type RouteContext } from "../context.js";
import {
  API_KEY,
  ARTICLES_RANGE,
  CLOSE_DAY,
  EVERY_ROUTE,
  errorResponses,
  JSON_BODY,
  LIST_QUERY,
  REPORT_MAKING,
  SERVICE_CALL,
  STORED_REPORTS,
  Z_NUMBER_PARAM,
} from "../error-responses.js";
import {
  ArticlesQuerySchema,
  DEFAULT_REPORT_LIST_LIMIT,
  ReportListQuerySchema,
  ReportListSchema,
  ReportViewSchema,
  reportBody,
  ZNumberParamsSchema,
  ZResultSchema,
} from "../report-schemas.js";

const TAG = ["reports"];
/** What every authenticated route meets before its own faults. */
const AUTHENTICATED = [EVERY_ROUTE, API_KEY, SERVICE_CALL] as const;
/** A route that has the device make a report. */
const MAKING = [...AUTHENTICATED, REPORT_MAKING] as const;

/** Who the audit log names for a report a POS asked for: its API key, as for a receipt copy. */
function actorOf(request: FastifyRequest): string {
  return `api-key:${callerOf(request).apiKeyId}`;
}

/** FIELD_RANGE at `/query/from` for a range that ends before it starts. */
function rangeError(from: number, to: number): FiscalError {
  const message = `from ${from} is after to ${to}`;
  return new FiscalError("FIELD_RANGE", message, {
    issues: [{ path: "/query/from", code: ERRORS.FIELD_RANGE.code, message }],
  });
}

/** Registers the report routes on `app`. */
export function reportRoutes(app: ApiInstance, ctx: RouteContext): void {
  const { reports } = ctx;

  app.post(
    `${API_PREFIX}/reports/z`,
    {
      schema: {
        operationId: "closeDay",
        summary:
          "Close the fiscal day: the device makes the next Z report (and any monthly or yearly closure)",
        description:
          "Answers 201 with the Z and the closures it made first. Not idempotent: every call that succeeds " +
          "closes a day, so a second call makes the next Z, of an empty day. After a lost reply or a 5xx, " +
          "read `GET /v1/reports/x` before closing again (docs/API.md §11). No body; an empty one is fine.",
        tags: TAG,
        response: { 201: ZResultSchema, ...errorResponses(...MAKING, JSON_BODY, CLOSE_DAY) },
      },
    },
    async (request, reply) => {
      const { z, closures } = await reports.closeDay(actorOf(request));
      return reply.status(201).send({
        z: reportBody(reportView(z)),
        closures: closures.map((closure) => reportBody(reportView(closure))),
      });
    },
  );

  app.get(
    `${API_PREFIX}/reports/x`,
    {
      schema: {
        operationId: "readDay",
        summary: "Read the open fiscal day (X report), signed by the device; nothing is stored",
        description: "`number` is the number of the Z that will close this day.",
        tags: TAG,
        response: { 200: ReportViewSchema, ...errorResponses(...MAKING) },
      },
    },
    async () => reportBody(reportView(await reports.readDay())),
  );

  app.get(
    `${API_PREFIX}/reports/a`,
    {
      schema: {
        operationId: "articlesReport",
        summary: "The A report: the articles sold and returned over a range of fiscal numbers",
        description:
          "By default from the invoice after the last A report's range to the device's last. The device " +
          "signs the lines' digest; the daemon rebuilds the lines from its records (`matches_store`). " +
          "Every call makes and stores a new A report, numbered 1, 2, 3 …, so the route is not safe in " +
          "the HTTP sense (the answer is `Cache-Control: no-store`, as every answer of the API).",
        tags: TAG,
        querystring: ArticlesQuerySchema,
        response: { 200: ReportViewSchema, ...errorResponses(...MAKING, ARTICLES_RANGE) },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      if (from !== undefined && to !== undefined && from > to) throw rangeError(from, to);
      const made = await reports.articles(actorOf(request), { from, to });
      return reportBody(reportView(made, { number: made.number, lines: made.lines }));
    },
  );

  app.get(
    `${API_PREFIX}/reports/z/:number`,
    {
      schema: {
        operationId: "getZReport",
        summary: "A stored Z report by its number, verified again with the device key",
        tags: TAG,
        params: ZNumberParamsSchema,
        response: {
          200: ReportViewSchema,
          ...errorResponses(...AUTHENTICATED, STORED_REPORTS, Z_NUMBER_PARAM),
        },
      },
    },
    async (request) => {
      const number = Number(request.params.number);
      const stored = reports.stored("Z_REPORT", number);
      if (stored === undefined) {
        throw new FiscalError("RECORD_NOT_FOUND", `the daemon stores no Z report number ${number}`);
      }
      return reportBody(reportView(stored, { number: stored.number }));
    },
  );

  app.get(
    `${API_PREFIX}/reports`,
    {
      schema: {
        operationId: "listReports",
        summary: "The stored reports (Z, closures, A), newest first",
        description:
          "An A report listed here has `lines` null: `GET /v1/reports/a` shows them when it makes one.",
        tags: TAG,
        querystring: ReportListQuerySchema,
        response: { 200: ReportListSchema, ...errorResponses(...AUTHENTICATED, STORED_REPORTS, LIST_QUERY) },
      },
    },
    async (request) => {
      const { kind, limit } = request.query;
      const items = reports
        .storedList(kind, limit ?? DEFAULT_REPORT_LIST_LIMIT)
        .map((stored) => reportBody(reportView(stored, { number: stored.number })));
      return { items };
    },
  );
}
