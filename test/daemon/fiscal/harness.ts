/**
 * The fiscal service over the emulator's device core in-process (no link), with switches that
 * simulate what a link can do to a request: not reach the device at all, or lose the reply after the
 * device acted. The device outcome is always the real emulator's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevicePort } from "../../../daemon/fiscal/device-port.js";
import { DeviceIdentity } from "../../../daemon/fiscal/identity.js";
import { Reconciler } from "../../../daemon/fiscal/reconcile.js";
import { FiscalService } from "../../../daemon/fiscal/service.js";
import type { Caller } from "../../../daemon/fiscal/types.js";
import { ApiKeyStore } from "../../../daemon/store/api-keys.js";
import { AuditLog } from "../../../daemon/store/audit.js";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { InvoiceStore } from "../../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../../daemon/store/outbox.js";
import { resolveDeviceConfig } from "../../../emulator/config.js";
import { FiscalDevice } from "../../../emulator/device/fiscal-device.js";
import { type ArgsOf, type Command, FiscalError, type ResultOf } from "../../../protocol/index.js";
import { bundleFor } from "../../emulator/fixtures.js";

/** What the simulated link does to the next calls. */
export interface LinkTrouble {
  /** Calls fail with DEVICE_UNAVAILABLE before reaching the device. */
  unplugged: boolean;
  /** The next COMMITs execute on the device, then their reply is lost (DEVICE_TIMEOUT). */
  loseCommitReplies: number;
}

/** A device port straight onto the emulator core. */
export class DirectDevice implements DevicePort {
  readonly trouble: LinkTrouble = { unplugged: false, loseCommitReplies: 0 };
  commits = 0;

  constructor(readonly device: FiscalDevice) {}

  private async call<C extends Command>(cmd: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    await Promise.resolve();
    if (this.trouble.unplugged) throw new FiscalError("DEVICE_UNAVAILABLE", "simulated unplug");
    return this.device.execute(cmd, args);
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
}

/** A whole fiscal service on a fresh activated emulated device and a fresh store. */
export class ServiceHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "stalela-fiscal-"));
  readonly device = new FiscalDevice(join(this.dir, "def"), resolveDeviceConfig({ nonceTtlMs: 60_000 }));
  readonly port = new DirectDevice(this.device);
  db!: Db;
  store!: InvoiceStore;
  outbox!: OutboxStore;
  keys!: ApiKeyStore;
  identity = new DeviceIdentity();
  service!: FiscalService;
  reconciler!: Reconciler;
  caller!: Caller;

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
    this.caller = this.keys.verify(this.keys.create("CASHIER-1", "till 1", "test").key);
    return this;
  }

  /** Opens (or re-opens, as after a crash) the daemon side on the same database file. */
  open(): void {
    this.db = openDatabase(join(this.dir, "daemon.sqlite"));
    this.store = new InvoiceStore(this.db);
    this.outbox = new OutboxStore(this.db);
    this.keys = new ApiKeyStore(this.db, new AuditLog(this.db));
    this.service = new FiscalService(this.store, this.outbox, this.port, this.identity);
    this.reconciler = new Reconciler(this.store, this.port, this.service, this.identity);
  }

  /** Simulates a daemon crash: drops the service and reopens the store from disk. */
  restartDaemon(): void {
    this.db.close();
    this.open();
  }

  stop(): void {
    this.db?.close();
    this.device.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A POS sale body of `amount` minor units in group B. */
export function posSale(amount = 11_600, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: amount, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
    ...overrides,
  };
}
