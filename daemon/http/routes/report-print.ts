/**
 * The printed fiscal-day reports (docs/API.md §11): the open day's X and a stored Z in text (58 and
 * 80 mm printers), HTML or PDF, in French unless asked otherwise, times in the shop's zone. The JSON
 * routes are in reports.ts; these answer the same report, laid out for paper.
 */
import type { FastifyReply } from "fastify";
import Type from "typebox";
import { LANGS, langOfAcceptLanguage } from "../../../protocol/i18n/index.js";
import { FiscalError } from "../../../protocol/index.js";
import { DOCUMENT_CSP } from "../../receipt/html.js";
import { RECEIPT_WIDTHS, type ReceiptWidth } from "../../receipt/lines.js";
import { REPORT_MEDIA_TYPES, REPORT_PRINT_FORMATS } from "../../receipt/report-printer.js";
import type { ReportView } from "../../reports/views.js";
import { reportView } from "../../reports/views.js";
import { API_PREFIX, type ApiInstance, type RouteContext } from "../context.js";
import {
  API_KEY,
  EVERY_ROUTE,
  errorResponses,
  LIST_QUERY,
  REPORT_MAKING,
  SERVICE_CALL,
  STORED_REPORTS,
  Z_NUMBER_PARAM,
} from "../error-responses.js";
import { ZNumberParamsSchema } from "../report-schemas.js";

const TAG = ["reports"];
const AUTHENTICATED = [EVERY_ROUTE, API_KEY, SERVICE_CALL] as const;

/** The query of a printed report. */
export const ReportPrintQuerySchema = Type.Object(
  {
    format: Type.Optional(Type.Enum([...REPORT_PRINT_FORMATS], { default: "text" })),
    width: Type.Optional(
      Type.Integer({
        enum: [...RECEIPT_WIDTHS],
        default: 48,
        description: "characters per line (text): 32 for 58 mm, 42 or 48 for 80 mm",
      }),
    ),
    lang: Type.Optional(Type.Enum([...LANGS], { description: "default: Accept-Language, else fr" })),
  },
  { additionalProperties: false },
);

const PRINTED = {
  description: "the printed report",
  content: Object.fromEntries(
    Object.entries(REPORT_MEDIA_TYPES).map(([format, type]) => [
      type.split(";")[0],
      { schema: format === "pdf" ? { type: "string", format: "binary" } : { type: "string" } },
    ]),
  ),
};

/** Registers the printed-report routes on `app`. */
export function reportPrintRoutes(app: ApiInstance, ctx: RouteContext): void {
  const { reports, reportPrinter } = ctx;

  const send = async (
    reply: FastifyReply,
    view: ReportView,
    q: { format?: (typeof REPORT_PRINT_FORMATS)[number]; width?: number; lang?: (typeof LANGS)[number] },
    acceptLanguage: string | undefined,
  ) => {
    const lang = q.lang ?? langOfAcceptLanguage(acceptLanguage);
    const printed = await reportPrinter.print(
      view,
      q.format ?? "text",
      (q.width ?? 48) as ReceiptWidth,
      lang,
    );
    reply
      .type(printed.mediaType)
      .header("cache-control", "no-store")
      .header("content-security-policy", DOCUMENT_CSP)
      .header("content-language", lang);
    return reply.send(typeof printed.body === "string" ? printed.body : Buffer.from(printed.body));
  };

  app.get(
    `${API_PREFIX}/reports/x/print`,
    {
      schema: {
        operationId: "printDay",
        summary: "The open fiscal day's X report, printed (text, HTML or PDF)",
        tags: TAG,
        querystring: ReportPrintQuerySchema,
        response: { 200: PRINTED, ...errorResponses(...AUTHENTICATED, REPORT_MAKING, LIST_QUERY) },
      },
    },
    async (request, reply) =>
      send(reply, reportView(await reports.readDay()), request.query, request.headers["accept-language"]),
  );

  app.get(
    `${API_PREFIX}/reports/z/:number/print`,
    {
      schema: {
        operationId: "printZReport",
        summary: "A stored Z report, printed (text, HTML or PDF); printing it again changes nothing",
        tags: TAG,
        params: ZNumberParamsSchema,
        querystring: ReportPrintQuerySchema,
        response: {
          200: PRINTED,
          ...errorResponses(...AUTHENTICATED, STORED_REPORTS, Z_NUMBER_PARAM, LIST_QUERY),
        },
      },
    },
    async (request, reply) => {
      const number = Number(request.params.number);
      const stored = reports.stored("Z_REPORT", number);
      if (stored === undefined) {
        throw new FiscalError("RECORD_NOT_FOUND", `the daemon stores no Z report number ${number}`);
      }
      return send(
        reply,
        reportView(stored, { number: stored.number }),
        request.query,
        request.headers["accept-language"],
      );
    },
  );
}
