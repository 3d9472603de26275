/**
 * The operator console in a real browser (docs/CONSOLE.md): Debian's Chromium driven by
 * playwright-core, against the real daemon on the real emulator over a PTY (test/e2e/system.ts), on
 * a 1366×768 shop laptop's screen, in French. A technician sets the password with the CLI; the owner
 * logs in, sees the status, watches invoices sealed through the POS API appear, reprints a receipt
 * (a DUPLICATA), makes and revokes a key, closes the day, and logs out. Each page is photographed
 * (into $CONSOLE_SCREENSHOTS, which `npm run console:screenshots` points at docs/console/).
 *
 * It fails, never skips, when Chromium is missing: `.ci/run` installs it.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN } from "../cli/run-cli.js";
import { System, sale } from "../e2e/system.js";
import { CHROMIUM, CHROMIUM_ARGS } from "../support/chromium.js";

const PASSWORD = "mot-de-passe-de-la-boutique";
const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "stalela-console-shots-"));

let sys: System;
let browser: Browser;
let page: Page;

/** `stalela console password --stdin`, as a technician runs it on the shop PC. */
async function setPassword(state: string): Promise<void> {
  const child = promisify(execFile)(process.execPath, [
    CLI_MAIN,
    "console",
    "password",
    "--stdin",
    "--state",
    state,
  ]);
  child.child.stdin?.end(`${PASSWORD}\n`);
  await child;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  sys = await new System().start();
  await setPassword(sys.daemonState);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  // A fresh context is a fresh profile: no cookie or storage from any earlier run.
  const context = await browser.newContext({
    viewport: { width: 1366, height: 768 },
    locale: "fr-FR",
    timezoneId: "Africa/Kinshasa",
  });
  page = await context.newPage();
  page.on("dialog", (dialog) => void dialog.accept());
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sys?.stop();
});

const base = () => sys.daemon.url;

describe("the console in Chromium", () => {
  it("sends a visitor to the login page, and lets the owner in with the password", async () => {
    await page.goto(`${base()}/console/`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
    await expect.poll(() => page.locator("h1").textContent()).toBe("Connexion à la console");
    await shot("login");
    await page.fill("#password", "pas le bon");
    await page.click("button[type=submit]");
    await expect.poll(() => page.locator(".problem").textContent()).toBe("Mot de passe incorrect.");
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(`${base()}/console/`);
    expect(await page.locator("h1").textContent()).toBe("État du service");
  });

  it("shows invoices sealed through the POS API as they are sealed, without a reload", async () => {
    expect(await page.locator('[data-field="last_fiscal_number"]').textContent()).toBe("0");
    for (const key of ["BROWSER-1", "BROWSER-2"]) {
      const reply = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": key });
      expect(reply.status).toBe(201);
    }
    // htmx refreshes the panel every 5 s: the number changes on the page that is already open.
    await expect
      .poll(() => page.locator('[data-field="last_fiscal_number"]').textContent(), { timeout: 20_000 })
      .toBe("2");
    await shot("status");
  });

  it("sums today's sales and draws them per hour", async () => {
    await page.click('nav a[href="/console/today"]');
    expect(await page.locator('[data-field="invoices"]').textContent()).toBe("2");
    expect(await page.locator('[data-field="sales"]').textContent()).toBe("232,00 CDF");
    await expect.poll(() => page.locator("#sales-chart").getAttribute("data-drawn")).toBe("true");
    await shot("today");
  });

  it("finds an invoice, shows its detail, and reprints its receipt as a DUPLICATA", async () => {
    // The till printed the original.
    const original = await sys.api("GET", "/v1/invoices/BROWSER-1/receipt?format=text");
    expect(original.status).toBe(200);
    await page.click('nav a[href="/console/invoices"]');
    expect(await page.locator("tr[data-invoice]").count()).toBe(2);
    await shot("invoices");
    await page.fill('input[name="number"]', "1");
    await page.click("form.search button[type=submit]");
    await page.click("tr[data-invoice] a");
    expect(await page.locator('[data-field="fiscal_number"]').textContent()).toBe("1");
    expect(await page.locator('[data-field="prints"]').textContent()).toBe("Reçus imprimés : 1");
    await shot("invoice");
    const [receipt] = await Promise.all([
      page.waitForEvent("popup"),
      page.click("text=Réimprimer (DUPLICATA)"),
    ]);
    await receipt.waitForLoadState();
    expect(await receipt.content()).toContain("DUPLICATA");
    await receipt.close();
    await page.reload();
    expect(await page.locator('[data-field="prints"]').textContent()).toBe("Reçus imprimés : 2");
  });

  it("makes a key, shown once, and revokes it after a confirmation", async () => {
    await page.click('nav a[href="/console/keys"]');
    await page.fill('input[name="cashier"]', "CAISSE-2");
    await page.fill('input[name="label"]', "caisse du fond");
    await page.click('button:has-text("Créer une clé")');
    const key = (await page.locator('[data-field="new-key"]').textContent())!;
    expect(key).toMatch(/^stl_/);
    const pos = () => fetch(`${base()}/v1/invoices`, { headers: { authorization: `Bearer ${key}` } });
    expect((await pos()).status).toBe(200);
    await shot("keys");
    const row = page.locator("tr[data-key]", { hasText: "CAISSE-2" });
    await row.locator("button", { hasText: "Révoquer" }).click();
    await expect.poll(() => row.locator('[data-field="state"]').textContent()).toMatch(/^révoquée le /);
    expect((await pos()).status).toBe(401);
  });

  it("closes the day after a confirmation, with the device's Z 1", async () => {
    await page.click('nav a[href="/console/reports"]');
    expect(await page.locator("#h-x").textContent()).toContain("le Z n° 1 la clôturera");
    await shot("reports");
    await page.click('[data-action="close-day"]');
    await expect.poll(() => page.locator("[data-made]").getAttribute("data-made")).toBe("Z 1");
    expect(await page.locator("#h-x").textContent()).toContain("le Z n° 2 la clôturera");
    const z = await sys.api("GET", "/v1/reports/z/1");
    expect(z.status).toBe(200);
    expect(z.body).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      first_fiscal_number: 1,
      last_fiscal_number: 2,
    });
  });

  it("shows the uploads and the device, then logs out", async () => {
    await page.click('nav a[href="/console/uploads"]');
    expect(await page.locator("h1").textContent()).toBe("Envois vers le Cloud Stalela");
    await shot("uploads");
    await page.click('nav a[href="/console/device"]');
    expect(await page.locator('[data-field="device-state"]').textContent()).toBe("ACTIVE");
    await shot("device");
    await page.click("text=Se déconnecter");
    await page.waitForURL(`${base()}/console/login`);
    await page.goto(`${base()}/console/keys`);
    expect(new URL(page.url()).pathname).toBe("/console/login");
  });
});
