/**
 * The receipt routes: `GET /v1/invoices/{id}/receipt` in text, ESC/POS, HTML or PDF, and the QR
 * alone as SVG. A receipt rendering is counted (docs/RECEIPTS.md §3): the first is the original and
 * every later one a DUPLICATA, so the route is not safe in the HTTP sense and answers `no-store`.
 */

import { langOfAcceptLanguage } from "../../../protocol/i18n/index.js";
import { FiscalError } from "../../../protocol/index.js";
import { DOCUMENT_CSP } from "../../receipt/html.js";
import type { ReceiptWidth } from "../../receipt/lines.js";
import { renderQrSvg } from "../../receipt/qr.js";
import { RECEIPT_MEDIA_TYPES } from "../../receipt/receipts.js";
import { callerOf } from "../auth.js";
import { API_PREFIX, type ApiInstance, type RouteContext } from "../context.js";
import {
  API_KEY,
  EVERY_ROUTE,
  errorResponses,
  ID_PARAM,
  LIST_QUERY,
  SERVICE_CALL,
} from "../error-responses.js";
import { IdParamsSchema, QrQuerySchema, QrSvgSchema, ReceiptQuerySchema } from "../schemas.js";
import { notFound } from "./invoices.js";

const TAG = ["invoices"];
const LOOKUP_ERRORS = errorResponses(EVERY_ROUTE, API_KEY, SERVICE_CALL, ID_PARAM, LIST_QUERY);

/** Response headers that say which copy a receipt is. */
export const RECEIPT_COPY_HEADER = "receipt-copy";
export const RECEIPT_COPY_NUMBER_HEADER = "receipt-copy-number";

/** Registers the receipt routes on `app`. */
export function receiptRoutes(app: ApiInstance, ctx: RouteContext): void {
  const { invoices, receipts } = ctx;

  app.get(
    `${API_PREFIX}/invoices/:id/receipt`,
    {
      schema: {
        operationId: "getInvoiceReceipt",
        summary: "The printable receipt: the first rendering is the original, every later one a DUPLICATA",
        tags: TAG,
        params: IdParamsSchema,
        querystring: ReceiptQuerySchema,
        response: {
          200: {
            description:
              "the receipt; `Receipt-Copy` says original, duplicata or preview, `Receipt-Copy-Number` its number",
            headers: {
              [RECEIPT_COPY_HEADER]: { type: "string", enum: ["original", "duplicata", "preview"] },
              [RECEIPT_COPY_NUMBER_HEADER]: {
                type: "integer",
                description: "1 for the original; absent on a preview",
              },
            },
            content: Object.fromEntries(
              Object.entries(RECEIPT_MEDIA_TYPES).map(([format, type]) => [
                type.split(";")[0],
                // ESC/POS and PDF are bytes; text and HTML are UTF-8 text.
                {
                  schema:
                    format === "escpos" || format === "pdf"
                      ? { type: "string", format: "binary" }
                      : { type: "string" },
                },
              ]),
            ),
          },
          ...LOOKUP_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const view = invoices.get(request.params.id, caller);
      if (view === undefined) throw notFound(request.params.id);
      const q = request.query;
      const lang = q.lang ?? langOfAcceptLanguage(request.headers["accept-language"]);
      const rendered = await receipts.render(view, {
        format: q.format ?? "text",
        width: (q.width ?? 48) as ReceiptWidth,
        lang,
        preview: q.preview ?? false,
        requestedBy: `api-key:${caller.apiKeyId}`,
      });
      reply
        .type(rendered.mediaType)
        .header("cache-control", "no-store")
        .header("content-security-policy", DOCUMENT_CSP)
        .header("content-language", lang)
        .header(RECEIPT_COPY_HEADER, rendered.copy.kind);
      if (rendered.copy.kind !== "preview")
        reply.header(
          RECEIPT_COPY_NUMBER_HEADER,
          rendered.copy.kind === "original" ? 1 : rendered.copy.copyNumber,
        );
      return reply.send(typeof rendered.body === "string" ? rendered.body : Buffer.from(rendered.body));
    },
  );

  app.get(
    `${API_PREFIX}/invoices/:id/qr.svg`,
    {
      schema: {
        operationId: "getInvoiceQr",
        summary: "The receipt's QR code as SVG (sealed invoices only)",
        tags: TAG,
        params: IdParamsSchema,
        querystring: QrQuerySchema,
        response: {
          200: { description: "QR code image", content: { "image/svg+xml": { schema: QrSvgSchema } } },
          ...LOOKUP_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const view = invoices.get(request.params.id, callerOf(request));
      if (view === undefined) throw notFound(request.params.id);
      if (view.fiscal === null)
        throw new FiscalError(
          "RECORD_NOT_FOUND",
          `invoice ${view.id} is ${view.state}, not sealed: it has no QR`,
        );
      const svg = await renderQrSvg(view.fiscal.qr, request.query.size);
      // An SVG can carry script; ours does not, and the policy makes sure a browser never runs any.
      return reply
        .type("image/svg+xml")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
        .send(svg);
    },
  );
}
