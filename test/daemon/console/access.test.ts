/**
 * Who gets into the console (docs/CONSOLE.md §Access, SECURITY.md §Console): nobody without the
 * password; a POS key opens no page and a console session opens no POS route; every state change
 * needs the session's CSRF token; five wrong passwords lock the console, even for the right one,
 * until the lock ends (a manual clock); the Host check applies as on the API.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_MS, MAX_FAILURES } from "../../../daemon/console/lockout.js";
import { Browser, ConsoleWorld, HOST, PASSWORD } from "./world.js";

let world: ConsoleWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function started(password?: string | null): Promise<ConsoleWorld> {
  world = await new ConsoleWorld().start(password);
  return world;
}

describe("without a session", () => {
  it("every page sends the browser to the login page, htmx gets HX-Redirect, a POST gets 401", async () => {
    const w = await started();
    const b = w.browser();
    for (const url of [
      "/console/",
      "/console/today",
      "/console/invoices",
      "/console/keys",
      "/console/uploads",
    ]) {
      const r = await b.get(url);
      expect(r.statusCode, url).toBe(303);
      expect(r.headers.location, url).toBe("/console/login");
    }
    const live = await b.get("/console/status/live", { "hx-request": "true" });
    expect(live.statusCode).toBe(401);
    expect(live.headers["hx-redirect"]).toBe("/console/login");
    const post = await b.request("POST", "/console/keys", { cashier: "C-1" });
    expect(post.statusCode).toBe(401);
    expect(w.keys.list().map((k) => k.cashier_id)).not.toContain("C-1");
  });

  it("a POS key opens no console page", async () => {
    const w = await started();
    const { key } = w.keys.create("CASHIER-1", null, "test");
    const r = await w.browser().get("/console/", { authorization: `Bearer ${key}` });
    expect(r.statusCode).toBe(303);
    expect(r.headers.location).toBe("/console/login");
  });
});

describe("logging in", () => {
  it("a wrong password is refused and logged; the right one opens a new, HttpOnly, SameSite=Strict session", async () => {
    const w = await started();
    const b = w.browser();
    const wrong = await b.login("not the password");
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain("Mot de passe incorrect.");
    const before = b.cookies.get("stalela_console");
    const right = await b.login();
    expect(right.statusCode).toBe(303);
    expect(right.headers.location).toBe("/console/");
    const cookie = String(right.headers["set-cookie"])
      .split(/,(?=\s*\w+=)/)
      .find((c) => c.includes("stalela_console="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/console/);
    // A new session id at login: one seen before the password is worth nothing after.
    expect(b.cookies.get("stalela_console")).not.toBe(before);
    const home = await b.get("/console/");
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain("État du service");
    expect(w.actions()).toEqual(expect.arrayContaining(["console.login.failed", "console.login"]));
  });

  it("a console session opens no POS route", async () => {
    const w = await started();
    const b = w.browser();
    await b.login();
    const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    for (const url of ["/v1/invoices", "/v1/status", "/v1/reports/x"]) {
      const r = await w.app.inject({ method: "GET", url, headers: { host: HOST, cookie } });
      expect(r.statusCode, url).toBe(401);
      expect(r.json().error.code, url).toBe(600);
    }
  });

  it("without a password set, the page says how to set one and no password opens it", async () => {
    const w = await started(null);
    const b = w.browser();
    expect((await b.get("/console/login")).body).toContain("stalela console password");
    expect((await b.login("")).statusCode).toBe(401);
    expect((await b.login(PASSWORD)).statusCode).toBe(401);
  });

  it("logging out ends the session", async () => {
    const w = await started();
    const b = w.browser();
    await b.login();
    const out = await b.post("/console/", "/console/logout");
    expect(out.statusCode).toBe(303);
    expect((await b.get("/console/")).statusCode).toBe(303);
  });
});

describe("CSRF", () => {
  it("a state change without the session's token is refused, and changes nothing", async () => {
    const w = await started();
    const b = w.browser();
    await b.login();
    const none = await b.request("POST", "/console/keys", { cashier: "C-NONE" });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain("Le formulaire a expiré");
    // Another browser's token does not fit this session.
    const other = w.browser();
    await other.login();
    const foreign = Browser.csrfOf((await other.get("/console/keys")).body);
    const stolen = await b.request("POST", "/console/keys", { cashier: "C-STOLEN", _csrf: foreign });
    expect(stolen.statusCode).toBe(403);
    expect(w.keys.list().map((k) => k.cashier_id)).not.toContain("C-NONE");
    expect(w.keys.list().map((k) => k.cashier_id)).not.toContain("C-STOLEN");
    const good = await b.post("/console/keys", "/console/keys", { cashier: "C-GOOD" });
    expect(good.statusCode).toBe(200);
    expect(w.keys.list().map((k) => k.cashier_id)).toContain("C-GOOD");
  });

  it("the login form needs its token too", async () => {
    const w = await started();
    const r = await w.browser().request("POST", "/console/login", { password: PASSWORD });
    expect(r.statusCode).toBe(403);
  });
});

describe("lockout", () => {
  it(`after ${MAX_FAILURES} wrong passwords even the right one is refused until the lock ends`, async () => {
    const w = await started();
    const b = w.browser();
    for (let i = 1; i < MAX_FAILURES; i++) expect((await b.login(`wrong-${i}`)).statusCode).toBe(401);
    const locking = await b.login("wrong-last");
    expect(locking.statusCode).toBe(429);
    expect(locking.body).toContain("verrouillée jusqu");
    w.now += LOCK_MS - 1;
    expect((await b.login()).statusCode).toBe(429);
    w.now += 1;
    expect((await b.login()).statusCode).toBe(303);
    expect(w.actions()).toEqual(expect.arrayContaining(["console.login.refused", "console.login"]));
  });
});

describe("the console's HTTP", () => {
  it("checks the Host header as the API does", async () => {
    const w = await started();
    const r = await w.app.inject({ method: "GET", url: "/console/login", headers: { host: "evil.example" } });
    expect(r.statusCode).toBe(421);
  });

  it("sends a strict CSP and refuses framing", async () => {
    const w = await started();
    const r = await w.browser().get("/console/login");
    expect(r.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(r.headers["x-frame-options"]).toBe("DENY");
  });

  it("serves its four assets without a session, and nothing else from their folders", async () => {
    const w = await started();
    const b = w.browser();
    for (const [file, type] of [
      ["htmx.min.js", "javascript"],
      ["chart.umd.min.js", "javascript"],
      ["console.js", "javascript"],
      ["console.css", "text/css"],
    ]) {
      const r = await b.get(`/console/assets/${file}`);
      expect(r.statusCode, file).toBe(200);
      expect(String(r.headers["content-type"]), file).toContain(type);
    }
    for (const url of [
      "/console/assets/htmx.js",
      "/console/assets/package.json",
      "/console/assets/../login.eta",
    ]) {
      expect((await b.get(url)).statusCode, url).not.toBe(200);
    }
  });

  it("is not in the API's OpenAPI document", async () => {
    const w = await started();
    const doc = (await w.app.inject({ method: "GET", url: "/openapi.json", headers: { host: HOST } })).json();
    expect(Object.keys(doc.paths).some((p) => p.startsWith("/console"))).toBe(false);
    expect(Object.keys(doc.paths)).toContain("/v1/invoices");
  });
});
