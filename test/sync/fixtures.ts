/**
 * A whole daemon-side stack for the sync and activation suites: the emulated DEF core (in-process,
 * UNACTIVATED), the fiscal service over it, the SQLite store, the sync agent and the activation
 * service, against a real cloud emulator on loopback.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import type { ActivationDevice } from "../../daemon/activation/activation.js";
import { trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { DeviceIdentity } from "../../daemon/fiscal/identity.js";
import { FiscalService } from "../../daemon/fiscal/service.js";
import type { Caller } from "../../daemon/fiscal/types.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { type Db, openDatabase } from "../../daemon/store/database.js";
import { DeviceBindingStore } from "../../daemon/store/device-binding.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { OutboxStore } from "../../daemon/store/outbox.js";
import type { CloudPort } from "../../daemon/sync/client.js";
import { CloudSync } from "../../daemon/sync/cloud-sync.js";
import type { SyncConfig } from "../../daemon/sync/config.js";
import type { UploadRequest, UploadResponse } from "../../daemon/sync/contract.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { resolveDeviceConfig } from "../../emulator/config.js";
import { FiscalDevice } from "../../emulator/device/fiscal-device.js";
import { FiscalError, type SignedBlob } from "../../protocol/index.js";
import { DirectDevice, posSale, TEST_SFE } from "../daemon/fiscal/harness.js";

/** The identity the cloud emulator's test codes bind a device to. */
export const SHOP = {
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-7",
  fiscal_authority_id: "DGI-KIN-01",
} as const;

/** A device port that can also ACTIVATE (what the daemon's device link gives activation). */
export class ActivatableDevice extends DirectDevice implements ActivationDevice {
  async activate(bundle: SignedBlob) {
    await Promise.resolve();
    if (this.trouble.unplugged) throw new FiscalError("DEVICE_UNAVAILABLE", "simulated unplug");
    return this.device.execute("ACTIVATE", { bundle });
  }
}

/** Sync settings fast enough for tests. */
/** A cloud that only takes uploads, scripted by each test: activation and rotation are not its business. */
export abstract class UploadOnlyCloud implements CloudPort {
  abstract upload(credential: string, request: UploadRequest): Promise<UploadResponse>;
  claim(): never {
    throw new Error("not scripted");
  }
  registerActivation(): never {
    throw new Error("not scripted");
  }
  rotate(): never {
    throw new Error("not scripted");
  }
}

export const FAST_SYNC: Partial<SyncConfig> = {
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
  requestTimeoutMs: 2_000,
  pollIntervalMs: 50,
  batchSize: 100,
};

/** Device + daemon side + cloud emulator, each restartable. */
export class SyncHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "stalela-sync-"));
  readonly device = new FiscalDevice(join(this.dir, "def"), resolveDeviceConfig({ nonceTtlMs: 60_000 }));
  readonly port = new ActivatableDevice(this.device);
  cloud!: CloudEmulator;
  db!: Db;
  store!: InvoiceStore;
  identity = new DeviceIdentity();
  service!: FiscalService;
  sync!: CloudSync;
  caller!: Caller;
  private sales = 0;

  constructor(
    readonly syncConfig: Partial<SyncConfig> = {},
    readonly logger: Logger = pino({ level: "silent" }),
  ) {}

  async start(): Promise<this> {
    this.device.start();
    this.cloud = await startCloudEmulator({ stateDir: join(this.dir, "cloud"), port: 0 });
    await this.openDaemon();
    return this;
  }

  /** (Re)opens the daemon side on the same database, as after a crash or restart. */
  async openDaemon(): Promise<void> {
    this.db = openDatabase(join(this.dir, "daemon.sqlite"));
    const audit = new AuditLog(this.db);
    this.store = new InvoiceStore(this.db);
    const keys = new ApiKeyStore(this.db, audit);
    const bindings = new DeviceBindingStore(this.db, audit);
    const bound = bindings.current();
    if (bound) this.identity.set(bound);
    this.service = new FiscalService(this.store, new OutboxStore(this.db), this.port, this.identity, {
      sfe: () => TEST_SFE,
    });
    this.caller = keys.verify(keys.create("CASHIER-9", "till 9", "test").key);
    this.sync = new CloudSync({
      db: this.db,
      invoices: this.store,
      audit,
      bindings,
      identity: this.identity,
      device: this.port,
      trust: trustPolicyFrom({ allowEmulator: true }, {}),
      allowInsecureLoopback: true,
      stateDir: this.dir,
      logger: this.logger,
      config: { ...FAST_SYNC, endpoint: this.cloud.url, ...this.syncConfig },
      adminSocket: false,
    });
    await this.sync.start();
  }

  /** Stops the daemon side without closing the device or the cloud (a daemon restart). */
  async stopDaemon(): Promise<void> {
    await this.sync.stop();
    this.db.close();
  }

  /** Activates the device through the cloud with a fresh code. */
  async activate(): Promise<void> {
    const code = this.cloud.issueCode(SHOP);
    await this.sync.parts.activation.activateWithCode(code);
  }

  /** Fiscalises `n` POS sales; returns their invoice ids. */
  async sell(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const key = `sale-${++this.sales}`;
      const result = await this.service.fiscalise(posSale(1_000 + (this.sales % 97)), key, this.caller);
      ids.push(result.invoice.id);
    }
    return ids;
  }

  /** Waits until `predicate` holds, polling every 20 ms, up to `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error("condition not reached in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.sync?.stop().catch(() => undefined);
    this.db?.close();
    await this.cloud?.close();
    this.device.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
