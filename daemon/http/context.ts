/**
 * What the route modules share: the typed fastify instance and the dependencies a route reaches.
 */

import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { InvoiceOperations, StatusSource } from "../fiscal/types.js";
import type { Receipts } from "../receipt/receipts.js";
import type { ReportPrinter } from "../receipt/report-printer.js";
import type { DayReports } from "../reports/day-reports.js";
import type { HttpMetrics } from "./metrics.js";

/** The API's fastify instance: routes are typed from their typebox schemas. */
export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What the report routes call of the daemon's fiscal day (daemon/reports/day-reports.ts). */
export type DayReportOperations = Pick<
  DayReports,
  "closeDay" | "readDay" | "articles" | "stored" | "storedList"
>;

/** The dependencies routes use. */
export interface RouteContext {
  readonly invoices: InvoiceOperations;
  /** Receipt renderings and their count (daemon/receipt/receipts.ts). */
  readonly receipts: Receipts;
  /** The fiscal day: Z, X and A reports, and the stored ones. */
  readonly reports: DayReportOperations;
  /** Prints a report for paper (daemon/receipt/report-printer.ts). */
  readonly reportPrinter: ReportPrinter;
  readonly status: StatusSource;
  readonly metrics: HttpMetrics;
  readonly version: string;
  /** Whether `GET /metrics` asks for an API key. */
  readonly metricsRequireAuth: boolean;
}

/** Path prefix of the versioned API. */
export const API_PREFIX = "/v1";
