/**
 * The console's status and today pages (docs/CONSOLE.md §Status, §Today). The status page refreshes
 * itself: htmx asks for /console/status/live every `refreshSeconds` and swaps it in (polling, plain
 * HTTP; no websocket protocol of our own).
 */
import type { FastifyInstance } from "fastify";
import { t } from "../../protocol/i18n/index.js";
import { localTimeOf } from "../../protocol/i18n/time.js";
import type { ConsoleDeps } from "./deps.js";
import { fragment, langOf, page } from "./render.js";
import { localMidnight, todaySummary } from "./today.js";

/** Everything the status panel shows. */
function statusOf(deps: ConsoleDeps, lang: "fr" | "en") {
  const report = deps.status.status(lang);
  const summary = deps.sync?.queue.summary() ?? null;
  return {
    report,
    sync:
      summary === null ? null : { ...summary, lastSuccessAt: deps.sync?.attempts.lastContactAt() ?? null },
    refreshedAt: deps.now(),
    refreshSeconds: deps.refreshSeconds,
  };
}

export function registerStatusPages(app: FastifyInstance, deps: ConsoleDeps): void {
  app.get("/", async (request, reply) =>
    page(request, reply, deps.timeZone, "status.eta", {
      nav: "status",
      title: "console.status.title",
      ...statusOf(deps, langOf(request, reply)),
    }),
  );

  app.get("/status/live", async (request, reply) =>
    fragment(request, reply, deps.timeZone, "status-panel.eta", statusOf(deps, langOf(request, reply))),
  );

  app.get("/today", async (request, reply) => {
    const now = deps.now();
    const since = localMidnight(now, deps.timeZone);
    const deviceId = deps.deviceId();
    const rows = deviceId === null ? [] : deps.reads.recordsIssuedBetween(deviceId, since, now + 1);
    const today = todaySummary(since, rows, deps.timeZone);
    const lang = langOf(request, reply);
    const chart = {
      label: t(lang, "console.today.chart"),
      labels: today.perHour.map((_, h) =>
        t(lang, "console.today.chart_hour", { hour: String(h).padStart(2, "0") }),
      ),
      values: today.perHour.map((minor) => minor / 100),
    };
    return page(request, reply, deps.timeZone, "today.eta", {
      nav: "today",
      title: "console.today.title",
      titleValues: { date: localTimeOf(since, deps.timeZone, lang).date },
      today,
      // Inside <script type="application/json">: `<` escaped so no text can close the element.
      chart: JSON.stringify(chart).replace(/</g, "\\u003c"),
    });
  });
}
