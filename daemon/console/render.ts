/**
 * What every console page is rendered with (docs/CONSOLE.md): the reader's language (French unless
 * they chose English), the CSRF token for its forms, and times in the shop's zone. Pages are eta
 * templates under daemon/console/views, wrapped in layout.eta; `it.t` is the one message catalogue
 * the CLI uses too (protocol/i18n).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { isLang, type Lang, t } from "../../protocol/i18n/index.js";
import { formatLocalTime, localTimeOf } from "../../protocol/i18n/time.js";
import { formatAmount } from "../../protocol/index.js";

/** The cookie that keeps the reader's language choice. */
export const LANG_COOKIE = "stalela_console_lang";

/** The pages of the navigation, in its order. */
export const NAV_PAGES = ["status", "today", "invoices", "reports", "uploads", "keys", "device"] as const;
export type NavPage = (typeof NAV_PAGES)[number];

/** The reader's language: `?lang=` (then remembered), else the cookie, else French. */
export function langOf(request: FastifyRequest, reply: FastifyReply): Lang {
  const asked = (request.query as { lang?: unknown } | undefined)?.lang;
  // No cookies when the request was refused before the console's own hooks ran (the Host check).
  if (request.cookies == null) return isLang(asked) ? asked : "fr";
  if (isLang(asked)) {
    reply.setCookie(LANG_COOKIE, asked, { path: "/console", httpOnly: true, sameSite: "strict" });
    return asked;
  }
  const kept = request.cookies[LANG_COOKIE];
  return isLang(kept) ? kept : "fr";
}

/**
 * A CSRF token for the page's forms; none when the request never reached the session (a refusal by
 * the API's own guards, such as the Host check, answered as a console page).
 */
function csrfOf(request: FastifyRequest, reply: FastifyReply): string {
  return request.session == null ? "" : reply.generateCsrf();
}

/** The helpers and values every template gets. */
export function localsOf(request: FastifyRequest, reply: FastifyReply, timeZone: string) {
  const lang = langOf(request, reply);
  return {
    lang,
    other: lang === "fr" ? "en" : "fr",
    path: request.url.split("?")[0]!,
    csrf: csrfOf(request, reply),
    t: (key: string, values?: Record<string, string | number>) => t(lang, key, values),
    /** A time for people: date, time and UTC offset in the shop's zone. */
    time: (ms: number | string | null) =>
      ms === null ? "—" : formatLocalTime(typeof ms === "string" ? Date.parse(ms) : ms, timeZone, lang),
    /** Only the local time of day (hh:mm:ss). */
    clock: (ms: number) => localTimeOf(ms, timeZone, lang).time,
    /** Only the local date (dd/mm/yyyy). */
    date: (ms: number) => localTimeOf(ms, timeZone, lang).date,
    money: (minor: number, currency = "CDF") => formatAmount(minor, currency),
  };
}
export type Locals = ReturnType<typeof localsOf>;

/** Renders `template` inside the layout, with the page's navigation entry and title. */
export function page(
  request: FastifyRequest,
  reply: FastifyReply,
  timeZone: string,
  template: string,
  data: { readonly nav: NavPage | null; readonly title: string; readonly [key: string]: unknown },
): FastifyReply {
  const locals = localsOf(request, reply, timeZone);
  reply.type("text/html; charset=utf-8");
  return reply.view(template, { ...locals, ...data, navPages: NAV_PAGES }, { layout: "layout.eta" });
}

/** Renders a fragment (no layout), for htmx to swap in. */
export function fragment(
  request: FastifyRequest,
  reply: FastifyReply,
  timeZone: string,
  template: string,
  data: Record<string, unknown>,
): FastifyReply {
  reply.type("text/html; charset=utf-8");
  return reply.view(template, { ...localsOf(request, reply, timeZone), ...data });
}
