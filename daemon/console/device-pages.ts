/**
 * The console's device page (docs/CONSOLE.md §Device): INFO and STATUS, the clock against this PC's
 * with a button that sets it (the device refuses once activated, beyond its window: E107), the
 * self-test, activation by a code from the Stalela Cloud, and the journal export an auditor verifies
 * (docs/EXPORT.md), downloaded as `stalela device export` writes it. The same helpers as the admin
 * routes (daemon/admin/device-routes.ts), so the CLI and the console say the same.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply } from "fastify";
import { infoReport, selfTestReport, setClock, statusReport } from "../admin/device-routes.js";
import { journalExportJson, openJournalExport } from "../export/journal-export.js";
import { CONSOLE_ACTOR } from "./auth-routes.js";
import type { ConsoleDeps } from "./deps.js";
import { page } from "./render.js";

export function registerDevicePages(app: FastifyInstance, deps: ConsoleDeps): void {
  const devicePage = async (
    request: Parameters<typeof page>[0],
    reply: FastifyReply,
    done: Record<string, unknown> = {},
  ) => {
    const device = deps.device;
    const info = await infoReport(device);
    const status = await statusReport(device, deps.now);
    return page(request, reply, deps.timeZone, "device.eta", {
      nav: "device",
      title: "console.device.title",
      info,
      status,
      clock: done.clock ?? status.clock_check,
      clockSet: done.clock !== undefined,
      selfTest: done.selfTest ?? null,
      activated: done.activated ?? null,
    });
  };

  app.get("/device", async (request, reply) => devicePage(request, reply));

  app.post("/device/time", async (request, reply) => {
    const clock = await setClock(deps.device, "now", deps.now);
    deps.audit.append(CONSOLE_ACTOR, "device.time.set", { device_time: clock.device_time });
    return devicePage(request, reply, { clock });
  });

  app.post("/device/self-test", async (request, reply) =>
    devicePage(request, reply, { selfTest: await selfTestReport(deps.device) }),
  );

  app.post<{ Body: { code?: string } }>("/device/activate", async (request, reply) => {
    const activated = await deps.activation.activateWithCode(
      (request.body?.code ?? "").trim(),
      CONSOLE_ACTOR,
    );
    return devicePage(request, reply, { activated });
  });

  // A download: the whole journal, read page by page and streamed, never held in memory.
  app.get("/device/export", async (_request, reply) => {
    const stream = await openJournalExport(deps.device, {
      printsOf: deps.printsOf,
      now: () => new Date(deps.now()),
    });
    const { device_id: id } = stream.header.device;
    const name = `journal-${id}-${stream.header.range.from}-${stream.header.range.to}.json`;
    deps.audit.append(CONSOLE_ACTOR, "device.export", { range: stream.header.range });
    return reply
      .type("application/json; charset=utf-8")
      .header("content-disposition", `attachment; filename="${name}"`)
      .send(Readable.from(journalExportJson(stream)));
  });
}
