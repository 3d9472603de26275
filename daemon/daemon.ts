/**
 * The composition root: config → store → device link → fiscal service → reconciliation → status →
 * HTTP. Constructors only assign; `start()` does the work in that order and `stop()` undoes it in
 * reverse, each part in its own try/catch so one failure does not strand the others.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { FiscalError, isFiscalError, type ResultOf } from "../protocol/index.js";
import type { DaemonConfig } from "./config.js";
import type { DeviceLink } from "./device-link.js";
import { DeviceIdentity } from "./fiscal/identity.js";
import { Reconciler } from "./fiscal/reconcile.js";
import { FiscalService, type FiscalServiceHooks } from "./fiscal/service.js";
import type { StatusCondition } from "./fiscal/types.js";
import { type ApiInstance, buildApp, listen } from "./http/app.js";
import { StatusBoard } from "./status.js";
import { ApiKeyStore } from "./store/api-keys.js";
import { AuditLog } from "./store/audit.js";
import { type Db, openDatabase } from "./store/database.js";
import { DeviceBindingStore } from "./store/device-binding.js";
import { InvoiceStore } from "./store/invoice-store.js";
import { OutboxStore } from "./store/outbox.js";
import { CloudSync } from "./sync/cloud-sync.js";

/** The daemon's version, shown in status, health and OpenAPI. */
export const DAEMON_VERSION = "0.1.0";
/** The store file inside the state directory. */
export const STORE_FILE = "daemon.sqlite";

/** Extra sources of status conditions (the sync agent registers one). */
export type ConditionSource = () => readonly StatusCondition[];

/** One running daemon. */
export class Daemon {
  readonly logger: Logger;
  private db: Db | undefined;
  private app: ApiInstance | undefined;
  private cloud: CloudSync | undefined;
  private reconciler: Reconciler | undefined;
  private readonly identity = new DeviceIdentity();
  private deviceStatus: { at: number; status: ResultOf<"STATUS"> } | undefined;
  private mismatch: string | null = null;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly conditionSources: ConditionSource[] = [];
  /** The address the API listens on, once started. */
  url: string | undefined;

  constructor(
    private readonly config: DaemonConfig,
    private readonly device: DeviceLink,
    logger?: Logger,
    private readonly hooks: FiscalServiceHooks = {},
  ) {
    this.logger = logger ?? pino({ level: config.logLevel, base: { service: "stalela-daemon" } });
  }

  /** Opens the store, starts the device link, and serves the API. The device may come later. */
  async start(): Promise<void> {
    mkdirSync(this.config.stateDir, { recursive: true });
    const db = openDatabase(join(this.config.stateDir, STORE_FILE));
    this.db = db;
    const audit = new AuditLog(db);
    const store = new InvoiceStore(db);
    const outbox = new OutboxStore(db);
    const keys = new ApiKeyStore(db, audit);
    const bindings = new DeviceBindingStore(db, audit);
    const bound = bindings.current();
    if (bound) this.identity.set(bound);
    const service = new FiscalService(store, outbox, this.device, this.identity, this.hooks);
    const cloud = new CloudSync({
      db,
      invoices: store,
      audit,
      bindings,
      identity: this.identity,
      device: this.device,
      stateDir: this.config.stateDir,
      logger: this.logger,
      config: this.config.cloud,
    });
    this.addConditionSource(() => cloud.conditions());
    await cloud.start();
    this.cloud = cloud;
    const reconciler = new Reconciler(store, this.device, service, this.identity);
    this.reconciler = reconciler;
    const board = new StatusBoard({
      version: DAEMON_VERSION,
      clockSkewWarnMs: this.config.clockSkewWarnMs,
      connected: () => this.device.connected,
      deviceStatus: () => this.deviceStatus,
      deviceId: () => this.identity.current?.deviceId ?? null,
      identityMismatch: () => this.mismatch,
      counters: () => ({ ...service.counters, ...this.queueDepths() }),
      link: () => this.device.counters(),
      lastReconcile: () => reconciler.last,
      extraConditions: () => this.conditionSources.flatMap((source) => source()),
    });
    this.device.onConnected(() => {
      void this.onDeviceConnected(bindings);
    });
    this.app = buildApp({
      invoices: service,
      keys,
      status: board,
      logger: this.logger,
      config: {
        version: DAEMON_VERSION,
        allowedHosts: this.config.http.allowedHosts,
        bodyLimitBytes: this.config.http.bodyLimitBytes,
      },
    });
    this.url = await listen(this.app, { host: this.config.http.host, port: this.config.http.port });
    this.logger.info(
      { url: this.url, device: this.config.device, stateDir: this.config.stateDir },
      "daemon listening",
    );
    await this.device.open();
    this.pollTimer = setInterval(() => void this.pollStatus(), this.config.statusPollMs);
    this.pollTimer.unref();
  }

  /** Adds a source of status conditions. */
  addConditionSource(source: ConditionSource): void {
    this.conditionSources.push(source);
  }

  /** Stops serving (in-flight requests finish first), then closes the device link and the store. */
  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    const steps: [string, () => Promise<void> | void][] = [
      ["http", async () => this.app?.close()],
      ["device", async () => this.device.close()],
      ["cloud sync", async () => this.cloud?.stop()],
      [
        "store",
        () => {
          this.db?.close();
        },
      ],
    ];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.logger.error({ err, part: name }, "error while stopping");
      }
    }
    this.logger.info("daemon stopped");
  }

  /** Queue depths for status and metrics: the device session's, and the upload outbox's (cached). */
  private queueDepths(): Record<string, number> {
    const backlog = this.cloud?.parts.agent.health().summary;
    return {
      device_queue: this.device.queued,
      outbox_pending: backlog?.pending ?? 0,
      outbox_failed: backlog?.failed ?? 0,
    };
  }

  /** After every (re)connect: check the identity, bind a newly activated device, reconcile. */
  private async onDeviceConnected(bindings: DeviceBindingStore): Promise<void> {
    try {
      const info = await this.device.info();
      const bound = this.identity.current;
      if (bound && bound.deviceId !== info.device_id) {
        this.mismatch = `connected device ${info.device_id} is not the bound device ${bound.deviceId}`;
        this.logger.error({ connected: info.device_id, bound: bound.deviceId }, "device identity mismatch");
        this.device.refuse(new FiscalError("DEVICE_IDENTITY_MISMATCH", this.mismatch));
        return;
      }
      this.mismatch = null;
      this.device.refuse(null);
      if (info.state !== "UNACTIVATED" && info.identity !== null) {
        const identity = {
          deviceId: info.device_id,
          publicKey: info.public_key,
          merchantNif: info.identity.merchant_nif,
          outletId: info.identity.outlet_id,
          fiscalAuthorityId: info.identity.fiscal_authority_id,
        };
        bindings.bind(identity, info.activation?.bytes ?? null, "daemon");
        this.identity.set(identity);
      }
      await this.pollStatus();
      if (this.identity.current !== undefined) {
        const report = await this.reconciler!.run();
        this.logger.info({ reconcile: report }, "reconciled with the device journal");
      }
    } catch (err) {
      this.logger.warn({ err: isFiscalError(err) ? err.message : err }, "device check after connect failed");
    }
  }

  private async pollStatus(): Promise<void> {
    if (!this.device.connected) return;
    try {
      this.deviceStatus = { at: Date.now(), status: await this.device.status() };
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, "status poll failed");
    }
  }
}
