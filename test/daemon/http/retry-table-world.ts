/**
 * What test/daemon/http/retry-table.test.ts walks docs/API.md §8's table with: the table itself, parsed
 * from the doc; a whole daemon side (the real FiscalService and the real buildApp) on the emulator's
 * device core in-process; a link in front of that core that can misbehave the ways a link does (refuse
 * before the core sees a command, let the core act and then lose or garble the reply, hold a command);
 * and a POS that follows the table's "do" column literally.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Response } from "light-my-request";
import type { DevicePort } from "../../../daemon/fiscal/device-port.js";
import { DeviceIdentity } from "../../../daemon/fiscal/identity.js";
import { FiscalService, type FiscalServiceHooks } from "../../../daemon/fiscal/service.js";
import type { InvoiceView, StatusReport, StatusSource } from "../../../daemon/fiscal/types.js";
import { type ApiInstance, buildApp } from "../../../daemon/http/app.js";
import { ApiKeyStore } from "../../../daemon/store/api-keys.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { InvoiceStore } from "../../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../../daemon/store/outbox.js";
import { resolveDeviceConfig } from "../../../emulator/config.js";
import { FiscalDevice } from "../../../emulator/device/fiscal-device.js";
import {
  type ArgsOf,
  type Command,
  type ErrorName,
  FiscalError,
  type ResultOf,
  type SealedRecord,
} from "../../../protocol/index.js";
import { bundleFor } from "../../emulator/fixtures.js";

// ---------------------------------------------------------------------------------------------------
// The table

/** The three things a row may tell a POS to do (docs/API.md §8). */
export const ACTIONS = ["retry the same key", "GET the key first", "new key"] as const;
export type Action = (typeof ACTIONS)[number];

/** One row of "### What to do after each answer". */
export interface RetryRow {
  /** `<answer> <code>` for a coded row (`503 110`, `422 300–318`), else the answer (`state PREPARING`). */
  readonly id: string;
  /** The answer cell without backticks: `503`, `connection refused`, `state PREPARED, one-shot`. */
  readonly answer: string;
  /** The HTTP status, for a row whose answer is one. */
  readonly status: number | undefined;
  /** The codes of the code cell (ranges expanded; `—` and `(in error)` give none). */
  readonly codes: readonly number[];
  /** The name cell's names or patterns (`FIELD_*`); none for `—` and `(in error)`. */
  readonly names: readonly string[];
  readonly cls: string;
  readonly action: string;
  readonly why: string;
  /** The Retry-After the row promises, in seconds (`Retry-After: 5`, or `Retry-After` (1 s)). */
  readonly retryAfterSeconds: number | undefined;
}

export const API_DOC = readFileSync(new URL("../../../docs/API.md", import.meta.url), "utf8");
const TABLE_HEADING = "### What to do after each answer";

function stripTicks(cell: string): string {
  return cell.replaceAll("`", "").trim();
}

function parseCodes(cell: string): number[] {
  const codes: number[] = [];
  for (const part of cell.split(",").map((p) => p.trim())) {
    const range = /^(\d+)\s*[–-]\s*(\d+)$/.exec(part);
    if (range) for (let c = Number(range[1]); c <= Number(range[2]); c++) codes.push(c);
    else if (/^\d+$/.test(part)) codes.push(Number(part));
  }
  return codes;
}

/** The table's rows, in the doc's order. Throws when the section or its header is missing. */
export function readRetryTable(doc = API_DOC): RetryRow[] {
  const start = doc.indexOf(TABLE_HEADING);
  if (start < 0) throw new Error(`docs/API.md has no "${TABLE_HEADING}"`);
  const lines = doc.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("| answer |"));
  if (first < 0) throw new Error("the retry table has no header row");
  const header = lines[first]!.split("|")
    .slice(1, -1)
    .map((c) => c.trim());
  if (header.join(" | ") !== "answer | code | name | class | do | why / then") {
    throw new Error(`unexpected retry table columns: ${header.join(" | ")}`);
  }
  const rows: RetryRow[] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    const [answerCell, codeCell, nameCell, cls, action, why] = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const answer = stripTicks(answerCell!);
    const status = /^\d{3}$/.test(answer) ? Number(answer) : undefined;
    const codes = parseCodes(codeCell!);
    const names = /^[A-Z]/.test(nameCell!) ? nameCell!.split(",").map((n) => n.trim()) : [];
    const retryAfter = /`Retry-After: (\d+)`/.exec(why!) ?? /`Retry-After` \((\d+) s\)/.exec(why!);
    rows.push({
      id: status !== undefined ? `${answer} ${codeCell}` : answer,
      answer,
      status,
      codes,
      names,
      cls: cls!,
      action: action!,
      why: why!,
      retryAfterSeconds: retryAfter ? Number(retryAfter[1]) : undefined,
    });
  }
  return rows;
}

/** True when `name` is matched by one of the row's name cells (`FIELD_*` matches by prefix). */
export function rowNames(row: RetryRow, name: string): boolean {
  return row.names.some((p) => (p.endsWith("*") ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** Looks rows up the way a POS reads the table. */
export class RetryTable {
  constructor(readonly rows: readonly RetryRow[]) {}

  /** The row by its id; throws when the table has none. */
  byId(id: string): RetryRow {
    const row = this.rows.find((r) => r.id === id);
    if (row === undefined) throw new Error(`the retry table has no row ${id}`);
    return row;
  }

  /** The row of an error answer: its status and its code. Throws when no row (or two) fits. */
  forError(status: number, code: number): RetryRow {
    const found = this.rows.filter((r) => r.status === status && r.codes.includes(code));
    if (found.length !== 1) throw new Error(`${found.length} rows of the retry table fit ${status} ${code}`);
    return found[0]!;
  }

  /** The row of a state a GET showed; `twoStep` is what the POS sent, `past` whether commit_before passed. */
  forState(state: string, twoStep: boolean, past: boolean): RetryRow {
    const found = this.rows.filter((r) => {
      if (!r.answer.startsWith(`state ${state}`)) return false;
      if (r.answer.includes("one-shot") && twoStep) return false;
      if (r.answer.includes("two-step") && !twoStep) return false;
      if (r.answer.includes("before commit_before") && past) return false;
      if (r.answer.includes("past commit_before") && !past) return false;
      return true;
    });
    if (found.length !== 1) throw new Error(`${found.length} rows of the retry table fit state ${state}`);
    return found[0]!;
  }
}

// ---------------------------------------------------------------------------------------------------
// The link in front of the device core

/** A command held on the link until the test lets it go. */
export class HeldCommand {
  private reach!: () => void;
  private let!: (error: FiscalError | undefined) => void;
  /** Resolves once the command is on the link (held). */
  readonly reached = new Promise<void>((resolve) => {
    this.reach = resolve;
  });
  readonly released = new Promise<FiscalError | undefined>((resolve) => {
    this.let = resolve;
  });

  /** @internal the link calls this when the command arrives. */
  arrive(): void {
    this.reach();
  }

  /** Lets the command go on: answered, or failed with `error` (its reply lost). */
  release(error?: FiscalError): void {
    this.let(error);
  }
}

/** What the link does to one call of a command. */
type Misbehaviour =
  | { readonly kind: "refuse"; readonly error: ErrorName }
  | { readonly kind: "lose-reply"; readonly error: ErrorName; readonly unplug: boolean }
  | { readonly kind: "hold"; readonly held: HeldCommand; readonly afterCore: boolean }
  | { readonly kind: "misreport"; readonly answer: (sealed: SealedRecord) => SealedRecord };

/**
 * A DevicePort straight onto the emulator's device core. Every outcome is the core's own; the link
 * only decides whether a command reaches it and whether its reply comes back.
 */
export class TroubledLink implements DevicePort {
  /** Every call fails with DEVICE_UNAVAILABLE before reaching the core (the cable is out). */
  unplugged = false;
  /** Every call is refused with this before reaching the core (the daemon's session refusing, e.g. wrong device). */
  refuseAll: ErrorName | null = null;
  private readonly plans = new Map<Command, Misbehaviour[]>();

  constructor(readonly core: FiscalDevice) {}

  /** The next call of `cmd` is refused with `error` before the core sees it. */
  refuseNext(cmd: Command, error: ErrorName): void {
    this.plan(cmd, { kind: "refuse", error });
  }

  /** The next call of `cmd` runs on the core, then its reply is lost as `error`; `unplug` drops the link too. */
  loseNextReply(cmd: Command, error: ErrorName, unplug = false): void {
    this.plan(cmd, { kind: "lose-reply", error, unplug });
  }

  /** The next call of `cmd` is held, before the core sees it or (`afterCore`) once the core has acted. */
  holdNext(cmd: Command, afterCore = false): HeldCommand {
    const held = new HeldCommand();
    this.plan(cmd, { kind: "hold", held, afterCore });
    return held;
  }

  /** The next COMMIT runs on the core, and the link answers `answer(the core's reply)` instead. */
  misreportNextCommit(answer: (sealed: SealedRecord) => SealedRecord): void {
    this.misreportNext("COMMIT", answer);
  }

  /** The next `cmd` (COMMIT or GET_RECORD) runs on the core; the link answers `answer(its reply)`. */
  misreportNext(cmd: "COMMIT" | "GET_RECORD", answer: (sealed: SealedRecord) => SealedRecord): void {
    this.plan(cmd, { kind: "misreport", answer });
  }

  private plan(cmd: Command, m: Misbehaviour): void {
    this.plans.set(cmd, [...(this.plans.get(cmd) ?? []), m]);
  }

  private async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    await Promise.resolve();
    if (this.unplugged) throw new FiscalError("DEVICE_UNAVAILABLE", "simulated: the link is down");
    if (this.refuseAll !== null) throw new FiscalError(this.refuseAll, "simulated: refused by the session");
    const m = this.plans.get(cmd)?.shift();
    if (m?.kind === "refuse") throw new FiscalError(m.error, `simulated: ${cmd} refused before the device`);
    if (m?.kind === "hold" && !m.afterCore) await this.waitFor(m.held);
    const result = this.core.execute(cmd, args);
    if (m?.kind === "hold" && m.afterCore) await this.waitFor(m.held);
    if (m?.kind === "lose-reply") {
      if (m.unplug) this.unplugged = true;
      throw new FiscalError(m.error, `simulated: the ${cmd} reply was lost after the device acted`);
    }
    if (m?.kind === "misreport") return m.answer(result as SealedRecord) as ResultOf<C>;
    return result;
  }

  private async waitFor(held: HeldCommand): Promise<void> {
    held.arrive();
    const error = await held.released;
    if (error !== undefined) throw error;
  }

  info() {
    return this.call("INFO", {});
  }
  status() {
    return this.call("STATUS", {});
  }
  prepare(invoice: ArgsOf<"PREPARE">["invoice"]) {
    return this.call("PREPARE", { invoice });
  }
  commit(nonce: Uint8Array, payload_hash: Uint8Array) {
    return this.call("COMMIT", { nonce, payload_hash });
  }
  abort(nonce: Uint8Array) {
    return this.call("ABORT", { nonce });
  }
  listPending() {
    return this.call("LIST_PENDING", {});
  }
  getRecord(query: ArgsOf<"GET_RECORD">) {
    return this.call("GET_RECORD", query);
  }
  readJournal(from: number, limit: number) {
    return this.call("JOURNAL_READ", { from, limit });
  }
}

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
    this.store = new InvoiceStore(this.db);
    this.keys = new ApiKeyStore(this.db, new AuditLog(this.db));
    const hooks: FiscalServiceHooks = { afterDeviceCommit: () => this.afterDeviceCommit?.() };
    this.service = new FiscalService(this.store, new OutboxStore(this.db), this.link, this.identity, {
      hooks,
      ...(this.options.requestBoundMs !== undefined && { requestBoundMs: this.options.requestBoundMs }),
    });
    this.app = buildApp({
      invoices: this.service,
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
    items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: total, tax_group: "B" }],
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
