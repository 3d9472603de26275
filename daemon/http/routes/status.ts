/**
 * Service routes: liveness, the status report, Prometheus metrics and the OpenAPI document.
 */

import Type from "typebox";
import { langOfAcceptLanguage } from "../../../protocol/i18n/index.js";
import { API_PREFIX, type ApiInstance, type RouteContext } from "../context.js";
import { API_KEY, EVERY_ROUTE, errorResponses, SERVICE_CALL } from "../error-responses.js";
import { HealthSchema, StatusReportSchema, statusBody } from "../schemas.js";

/** Routes that answer without an API key (liveness and the API's own description). */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([`${API_PREFIX}/health`, "/openapi.json"]);

/** Where Prometheus scrapes. */
export const METRICS_ROUTE = "/metrics";
/** Where the OpenAPI 3.1 document is served. */
export const OPENAPI_ROUTE = "/openapi.json";

const TAG = ["service"];

/** Registers health, status, metrics and the OpenAPI document on `app`. */
export function statusRoutes(app: ApiInstance, ctx: RouteContext): void {
  app.get(
    `${API_PREFIX}/health`,
    {
      schema: {
        operationId: "health",
        summary: "Liveness: the daemon answers (no API key needed)",
        tags: TAG,
        security: [],
        // Health runs no code that can fail: only the checks every route meets.
        response: { 200: HealthSchema, ...errorResponses(EVERY_ROUTE) },
      },
    },
    async () => ({ status: "ok" as const, version: ctx.version }),
  );

  app.get(
    `${API_PREFIX}/status`,
    {
      schema: {
        operationId: "status",
        summary: "Conditions with severity, device state, counters and link statistics",
        tags: TAG,
        response: { 200: StatusReportSchema, ...errorResponses(EVERY_ROUTE, API_KEY, SERVICE_CALL) },
      },
    },
    async (request, reply) => {
      const lang = langOfAcceptLanguage(request.headers["accept-language"]);
      reply.header("content-language", lang);
      return statusBody(ctx.status.status(lang));
    },
  );

  app.get(
    METRICS_ROUTE,
    {
      schema: {
        operationId: "metrics",
        summary: "Prometheus metrics (text exposition format)",
        tags: TAG,
        ...(ctx.metricsRequireAuth ? {} : { security: [] }),
        response: {
          200: {
            description: "Prometheus text format",
            content: { "text/plain": { schema: Type.String() } },
          },
          ...(ctx.metricsRequireAuth ? errorResponses(EVERY_ROUTE, API_KEY) : errorResponses(EVERY_ROUTE)),
        },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );

  app.get(OPENAPI_ROUTE, { schema: { hide: true } }, async (_request, reply) =>
    reply.type("application/json; charset=utf-8").send(app.swagger()),
  );
}
