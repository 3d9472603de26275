/**
 * The console over a real fiscal service (test/sync/fixtures.ts SyncHarness: the emulator's device
 * core, the store, the sync parts and the cloud emulator), built into the API app as the daemon builds
 * it, and driven with inject(). A cookie jar keeps the session like a browser does; the clock of the
 * lockout is a manual one.
 */
import type { LightMyRequestResponse } from "fastify";
import pino from "pino";
import type { ConsoleDeps } from "../../../daemon/console/console.js";
import { LoginLockout } from "../../../daemon/console/lockout.js";
import { type ApiInstance, buildApp } from "../../../daemon/http/app.js";
import { ReportPrinter } from "../../../daemon/receipt/report-printer.js";
import { ApiKeyStore } from "../../../daemon/store/api-keys.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { ConsolePasswords } from "../../../daemon/store/console-password.js";
import { ReceiptPrints } from "../../../daemon/store/receipt-prints.js";
import { emulatedLink } from "../../support/emulated-link.js";
import { SyncHarness } from "../../sync/fixtures.js";
import { DayReportsUnderTest } from "../http/day-world.js";
import { FakeStatus, receiptsFor } from "../http/fakes.js";

export const PASSWORD = "correct horse battery";

export const HOST = "127.0.0.1:8765";

/** A browser's view of the console: its cookies, and the last page's CSRF token. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly app: ApiInstance) {}

  async request(
    method: "GET" | "POST",
    url: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const reply = await this.app.inject({
      method,
      url,
      headers: {
        host: HOST,
        ...(cookie === "" ? {} : { cookie }),
        ...(form === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }),
        ...headers,
      },
      ...(form === undefined ? {} : { payload: new URLSearchParams(form).toString() }),
    });
    for (const c of reply.cookies as { name: string; value: string; maxAge?: number }[]) {
      if (c.value === "" || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return reply;
  }

  get(url: string, headers?: Record<string, string>) {
    return this.request("GET", url, undefined, headers);
  }

  /** The CSRF token of a page's first form. */
  static csrfOf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m === null) throw new Error("the page has no CSRF token");
    return m[1]!;
  }

  /** Posts a form with the CSRF token of the page at `from`. */
  async post(from: string, url: string, form: Record<string, string> = {}) {
    const token = Browser.csrfOf((await this.get(from)).body);
    return this.request("POST", url, { _csrf: token, ...form });
  }

  /** Logs in with `password`; returns the login answer. */
  login(password = PASSWORD) {
    return this.post("/console/login", "/console/login", { password });
  }
}

/** The world: the harness, the app with its console, and the parts a test looks at. */
export class ConsoleWorld {
  app!: ApiInstance;
  now = Date.UTC(2026, 11, 4, 9, 0, 0);
  readonly harness = new SyncHarness();
  keys!: ApiKeyStore;
  audit!: AuditLog;
  passwords!: ConsolePasswords;
  readonly status = new FakeStatus();
  /** The fiscal day of a world of its own (test/daemon/http/day-world.ts): its invoices are its own. */
  readonly reports = new DayReportsUnderTest();

  /** Starts the world; `activated: false` leaves the device waiting for its activation code. */
  async start(password: string | null = PASSWORD, options: { activated?: boolean } = {}): Promise<this> {
    const h = await this.harness.start();
    if (options.activated !== false) await h.activate();
    this.audit = new AuditLog(h.db);
    this.keys = new ApiKeyStore(h.db, this.audit);
    this.passwords = new ConsolePasswords(h.db, this.audit);
    if (password !== null) await this.passwords.set(password, "test");
    const reports = this.reports;
    const parts = h.sync.parts;
    const consoleDeps: ConsoleDeps = {
      passwords: this.passwords,
      lockout: new LoginLockout(() => this.now),
      audit: this.audit,
      status: this.status,
      invoices: h.service,
      reads: h.store,
      receipts: receiptsFor(h.db),
      keys: this.keys,
      reports: this.reports,
      reportPrinter: new ReportPrinter(
        () => ({ name: "Boutique Test", address: "Kinshasa" }),
        "Africa/Kinshasa",
      ),
      sync: { queue: parts.queue, agent: parts.agent, attempts: parts.attempts },
      device: emulatedLink(h.device),
      activation: parts.activation,
      printsOf: (deviceId, n) => new ReceiptPrints(h.db).printsOfRecord(deviceId, n),
      deviceId: () => h.identity.current?.deviceId ?? null,
      timeZone: "Africa/Kinshasa",
      refreshSeconds: 5,
      now: () => this.now,
    };
    this.app = buildApp({
      invoices: h.service,
      receipts: receiptsFor(h.db),
      reports,
      keys: this.keys,
      status: this.status,
      logger: pino({ level: process.env.CONSOLE_TEST_LOG ?? "silent" }),
      config: { version: "0.1.0-test" },
      console: consoleDeps,
    });
    this.app.addHook("onClose", async () => reports.stop());
    await this.app.ready();
    return this;
  }

  browser(): Browser {
    return new Browser(this.app);
  }

  /** The audit actions, oldest first. */
  actions(): string[] {
    return (
      this.harness.db.prepare("SELECT action FROM audit_log ORDER BY id").all() as { action: string }[]
    ).map((r) => r.action);
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await this.harness.stop();
  }
}
