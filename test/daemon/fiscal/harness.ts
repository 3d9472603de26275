/**
 * The fiscal service over the emulator's device core in-process (no link), with switches that
 * simulate what a link can do to a request: not reach the device at all, lose the reply after the
 * device acted, or hold a call until the test lets it through. The device outcome is always the real
 * emulator's.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevicePort } from "../../../daemon/fiscal/device-port.js";
import { DeviceIdentity } from "../../../daemon/fiscal/identity.js";
import { Reconciler } from "../../../daemon/fiscal/reconcile.js";
import { FiscalService, type FiscalServiceHooks } from "../../../daemon/fiscal/service.js";
import type { SfeIdentity } from "../../../daemon/fiscal/sfe.js";
import type { Caller } from "../../../daemon/fiscal/types.js";
import { DayReports } from "../../../daemon/reports/day-reports.js";
import { ApiKeyStore } from "../../../daemon/store/api-keys.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { ChainBreaks } from "../../../daemon/store/chain-breaks.js";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { FiscalReports } from "../../../daemon/store/fiscal-reports.js";
import { InvoiceStore } from "../../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../../daemon/store/outbox.js";
import { type DeviceConfig, resolveDeviceConfig } from "../../../emulator/config.js";
import { FiscalDevice } from "../../../emulator/device/fiscal-device.js";
import {
  type ArgsOf,
  type CanonicalInvoiceV2,
  type Command,
  canonicaliseInvoiceV2,
  decodeRecord,
  FiscalError,
  type ResultOf,
  toHex,
} from "../../../protocol/index.js";
import { bundleFor, TEST_IDENTITY } from "../../emulator/fixtures.js";

/** What the simulated link does to the next calls. */
export interface LinkTrouble {
  /** Calls fail with DEVICE_UNAVAILABLE before reaching the device. */
  unplugged: boolean;
  /** The next COMMITs execute on the device, then their reply is lost (DEVICE_TIMEOUT). */
  loseCommitReplies: number;
}

/** A scripted failure of the next call of one command. */
export interface Fault {
  readonly command: Command;
  /** `before`: the call never reaches the device; `after`: the device executes it, the reply is lost. */
  readonly when: "before" | "after";
  /** What the call throws instead of answering (a FiscalError, or any exception). */
  readonly error: unknown;
  /** The link goes away with this failure: every later call fails DEVICE_UNAVAILABLE. */
  readonly unplug?: boolean;
  /** Calls of the command to let through first (default 0: the very next one fails). */
  readonly skip?: number;
}

/** A call stopped at the link until the test releases it. */
export interface HeldCall {
  /** Resolves once the call has arrived at the hold. */
  readonly reached: Promise<void>;
  /** Lets the call go on. */
  release(): void;
}

interface Hold {
  readonly command: Command;
  readonly when: "before" | "after";
  readonly gate: Promise<void>;
  readonly arrived: () => void;
}

/** A device port straight onto the emulator core. */
export class DirectDevice implements DevicePort {
  readonly trouble: LinkTrouble = { unplugged: false, loseCommitReplies: 0 };
  /** Calls of `commit()` the service made, whether or not they reached the device. */
  commits = 0;
  /** Commands that reached the device, in order, whatever it answered. */
  readonly executed: Command[] = [];
  private readonly faults: { fault: Fault; skip: number }[] = [];
  private readonly holds: Hold[] = [];

  constructor(readonly device: FiscalDevice) {}

  /** Makes the next call of `fault.command` fail as scripted. Faults of one command apply in order. */
  failNext(fault: Fault): void {
    this.faults.push({ fault, skip: fault.skip ?? 0 });
  }

  /** Stops the next call of `command` before it reaches the device (or, `after`, before its reply). */
  hold(command: Command, when: "before" | "after" = "before"): HeldCall {
    let release!: () => void;
    let arrived!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reached = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    this.holds.push({ command, when, gate, arrived });
    return { reached, release };
  }

  private async waitAtHold(cmd: Command, when: "before" | "after"): Promise<void> {
    const i = this.holds.findIndex((h) => h.command === cmd && h.when === when);
    if (i < 0) return;
    const [held] = this.holds.splice(i, 1);
    held!.arrived();
    await held!.gate;
  }

  private takeFault(cmd: Command): Fault | undefined {
    const i = this.faults.findIndex((f) => f.fault.command === cmd);
    if (i < 0) return undefined;
    const entry = this.faults[i]!;
    if (entry.skip > 0) {
      entry.skip--;
      return undefined;
    }
    this.faults.splice(i, 1);
    return entry.fault;
  }

  private fail(fault: Fault): never {
    if (fault.unplug) this.trouble.unplugged = true;
    throw fault.error;
  }

  private async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    await Promise.resolve();
    await this.waitAtHold(cmd, "before");
    if (this.trouble.unplugged) throw new FiscalError("DEVICE_UNAVAILABLE", "simulated unplug");
    const fault = this.takeFault(cmd);
    if (fault?.when === "before") this.fail(fault);
    this.executed.push(cmd);
    const result = this.device.execute(cmd, args);
    await this.waitAtHold(cmd, "after");
    if (fault?.when === "after") this.fail(fault);
    return result;
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
  async commit(nonce: Uint8Array, payload_hash: Uint8Array) {
    this.commits++;
    const result = await this.call("COMMIT", { nonce, payload_hash });
    if (this.trouble.loseCommitReplies > 0) {
      this.trouble.loseCommitReplies--;
      throw new FiscalError("DEVICE_TIMEOUT", "simulated lost reply");
    }
    return result;
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
  zReport(isf: string, number: number) {
    return this.call("Z_REPORT", { isf, number });
  }
  xReport(isf: string) {
    return this.call("X_REPORT", { isf });
  }
  getReport(args: ArgsOf<"GET_REPORT">) {
    return this.call("GET_REPORT", args);
  }
  aReport(isf: string, from: number, to: number) {
    return this.call("A_REPORT", { isf, from, to });
  }
}

/** How a harness is built. */
export interface HarnessOptions {
  /** Device tunables; the nonce TTL defaults to 60 s. */
  readonly device?: Partial<DeviceConfig>;
  /** The service's request bound, in ms (default: the service's own). */
  readonly requestBoundMs?: number;
  /** The service's and reconciliation's clock (default Date.now, read at each call, so fake timers apply). */
  readonly now?: () => number;
}

/** A whole fiscal service on a fresh activated emulated device and a fresh store. */
export class ServiceHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "stalela-fiscal-"));
  readonly device: FiscalDevice;
  readonly port: DirectDevice;
  db!: Db;
  store!: InvoiceStore;
  outbox!: OutboxStore;
  keys!: ApiKeyStore;
  audit!: AuditLog;
  breaks!: ChainBreaks;
  identity = new DeviceIdentity();
  service!: FiscalService;
  reconciler!: Reconciler;
  reports!: FiscalReports;
  dayReports!: DayReports;
  caller!: Caller;
  /** The API key (Bearer secret) of `caller`. */
  apiKey!: string;
  /** Hooks of the current service; a fresh set after each restart. */
  hooks: FiscalServiceHooks = {};

  constructor(readonly options: HarnessOptions = {}) {
    this.device = new FiscalDevice(
      join(this.dir, "def"),
      resolveDeviceConfig({ nonceTtlMs: 60_000, ...options.device }),
    );
    this.port = new DirectDevice(this.device);
  }

  /** Starts the device (activating it) and opens the store. */
  async start(): Promise<this> {
    this.device.start();
    this.device.execute("ACTIVATE", { bundle: bundleFor(this.device.deviceId) });
    this.open();
    const info = await this.port.info();
    this.identity.set({
      deviceId: info.device_id,
      publicKey: info.public_key,
      merchantNif: info.identity!.merchant_nif,
      outletId: info.identity!.outlet_id,
      fiscalAuthorityId: info.identity!.fiscal_authority_id,
    });
    ({ caller: this.caller, key: this.apiKey } = this.newCaller("CASHIER-1"));
    return this;
  }

  /** Opens (or re-opens, as after a crash) the daemon side on the same database file. */
  open(): void {
    const now = this.options.now ?? (() => Date.now());
    this.db = openDatabase(join(this.dir, "daemon.sqlite"));
    this.store = new InvoiceStore(this.db);
    this.outbox = new OutboxStore(this.db);
    this.audit = new AuditLog(this.db);
    this.keys = new ApiKeyStore(this.db, this.audit);
    this.breaks = new ChainBreaks(this.db, this.audit);
    this.hooks = {};
    this.service = new FiscalService(this.store, this.outbox, this.port, this.identity, {
      hooks: this.hooks,
      requestBoundMs: this.options.requestBoundMs,
      now,
      sfe: () => TEST_SFE,
    });
    this.reports = new FiscalReports(this.db, now);
    this.dayReports = new DayReports({
      reports: this.reports,
      invoices: this.store,
      device: this.port,
      identity: this.identity,
      isf: () => TEST_SFE.isf,
      audit: this.audit,
    });
    this.reconciler = new Reconciler(this.store, this.port, this.service, this.identity, this.breaks, now, {
      store: this.reports,
      importJournaled: (source) => this.dayReports.importJournaled(source),
    });
  }

  /** A second service on the same store and device, with another SFE identity (or none configured). */
  serviceWith(sfe: SfeIdentity | undefined): FiscalService {
    return new FiscalService(this.store, this.outbox, this.port, this.identity, { sfe: () => sfe });
  }

  /** Another API key (another till) of this daemon. */
  newCaller(cashierId: string): { caller: Caller; key: string } {
    const { key } = this.keys.create(cashierId, `till of ${cashierId}`, "test");
    return { caller: this.keys.verify(key), key };
  }

  /**
   * Makes the process "die" right after the device sealed and before the store has the record: the
   * next afterDeviceCommit hook throws (a crash of the request; the next `restartDaemon` is the restart).
   */
  crashAfterDeviceCommit(): void {
    this.hooks.afterDeviceCommit = () => {
      delete this.hooks.afterDeviceCommit;
      throw new Error("simulated crash after the device sealed");
    };
  }

  /** Simulates a daemon crash: drops the service and reopens the store from disk. */
  restartDaemon(): void {
    this.db.close();
    this.open();
  }

  /** Fiscal numbers of the device journal's records of the payload with this hex hash. */
  deviceRecordsOf(payloadHashHex: string): number[] {
    const found: number[] = [];
    let from: number | null = this.device.memory.lastFiscalNumber > 0 ? 1 : null;
    while (from !== null) {
      const page = this.device.execute("JOURNAL_READ", { from, limit: 32 });
      for (const entry of page.entries) {
        const record = decodeRecord(entry.record);
        if (toHex(record.payload_hash) === payloadHashHex) found.push(record.fiscal_number);
      }
      from = page.entries.length === 0 ? null : page.next;
    }
    return found;
  }

  stop(): void {
    this.db?.close();
    this.device.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The SFE identity the test daemon is configured with (docs/API.md §7). */
export const TEST_SFE: SfeIdentity = {
  isf: "ISF-TEST-0001",
  seller: { name: "Boutique d'essai", address: "1, avenue de l'Essai, Kinshasa" },
  fx: { reference: { USD: 28_500_000 }, toleranceBp: 100 },
};

/**
 * The canonical invoice the harness's service makes of a POS body: its SFE identity, the seller NIF of
 * the test activation, `cashierId` as the operator's id and `clientRef` as the default client_ref.
 */
export function canonicalOf(
  body: Record<string, unknown>,
  clientRef: string,
  cashierId = "CASHIER-1",
): CanonicalInvoiceV2 {
  return canonicaliseInvoiceV2(body, {
    cashierId,
    defaultClientRef: clientRef,
    isf: TEST_SFE.isf,
    seller: { nif: TEST_IDENTITY.merchant_nif, ...TEST_SFE.seller },
  });
}

/** A POS sale body of `amount` minor units in group B. */
export function posSale(amount = 11_600, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    operator: { name: "Mireille Kabeya" },
    items: [{ name: "Sac de riz", kind: "BIE", quantity: 1, unit_price: amount, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
    ...overrides,
  };
}

/** The FiscalError a promise rejects with; fails the test when it resolves or throws something else. */
export async function refusalOf(p: Promise<unknown>): Promise<FiscalError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FiscalError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

/** The code of the FiscalError a promise rejects with. */
export async function codeOf(p: Promise<unknown>): Promise<number> {
  return (await refusalOf(p)).code;
}

/** The code and the issue codes of a refusal (`[300, [333]]` for an invoice refused for its rate). */
export async function issueCodesOf(p: Promise<unknown>): Promise<[number, number[]]> {
  const error = await refusalOf(p);
  return [error.code, (error.details?.issues ?? []).map((issue) => issue.code)];
}
