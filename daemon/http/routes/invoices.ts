/**
 * The invoice routes: create (one-shot), two-step prepare / commit / abort, delivered, lookup by id
 * or Idempotency-Key, and the list (the receipt and its QR: receipts.ts). Handlers only translate HTTP to the fiscal
 * service's operations; every rule lives in the service.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { FiscalError } from "../../../protocol/index.js";
import type { ActionResult, InvoiceView } from "../../fiscal/types.js";
import { callerOf } from "../auth.js";
import { API_PREFIX, type ApiInstance, type RouteContext } from "../context.js";
import {
  API_KEY,
  COMMIT,
  CREATE,
  DEVICE,
  EVERY_ROUTE,
  errorResponses,
  ID_PARAM,
  INVOICE_LOCK,
  JOURNAL,
  JSON_BODY,
  LIST_QUERY,
  SERVICE_CALL,
  STATE,
} from "../error-responses.js";
import {
  CreateHeadersSchema,
  DEFAULT_LIST_LIMIT,
  IdParamsSchema,
  InvoiceBodySchema,
  InvoicePageSchema,
  InvoiceViewSchema,
  invoiceBody,
  ListQuerySchema,
  pageBody,
  REPLAYED_HEADERS,
  withHeaders,
} from "../schemas.js";
import { hasValidIdempotencyKey, idempotencyKeyError } from "../validation.js";

/** Response header that marks a replayed create (the body is the original result). */
export const REPLAYED_HEADER = "idempotent-replayed";

const TAG = ["invoices"];
/** What every authenticated route meets before its own faults. */
const AUTHENTICATED = [EVERY_ROUTE, API_KEY, SERVICE_CALL] as const;
const CREATE_ERRORS = errorResponses(...AUTHENTICATED, JSON_BODY, CREATE, INVOICE_LOCK, DEVICE, JOURNAL);
/** An invoice answer that may be a replay: a repeated create, commit, abort or delivered (§2, §3). */
const REPLAYABLE = withHeaders(InvoiceViewSchema, REPLAYED_HEADERS);
const ACTION = [...AUTHENTICATED, ID_PARAM, JSON_BODY, INVOICE_LOCK, STATE] as const;
const COMMIT_ERRORS = errorResponses(...ACTION, COMMIT, DEVICE, JOURNAL);
// ABORT needs no journal record, and delivered is a change of the store alone (no device command).
const ABORT_ERRORS = errorResponses(...ACTION, DEVICE);
const DELIVERED_ERRORS = errorResponses(...ACTION);
const LOOKUP_ERRORS = errorResponses(...AUTHENTICATED, ID_PARAM);

/**
 * Checks the Idempotency-Key before the body: a create without one is refused with 400 whatever the
 * body holds, so a POS learns about the missing key first (it is needed to retry safely).
 */
async function requireIdempotencyKey(request: FastifyRequest): Promise<void> {
  if (!hasValidIdempotencyKey(request.headers)) throw idempotencyKeyError();
}

/** RECORD_NOT_FOUND for an id or Idempotency-Key no invoice has (also the receipt routes' answer). */
export function notFound(idOrKey: string): FiscalError {
  return new FiscalError(
    "RECORD_NOT_FOUND",
    `no invoice has the id or Idempotency-Key ${JSON.stringify(idOrKey)}`,
  );
}

/** The body of a commit, abort or delivered answer; a repeat of a done action is marked as a replay. */
function actionBody(reply: FastifyReply, result: ActionResult): ReturnType<typeof invoiceBody> {
  if (result.replayed) reply.header(REPLAYED_HEADER, "true");
  return invoiceBody(result.invoice);
}

function isSealed(view: InvoiceView): boolean {
  return (
    view.fiscal !== null &&
    (view.state === "FISCALIZED" || view.state === "DELIVERED" || view.state === "SYNCED")
  );
}

/** Registers the invoice routes on `app`. */
export function invoiceRoutes(app: ApiInstance, ctx: RouteContext): void {
  const { invoices, metrics } = ctx;

  app.post(
    `${API_PREFIX}/invoices`,
    {
      schema: {
        operationId: "createInvoice",
        summary: "Fiscalise an invoice in one call (PREPARE and COMMIT)",
        description:
          "Answers 201 with the sealed invoice. A retry with the same Idempotency-Key and body answers the " +
          "original result with `Idempotent-Replayed: true`; the same key with another body is 409.",
        tags: TAG,
        headers: CreateHeadersSchema,
        body: InvoiceBodySchema,
        response: { 201: REPLAYABLE, ...CREATE_ERRORS },
      },
      preValidation: requireIdempotencyKey,
    },
    async (request, reply) => {
      const result = await invoices.fiscalise(
        request.body,
        request.headers["idempotency-key"],
        callerOf(request),
      );
      if (result.replayed) reply.header(REPLAYED_HEADER, "true");
      else if (isSealed(result.invoice)) metrics.countFiscalisation(result.invoice.type, "one_shot");
      return reply.status(201).send(invoiceBody(result.invoice));
    },
  );

  app.post(
    `${API_PREFIX}/invoices/prepare`,
    {
      schema: {
        operationId: "prepareInvoice",
        summary: "Two-step mode: validate on the device and hold the invoice in PREPARED",
        description:
          "Answers 201 with the device-validated totals and `commit_before`; commit or abort before then.",
        tags: TAG,
        headers: CreateHeadersSchema,
        body: InvoiceBodySchema,
        response: { 201: REPLAYABLE, ...CREATE_ERRORS },
      },
      preValidation: requireIdempotencyKey,
    },
    async (request, reply) => {
      const result = await invoices.prepare(
        request.body,
        request.headers["idempotency-key"],
        callerOf(request),
      );
      if (result.replayed) reply.header(REPLAYED_HEADER, "true");
      return reply.status(201).send(invoiceBody(result.invoice));
    },
  );

  app.post(
    `${API_PREFIX}/invoices/:id/commit`,
    {
      schema: {
        operationId: "commitInvoice",
        summary: "Two-step mode: seal a PREPARED invoice",
        tags: TAG,
        params: IdParamsSchema,
        response: { 200: REPLAYABLE, ...COMMIT_ERRORS },
      },
    },
    async (request, reply) => {
      const result = await invoices.commit(request.params.id, callerOf(request));
      // Count the seal once: a repeated commit of an already sealed invoice is not a new fiscalisation.
      if (result.replayed) reply.header(REPLAYED_HEADER, "true");
      else if (isSealed(result.invoice)) metrics.countFiscalisation(result.invoice.type, "two_step");
      return invoiceBody(result.invoice);
    },
  );

  app.post(
    `${API_PREFIX}/invoices/:id/abort`,
    {
      schema: {
        operationId: "abortInvoice",
        summary: "Two-step mode: give up a PREPARED invoice (nothing is sealed)",
        tags: TAG,
        params: IdParamsSchema,
        response: { 200: REPLAYABLE, ...ABORT_ERRORS },
      },
    },
    async (request, reply) => actionBody(reply, await invoices.abort(request.params.id, callerOf(request))),
  );

  app.post(
    `${API_PREFIX}/invoices/:id/delivered`,
    {
      schema: {
        operationId: "markInvoiceDelivered",
        summary: "The receipt was printed and handed to the customer",
        tags: TAG,
        params: IdParamsSchema,
        response: { 200: REPLAYABLE, ...DELIVERED_ERRORS },
      },
    },
    async (request, reply) =>
      actionBody(reply, await invoices.markDelivered(request.params.id, callerOf(request))),
  );

  app.get(
    `${API_PREFIX}/invoices/:id`,
    {
      schema: {
        operationId: "getInvoice",
        summary: "Look an invoice up by id or Idempotency-Key (recovers a lost response)",
        tags: TAG,
        params: IdParamsSchema,
        response: { 200: InvoiceViewSchema, ...LOOKUP_ERRORS },
      },
    },
    async (request) => {
      const view = invoices.get(request.params.id, callerOf(request));
      if (view === undefined) throw notFound(request.params.id);
      return invoiceBody(view);
    },
  );

  app.get(
    `${API_PREFIX}/invoices`,
    {
      schema: {
        operationId: "listInvoices",
        summary: "List invoices, newest first, with filters and cursor paging",
        tags: TAG,
        querystring: ListQuerySchema,
        response: { 200: InvoicePageSchema, ...errorResponses(...AUTHENTICATED, LIST_QUERY) },
      },
    },
    async (request) => {
      const { limit, ...filters } = request.query;
      return pageBody(invoices.list({ ...filters, limit: limit ?? DEFAULT_LIST_LIMIT }, callerOf(request)));
    },
  );
}
