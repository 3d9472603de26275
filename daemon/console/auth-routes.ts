/**
 * Logging in and out of the console (docs/CONSOLE.md §Access). A login regenerates the session, so a
 * session id seen before the password was given is worth nothing after; every attempt is in the audit
 * log; after repeated failures the lockout refuses even the right password until it ends.
 */
import type { FastifyInstance } from "fastify";
import type { ConsoleDeps } from "./deps.js";
import { page } from "./render.js";

/** Who the audit log names for what the console does. */
export const CONSOLE_ACTOR = "console";

export function registerAuthRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const loginPage = (
    request: Parameters<typeof page>[0],
    reply: Parameters<typeof page>[1],
    problem: { key: string; values?: Record<string, string> } | null,
  ) => {
    const locked = deps.lockout.lockedTill();
    const shown =
      problem ??
      (locked !== null
        ? { key: "console.login.locked", values: { until: "" } }
        : deps.passwords.setAt() === null
          ? { key: "console.login.unset" }
          : null);
    return page(request, reply, deps.timeZone, "login.eta", {
      nav: null,
      title: "console.login.title",
      problem: shown,
      lockedTill: locked,
    });
  };

  app.get("/login", async (request, reply) => {
    if (request.session.get("operator") !== undefined) return reply.redirect("/console/", 303);
    return loginPage(request, reply, null);
  });

  app.post<{ Body: { password?: unknown } }>("/login", async (request, reply) => {
    const locked = deps.lockout.lockedTill();
    if (locked !== null) {
      deps.audit.append(CONSOLE_ACTOR, "console.login.refused", { reason: "locked" });
      reply.status(429);
      return loginPage(request, reply, { key: "console.login.locked", values: { until: "" } });
    }
    const password = typeof request.body?.password === "string" ? request.body.password : "";
    if (!(await deps.passwords.verify(password))) {
      const nowLocked = deps.lockout.failed();
      deps.audit.append(CONSOLE_ACTOR, "console.login.failed", { locked: nowLocked });
      reply.status(nowLocked ? 429 : 401);
      return loginPage(
        request,
        reply,
        nowLocked ? { key: "console.login.locked", values: { until: "" } } : { key: "console.login.wrong" },
      );
    }
    deps.lockout.succeeded();
    await request.session.regenerate();
    request.session.set("operator", CONSOLE_ACTOR);
    deps.audit.append(CONSOLE_ACTOR, "console.login", {});
    return reply.redirect("/console/", 303);
  });

  app.post("/logout", async (request, reply) => {
    deps.audit.append(CONSOLE_ACTOR, "console.logout", {});
    await request.session.destroy();
    return reply.redirect("/console/login", 303);
  });
}
