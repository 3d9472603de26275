/**
 * The operator console (docs/CONSOLE.md): web pages on the daemon's own HTTP server, under /console,
 * for the shop owner and the technician, in French unless they choose English. Server-rendered with
 * fastify's view plugin (eta templates, daemon/console/views) and htmx for the live parts, so there
 * is no client-side router or state to keep, and nothing is fetched from the network: htmx, Chart.js
 * and the style sheet are served from the package.
 *
 * Its access is its own (SECURITY.md §Console): a password hashed with scrypt
 * (daemon/store/console-password.ts), a session cookie that is HttpOnly and SameSite=Strict and
 * scoped to /console, a CSRF token on every state change, and a lockout after repeated failures
 * (lockout.ts). A POS key opens no console page, and a console session opens no POS route: the API's
 * bearer check (daemon/http/app.ts) skips /console, and this scope never reads Authorization.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import fastifySession from "@fastify/session";
import fastifyStatic from "@fastify/static";
import fastifyView from "@fastify/view";
import { Eta } from "eta";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { FiscalError, isFiscalError } from "../../protocol/index.js";
import { registerAuthRoutes } from "./auth-routes.js";
import type { ConsoleDeps } from "./deps.js";
import { registerDevicePages } from "./device-pages.js";
import { registerInvoicePages } from "./invoice-pages.js";
import { registerKeyPages } from "./key-pages.js";
import { page } from "./render.js";
import { registerReportPages } from "./report-pages.js";
import { registerStatusPages } from "./status-pages.js";

export type { ConsoleDeps } from "./deps.js";

/** Where the console lives on the daemon's HTTP server. */
export const CONSOLE_PREFIX = "/console";
/** The session cookie. */
export const SESSION_COOKIE = "stalela_console";
/** A session ends after this long without a request. */
export const SESSION_IDLE_MS = 8 * 60 * 60_000;
/** Largest form body, in bytes. */
const FORM_BODY_LIMIT = 16 * 1024;

/** True for a URL the console answers (the API's bearer check skips these). */
export function isConsoleUrl(url: string): boolean {
  return (
    url === CONSOLE_PREFIX || url.startsWith(`${CONSOLE_PREFIX}/`) || url.startsWith(`${CONSOLE_PREFIX}?`)
  );
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
/** The templates: copied next to the compiled code by `npm run build`. */
export const VIEWS_DIR = join(here, "views");
/** The files /console/assets/ serves, and the folders they are in. */
const ASSETS: Readonly<Record<string, string>> = {
  "console.css": join(VIEWS_DIR, "assets"),
  "console.js": join(VIEWS_DIR, "assets"),
  "htmx.min.js": dirname(require.resolve("htmx.org/dist/htmx.min.js")),
  "chart.umd.min.js": dirname(require.resolve("chart.js")) /* dist/chart.cjs, beside the UMD build */,
};

/** The console's Content-Security-Policy: its own scripts and styles only, no frames, no other origin. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

declare module "fastify" {
  interface Session {
    /** Set once the password was given. */
    operator?: string;
  }
}

/** Paths under the prefix that need no session. */
function isOpen(url: string): boolean {
  const path = url.split("?")[0]!;
  return path === `${CONSOLE_PREFIX}/login` || path.startsWith(`${CONSOLE_PREFIX}/assets/`);
}

/** Registers the console on the daemon's app. */
export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  app.register(
    async (scope) => {
      await scope.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });
      await scope.register(fastifyCookie);
      await scope.register(fastifySession, {
        // A new secret at every start: sessions end with the daemon, and no secret is on disk.
        secret: randomBytes(32).toString("base64url"),
        cookieName: SESSION_COOKIE,
        saveUninitialized: false,
        rolling: true,
        cookie: {
          path: CONSOLE_PREFIX,
          httpOnly: true,
          sameSite: "strict",
          // Loopback plain HTTP: a Secure cookie would never be sent back.
          secure: false,
          maxAge: SESSION_IDLE_MS,
        },
      });
      await scope.register(fastifyCsrf, {
        sessionPlugin: "@fastify/session",
        getToken: (request) =>
          ((request.body as { _csrf?: string } | undefined)?._csrf ??
            request.headers["x-csrf-token"]) as string,
      });
      await scope.register(fastifyView, {
        engine: { eta: new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true }) },
        root: VIEWS_DIR,
      });
      await scope.register(fastifyStatic, {
        root: [...new Set(Object.values(ASSETS))],
        prefix: "/assets/",
        allowedPath: (path) => Object.hasOwn(ASSETS, path.replace(/^\//, "")),
        decorateReply: false,
        index: false,
        list: false,
        cacheControl: false,
      });

      scope.addHook("onRequest", async (request, reply) => {
        reply.header("content-security-policy", CONSOLE_CSP);
        reply.header("x-frame-options", "DENY");
        reply.header("referrer-policy", "no-referrer");
        if (isOpen(request.url) || request.session.get("operator") !== undefined) return;
        // Not logged in: to the login page (htmx follows HX-Redirect instead of swapping the page in).
        if (request.headers["hx-request"] === "true") {
          reply.header("hx-redirect", `${CONSOLE_PREFIX}/login`);
          return reply.status(401).send("");
        }
        if (request.method === "GET") return reply.redirect(`${CONSOLE_PREFIX}/login`, 303);
        return reply.status(401).type("text/plain; charset=utf-8").send("401: log in first");
      });
      // Every state change carries the session's CSRF token (a form's _csrf, or X-CSRF-Token).
      scope.addHook("preHandler", async (request, reply) => {
        if (request.method === "GET" || request.method === "HEAD") return;
        await new Promise<void>((resolve, reject) => {
          scope.csrfProtection(request, reply, (err?: Error) => (err ? reject(err) : resolve()));
        });
      });

      scope.setErrorHandler((error, request, reply) => errorPage(error, request, reply, deps));
      scope.setNotFoundHandler((request, reply) =>
        errorPage(new FiscalError("RECORD_NOT_FOUND", "no such page"), request, reply, deps),
      );

      registerAuthRoutes(scope, deps);
      registerStatusPages(scope, deps);
      registerInvoicePages(scope, deps);
      registerKeyPages(scope, deps);
      registerReportPages(scope, deps);
      registerDevicePages(scope, deps);
    },
    { prefix: CONSOLE_PREFIX },
  );
}

/** A failure as a page: the coded error, in the reader's language, with a way back. */
function errorPage(error: unknown, request: FastifyRequest, reply: FastifyReply, deps: ConsoleDeps) {
  const code = (error as { code?: unknown }).code;
  const csrf = typeof code === "string" && code.startsWith("FST_CSRF");
  const fiscal = isFiscalError(error) ? error : null;
  const status = csrf ? 403 : (fiscal?.httpStatus ?? (error as { statusCode?: number }).statusCode ?? 500);
  if (status >= 500 && fiscal === null) request.log.error({ err: error }, "console failure");
  reply.status(status);
  return page(request, reply, deps.timeZone, "error.eta", {
    nav: null,
    title: "console.error.title",
    status,
    code: fiscal === null ? null : `E${fiscal.code} ${fiscal.errorName}`,
    messageKey: csrf ? "console.login.csrf" : null,
    // A fault of ours says nothing but its status: the log has it, under the request id.
    message: csrf || (status >= 500 && fiscal === null) ? null : (fiscal?.text ?? (error as Error).message),
    notFound: status === 404,
  });
}
