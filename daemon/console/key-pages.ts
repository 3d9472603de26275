/**
 * The console's POS keys and uploads (docs/CONSOLE.md §Keys, §Uploads). A new key is shown once, in
 * the answer to the form that made it, never in a URL or a log; revoking takes effect on the next POS
 * request. Failed uploads go back to the queue one by one or all together, as `stalela queue retry`.
 */
import type { FastifyInstance } from "fastify";
import { CONSOLE_ACTOR } from "./auth-routes.js";
import type { ConsoleDeps } from "./deps.js";
import { page } from "./render.js";

/** Rows of each upload list. */
export const UPLOAD_LIST_MAX = 200;

export function registerKeyPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const keysPage = (
    request: Parameters<typeof page>[0],
    reply: Parameters<typeof page>[1],
    extra: { created?: { key: string; id: string; cashier: string }; revoked?: string },
  ) =>
    page(request, reply, deps.timeZone, "keys.eta", {
      nav: "keys",
      title: "console.keys.title",
      keys: deps.keys.list(),
      created: extra.created ?? null,
      revoked: extra.revoked ?? null,
    });

  app.get("/keys", async (request, reply) => keysPage(request, reply, {}));

  app.post<{ Body: { cashier?: string; label?: string } }>("/keys", async (request, reply) => {
    const cashier = (request.body?.cashier ?? "").trim();
    const label = (request.body?.label ?? "").trim();
    const { key, info } = deps.keys.create(cashier, label === "" ? null : label, CONSOLE_ACTOR);
    return keysPage(request, reply, { created: { key, id: info.id, cashier: info.cashier_id } });
  });

  app.post<{ Params: { id: string } }>("/keys/:id/revoke", async (request, reply) => {
    const info = deps.keys.revoke(request.params.id, CONSOLE_ACTOR);
    return keysPage(request, reply, { revoked: info.id });
  });

  const uploadsPage = (
    request: Parameters<typeof page>[0],
    reply: Parameters<typeof page>[1],
    requeued: number | null,
  ) => {
    const sync = deps.sync;
    return page(request, reply, deps.timeZone, "uploads.eta", {
      nav: "uploads",
      title: "console.uploads.title",
      available: sync !== undefined,
      summary: sync?.queue.summary() ?? null,
      pending: sync?.queue.list("PENDING", 0, UPLOAD_LIST_MAX) ?? [],
      failed: sync?.queue.list("FAILED", 0, UPLOAD_LIST_MAX) ?? [],
      requeued,
    });
  };

  app.get("/uploads", async (request, reply) => uploadsPage(request, reply, null));

  app.post<{ Body: { invoice_id?: string } }>("/uploads/retry", async (request, reply) => {
    const id = request.body?.invoice_id;
    const n = deps.sync?.agent.retry(id === undefined || id === "" ? undefined : [id]) ?? 0;
    deps.audit.append(CONSOLE_ACTOR, "sync.retry", { invoice_id: id ?? null, requeued: n });
    return uploadsPage(request, reply, n);
  });
}
