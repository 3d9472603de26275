/**
 * What test/daemon/http/retry-table.test.ts walks docs/API.md §8's table with: the table itself, parsed
 * from the doc (retry-table-doc.ts); a whole daemon side (the real FiscalService and the real buildApp)
 * on the emulator's device core in-process; a link in front of that core that can misbehave the ways a
 * link does (troubled-link.ts); and a POS that follows the table's "do" column literally.
 */

import { fdatasyncSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Response } from "light-my-request";
import { DeviceIdentity } from "../../../daemon/fiscal/identity.js";
import { FiscalService, type FiscalServiceHooks } from "../../../daemon/fiscal/service.js";
import type { InvoiceView, StatusReport, StatusSource } from "../../../daemon/fiscal/types.js";
import { type ApiInstance, buildApp } from "../../../daemon/http/app.js";
import { DayReports } from "../../../daemon/reports/day-reports.js";
import { ApiKeyStore } from "../../../daemon/store/api-keys.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { FiscalReports } from "../../../daemon/store/fiscal-reports.js";
import { InvoiceStore } from "../../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../../daemon/store/outbox.js";
import { resolveDeviceConfig } from "../../../emulator/config.js";
import { FiscalDevice } from "../../../emulator/device/fiscal-device.js";
import { FiscalError, type SealedRecord } from "../../../protocol/index.js";
import { bundleFor } from "../../emulator/fixtures.js";
import { TEST_SFE } from "../fiscal/harness.js";
import { receiptsFor } from "./fakes.js";
import type { Action, RetryRow, RetryTable } from "./retry-table-doc.js";
import { TroubledLink } from "./troubled-link.js";

export * from "./retry-table-doc.js";
export * from "./troubled-link.js";

// ---------------------------------------------------------------------------------------------------
// The daemon side

const STATUS: StatusReport = {
  status: "ok",
  version: "0.0.0-retry-table",
  started_at: "2026-01-01T00:00:00.000Z",
  device: {
    connected: true,
    device_id: null,
    state: null,
    last_fiscal_number: null,
    journal_used: null,
    journal_capacity: null,
  },
  conditions: [],
  counters: {},
  link: {},
  last_reconcile: null,
};
const staticStatus: StatusSource = { status: () => STATUS };

/** Settings of one world. */
export interface WorldOptions {
  readonly maxPending?: number;
  readonly nonceTtlMs?: number;
  readonly activated?: boolean;
  readonly requestBoundMs?: number;
}

/** One emulated device core, and a daemon side (store, service, app) that a test may "crash" and reopen. */
export class RetryWorld {
  readonly dir = mkdtempSync(join(tmpdir(), "stalela-retry-table-"));
  readonly core: FiscalDevice;
  readonly identity = new DeviceIdentity();
  /** What the service's test hooks call; a test sets it to act at those instants. */
  afterDeviceCommit: (() => void) | undefined;
  link!: TroubledLink;
  db!: Db;
  store!: InvoiceStore;
  keys!: ApiKeyStore;
  service!: FiscalService;
  app!: ApiInstance;
  /** The plain API key of till 1. */
  apiKey!: string;
  /** Whether the daemon's SFE identity (ISF, seller) is configured; a test unsets it. */
  sfeConfigured = true;
  /** Whether the shop's opt-in rule refuses sales until the day is closed; a test sets it. */
  dayOverdue = false;
  private readonly apps: ApiInstance[] = [];

  constructor(private readonly options: WorldOptions = {}) {
    this.core = new FiscalDevice(
      join(this.dir, "def"),
      resolveDeviceConfig({ nonceTtlMs: options.nonceTtlMs ?? 60_000, maxPending: options.maxPending }),
    );
  }

  /** Starts the core (activated unless told otherwise) and the daemon side. */
  async start(): Promise<this> {
    this.core.start();
    if (this.options.activated ?? true) this.activate();
    this.open();
    this.apiKey = this.keys.create("CASHIER-1", "till 1", "test").key;
    await this.app.ready();
    return this;
  }

  /** Activates the core and binds the daemon to it, as the daemon does when the device connects. */
  activate(): void {
    this.core.execute("ACTIVATE", { bundle: bundleFor(this.core.deviceId) });
    const info = this.core.execute("INFO", {});
    this.identity.set({
      deviceId: info.device_id,
      publicKey: info.public_key,
      merchantNif: info.identity!.merchant_nif,
      outletId: info.identity!.outlet_id,
      fiscalAuthorityId: info.identity!.fiscal_authority_id,
    });
  }

  private open(): void {
    this.link = new TroubledLink(this.core);
    this.db = openDatabase(join(this.dir, "daemon.sqlite"));
    // Fake timers move the POS's retries on instantly: the seal's fsync is done in the same turn, so a
    // walk never races the thread pool (the grouped, asynchronous fsync has its own tests).
    this.store = new InvoiceStore(this.db, undefined, (fd, done) => {
      fdatasyncSync(fd);
      done(null);
    });
    const audit = new AuditLog(this.db);
    this.keys = new ApiKeyStore(this.db, audit);
    const hooks: FiscalServiceHooks = { afterDeviceCommit: () => this.afterDeviceCommit?.() };
    this.service = new FiscalService(this.store, new OutboxStore(this.db), this.link, this.identity, {
      hooks,
      sfe: () => (this.sfeConfigured ? TEST_SFE : undefined),
      admission: () =>
        this.dayOverdue
          ? new FiscalError("DAY_NOT_CLOSED", "the fiscal day is not closed: make the Z report first")
          : undefined,
      ...(this.options.requestBoundMs !== undefined && { requestBoundMs: this.options.requestBoundMs }),
    });
    const reports = new DayReports({
      reports: new FiscalReports(this.db),
      invoices: this.store,
      device: this.link,
      identity: this.identity,
      isf: () => (this.sfeConfigured ? TEST_SFE.isf : undefined),
      audit,
    });
    this.app = buildApp({
      invoices: this.service,
      receipts: receiptsFor(this.db),
      reports,
      keys: this.keys,
      status: staticStatus,
      config: { version: "0" },
    });
    this.apps.push(this.app);
  }

  /**
   * The daemon process dies (whatever it was doing never resumes: a held command stays held) and starts
   * again on the same store and the same device, with a new link. The device keeps its pending PREPAREs.
   */
  async restartDaemon(): Promise<void> {
    this.db.close();
    this.open();
    await this.app.ready();
  }

  /** How many records the device journal holds for a basket, told apart by its (unique) total. */
  sealedCount(total: number): number {
    return this.core.memory.queries.range(1, 1_000_000).filter((r) => r.total === total).length;
  }

  /** The device journal's record of a basket, by total. */
  sealedRecord(total: number): { fiscalNumber: number; sealed: SealedRecord } | undefined {
    const row = this.core.memory.queries.range(1, 1_000_000).find((r) => r.total === total);
    return row && { fiscalNumber: row.fiscalNumber, sealed: row.sealed };
  }

  async stop(): Promise<void> {
    for (const app of this.apps) await app.close().catch(() => undefined);
    if (this.db.open) this.db.close();
    this.core.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// The POS

/** A POS sale body of `total` minor units, one line in group B, paid in cash. */
export function basket(total: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    operator: { name: "Mireille Kabeya" },
    items: [{ name: "Sac de riz", kind: "BIE", quantity: 1, unit_price: total, tax_group: "B" }],
    payments: [{ method: "CASH", amount: total }],
    ...extra,
  };
}

/** One request of a POS. `create` is one-shot; `prepare` and `commit` are two-step. */
export interface PosRequest {
  readonly op: "create" | "prepare" | "commit";
  readonly key: string;
  readonly body?: Record<string, unknown>;
  /** Sent as the body instead of `body` (a POS bug). */
  readonly raw?: string;
  readonly contentType?: string;
  /** Sent instead of the key in the URL of a commit (a POS bug). */
  readonly urlKey?: string;
  /** Headers sent as they are, replacing the POS's own (a POS bug). */
  readonly headers?: Record<string, string | string[] | undefined>;
}

/** An HTTP client of the daemon, as a till: its API key and the Host it calls. */
export class Pos {
  apiKey: string | undefined;
  host = "127.0.0.1:8765";

  constructor(
    private readonly world: RetryWorld,
    apiKey = world.apiKey,
  ) {
    this.apiKey = apiKey;
  }

  private headers(): Record<string, string> {
    return {
      host: this.host,
      ...(this.apiKey !== undefined && { authorization: `Bearer ${this.apiKey}` }),
    };
  }

  /** Sends `req` on the world's current app (the one running now, after a restart). */
  send(req: PosRequest): Promise<Response> {
    const app = this.world.app;
    if (req.op === "commit") {
      return app.inject({
        method: "POST",
        url: `/v1/invoices/${req.urlKey ?? encodeURIComponent(req.key)}/commit`,
        headers: { ...this.headers(), ...req.headers },
      });
    }
    const body = req.raw ?? JSON.stringify(req.body);
    const headers: Record<string, string | string[] | undefined> = {
      ...this.headers(),
      "content-type": req.contentType ?? "application/json",
      "idempotency-key": req.key,
      ...req.headers,
    };
    return app.inject({
      method: "POST",
      url: req.op === "create" ? "/v1/invoices" : "/v1/invoices/prepare",
      headers: headers as Record<string, string>,
      payload: body,
    });
  }

  /** GET /v1/invoices/{key}. */
  get(key: string): Promise<Response> {
    return this.world.app.inject({
      method: "GET",
      url: `/v1/invoices/${encodeURIComponent(key)}`,
      headers: this.headers(),
    });
  }
}

const SEALED = new Set(["FISCALIZED", "DELIVERED", "SYNCED"]);

/** What the world does while the POS follows a row: the condition clears, time passes, a technician acts. */
export interface WalkWorld {
  /** Called after each row is read, before the POS acts on it. */
  readonly onRow?: (row: RetryRow, answer: Response) => Promise<void> | void;
  /** The basket under a new key, fixed when the answer said what was wrong; the same basket by default. */
  readonly fix?: (body: Record<string, unknown> | undefined) => Record<string, unknown>;
  /** The n-th new Idempotency-Key of the sale (n from 1); `<first key>-NEW<n>` by default. */
  readonly newKey?: (n: number) => string;
  /** Records the device holds for this sale's basket right now (checked before every new key). */
  readonly sealedNow: () => number;
}

/** How a walk ended. */
export interface WalkResult {
  /** The rows the POS read, in order. */
  readonly trace: string[];
  /** Every Idempotency-Key the sale used, the first one first. */
  readonly keys: string[];
  /** The sealed invoice the POS prints. */
  readonly invoice: InvoiceView;
}

/** Most answers one sale may take before the walk is declared stuck. */
export const MAX_TURNS = 12;

/** How a walk begins: send the first request, GET its key (the POS lost the answer), or an answer already had. */
export type WalkStart = "send" | "get" | Promise<Response>;

/**
 * Sells one basket the way the table says: after each answer the POS does exactly what its row says,
 * until the invoice is sealed. A new key drops whatever POS bug the request carried (raw body, media
 * type, URL, headers), and is only ever taken while the device holds no record of the basket: a new
 * key for a sealed basket would seal it twice.
 */
export async function walkSale(
  pos: Pos,
  table: RetryTable,
  first: PosRequest,
  world: WalkWorld,
  start: WalkStart = "send",
): Promise<WalkResult> {
  const trace: string[] = [];
  const keys = [first.key];
  const twoStep = first.op !== "create";
  let create: PosRequest = first.op === "commit" ? { ...first, op: "prepare" } : first;
  let request = first;
  let answer = await (start === "send" ? pos.send(first) : start === "get" ? pos.get(first.key) : start);
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    let row: RetryRow;
    if (answer.statusCode < 300) {
      const invoice = answer.json() as InvoiceView;
      if (SEALED.has(invoice.state)) return { trace, keys, invoice };
      if (invoice.state === "PREPARED" && request.op === "prepare" && answer.statusCode === 201) {
        request = { op: "commit", key: request.key }; // two-step: prepared, so commit it
        answer = await pos.send(request);
        continue;
      }
      const past = invoice.commit_before !== null && Date.parse(invoice.commit_before) <= Date.now();
      row = table.forState(invoice.state, twoStep, past);
    } else {
      const { error } = answer.json() as { error: { code: number } };
      row = table.forError(answer.statusCode, error.code);
    }
    trace.push(row.id);
    await world.onRow?.(row, answer);
    switch (row.action as Action) {
      case "retry the same key":
        // PREPARED two-step before commit_before: "i.e. commit it"; 404: "send the create again".
        if (row.answer.startsWith("state PREPARED, two-step")) request = { op: "commit", key: request.key };
        else if (row.status === 404 || row.answer.startsWith("state")) request = create;
        answer = await pos.send(request);
        break;
      case "GET the key first":
        answer = await pos.get(request.key);
        break;
      case "new key": {
        if (world.sealedNow() !== 0)
          throw new Error(`row ${row.id} sent the POS to a new key for a sealed basket`);
        const key = world.newKey?.(keys.length) ?? `${first.key}-NEW${keys.length}`;
        keys.push(key);
        const body = world.fix ? world.fix(create.body) : create.body;
        create = { op: create.op, key, ...(body !== undefined && { body }) };
        request = create;
        answer = await pos.send(request);
        break;
      }
      default:
        throw new Error(`row ${row.id} says "${row.action}", not one of the three actions`);
    }
  }
  throw new Error(`the sale did not end within ${MAX_TURNS} answers: ${trace.join(" → ")}`);
}
