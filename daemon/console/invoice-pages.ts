/**
 * The console's invoices (docs/CONSOLE.md §Invoices): search by local date, fiscal number, id or
 * idempotency key, type and state; an invoice's detail with its transitions, its uploads and its QR;
 * its receipt on screen (a preview, not counted) and printed, which the receipt log counts: the
 * original once, then a DUPLICATA every time, requested by `console`.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { FiscalError, INVOICE_TYPES_V2 } from "../../protocol/index.js";
import { INVOICE_STATES, type InvoiceFilter, type InvoiceState, type InvoiceView } from "../fiscal/types.js";
import { DOCUMENT_CSP } from "../receipt/html.js";
import { renderQrSvg } from "../receipt/qr.js";
import { CONSOLE_ACTOR } from "./auth-routes.js";
import type { ConsoleDeps } from "./deps.js";
import { langOf, page } from "./render.js";
import { localMidnight } from "./today.js";

/** Invoices per page of a search. */
export const INVOICE_PAGE_SIZE = 50;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

interface Search {
  readonly date?: string;
  readonly number?: string;
  readonly key?: string;
  readonly type?: string;
  readonly state?: string;
  readonly cursor?: string;
}

/** The filter of a date search: that local day in the shop's zone. */
function dayFilter(date: string, timeZone: string): Pick<InvoiceFilter, "from" | "to"> {
  const m = DATE.exec(date);
  if (m === null) throw new FiscalError("FIELD_TYPE", "the date is YYYY-MM-DD");
  const noon = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  if (Number.isNaN(noon)) throw new FiscalError("FIELD_TYPE", "the date is YYYY-MM-DD");
  const from = localMidnight(noon, timeZone);
  return { from: new Date(from).toISOString(), to: new Date(from + 86_400_000).toISOString() };
}

/** The invoices a search finds, and the cursor of the next page. */
function search(deps: ConsoleDeps, q: Search): { items: readonly InvoiceView[]; next: string | null } {
  const key = q.key?.trim();
  if (key) {
    const one = deps.invoices.get(key);
    return { items: one === undefined ? [] : [one], next: null };
  }
  const number = q.number?.trim();
  if (number) {
    const deviceId = deps.deviceId();
    const n = Number(number);
    if (!Number.isSafeInteger(n) || n < 1) throw new FiscalError("FIELD_RANGE", "a fiscal number is ≥ 1");
    const row = deviceId === null ? undefined : deps.reads.recordByNumber(deviceId, n);
    const one = row === undefined ? undefined : deps.invoices.get(row.invoice_id);
    return { items: one === undefined ? [] : [one], next: null };
  }
  const type = q.type && (INVOICE_TYPES_V2 as readonly string[]).includes(q.type) ? q.type : undefined;
  const state = q.state && (INVOICE_STATES as readonly string[]).includes(q.state) ? q.state : undefined;
  const found = deps.invoices.list({
    ...(q.date ? dayFilter(q.date, deps.timeZone) : {}),
    ...(type === undefined ? {} : { type: type as InvoiceFilter["type"] }),
    ...(state === undefined ? {} : { state: state as InvoiceState }),
    ...(q.cursor ? { cursor: q.cursor } : {}),
    limit: INVOICE_PAGE_SIZE,
  });
  return { items: found.items, next: found.next_cursor };
}

export function registerInvoicePages(app: FastifyInstance, deps: ConsoleDeps): void {
  const find = (id: string): InvoiceView => {
    const view = deps.invoices.get(id);
    if (view === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no invoice ${id}`);
    return view;
  };

  app.get<{ Querystring: Search }>("/invoices", async (request, reply) => {
    const q = request.query;
    const { items, next } = search(deps, q);
    const params = new URLSearchParams(
      Object.entries({ ...q, cursor: next ?? "" }).filter(([, v]) => typeof v === "string" && v !== ""),
    );
    return page(request, reply, deps.timeZone, "invoices.eta", {
      nav: "invoices",
      title: "console.invoices.title",
      q,
      items,
      nextUrl: next === null ? null : `/console/invoices?${params}`,
      types: INVOICE_TYPES_V2,
      states: INVOICE_STATES,
    });
  });

  app.get<{ Params: { id: string } }>("/invoices/:id", async (request, reply) => {
    const view = find(request.params.id);
    const sync = deps.sync;
    const entry = sync?.queue.entryOf(view.id);
    return page(request, reply, deps.timeZone, "invoice.eta", {
      nav: "invoices",
      title: "console.invoice.title",
      titleValues: { ref: view.client_ref },
      view,
      qrSvg: view.fiscal === null ? null : await renderQrSvg(view.fiscal.qr, 192),
      attempts: entry === undefined || sync === undefined ? [] : sync.attempts.covering(entry.seq),
    });
  });

  const receipt = async (reply: FastifyReply, view: InvoiceView, lang: "fr" | "en", preview: boolean) => {
    const rendered = await deps.receipts.render(view, {
      format: "html",
      width: 48,
      lang,
      preview,
      requestedBy: CONSOLE_ACTOR,
    });
    if (!preview) {
      deps.audit.append(CONSOLE_ACTOR, "receipt.print", {
        invoice_id: view.id,
        copy: rendered.copy.kind,
      });
    }
    return reply.type(rendered.mediaType).header("content-security-policy", DOCUMENT_CSP).send(rendered.body);
  };

  app.get<{ Params: { id: string } }>("/invoices/:id/receipt", async (request, reply) =>
    receipt(reply, find(request.params.id), langOf(request, reply), true),
  );

  app.post<{ Params: { id: string } }>("/invoices/:id/print", async (request, reply) =>
    receipt(reply, find(request.params.id), langOf(request, reply), false),
  );
}
