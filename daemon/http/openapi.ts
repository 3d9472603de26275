/**
 * The OpenAPI 3.1 document's frame. @fastify/swagger fills `paths` from the routes' own schemas, so
 * only what no route knows lives here: the title, the server, and the bearer scheme.
 */
import type { SwaggerOptions } from "@fastify/swagger";
import { isConsoleUrl } from "../console/console.js";

/** OpenAPI version of /openapi.json: 3.1 is plain JSON Schema, so typebox schemas go in unchanged. */
export const OPENAPI_VERSION = "3.1.0";

/** Options of @fastify/swagger for the API. */
export function openApiOptions(version: string): SwaggerOptions {
  return {
    // The operator console's pages (daemon/console/) share the server, not the API: not in the document.
    transform: ({ schema, url }) => ({
      schema: isConsoleUrl(url) ? { ...schema, hide: true } : schema,
      url,
    }),
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: "Stalela Local Fiscal Service — POS API",
        version,
        description:
          "Fiscalise invoices with the shop's fiscal memory device (DEF) from a POS on the same machine. " +
          "Errors share one code table; see docs/API.md.",
      },
      // Relative: the daemon serving this document, whatever port it was given (default 8765).
      servers: [{ url: "/", description: "this daemon (by default http://127.0.0.1:8765)" }],
      components: {
        securitySchemes: {
          apiKey: {
            type: "http",
            scheme: "bearer",
            description: "An API key from `stalela keys create --cashier <id>`",
          },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: "invoices", description: "Fiscalise, look up and list invoices" },
        { name: "reports", description: "Close the fiscal day (Z), read it (X), A reports, stored reports" },
        { name: "service", description: "Liveness, status and metrics" },
      ],
    },
  };
}
