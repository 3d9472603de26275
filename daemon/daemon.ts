/**
 * The composition root: config → state lock → store → device link → fiscal service → cloud sync (and
 * the admin socket) → reconciliation → status → HTTP. Constructors only assign; `start()` does the work
 * in that order and `stop()` undoes it in reverse, each part in its own try/catch so one failure does
 * not strand the others. A start that fails part-way stops what it had started before it rethrows.
 */

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { FiscalError, isFiscalError, type ResultOf } from "../protocol/index.js";
import { configWarnings, type DaemonConfig } from "./config.js";
import { LoginLockout } from "./console/lockout.js";
import type { DeviceLink } from "./device-link.js";
import { checkDeviceTrust, type DeviceTrustPolicy, trustPolicyFrom } from "./fiscal/device-trust.js";
import { EXPIRY_SWEEP_MS, ExpirySweep } from "./fiscal/expiry-sweep.js";
import { DeviceIdentity } from "./fiscal/identity.js";
import { Reconciler } from "./fiscal/reconcile.js";
import { FiscalService, type FiscalServiceHooks } from "./fiscal/service.js";
import { missingSfeSettings, sfeIdentityOf } from "./fiscal/sfe.js";
import type { RaisedCondition } from "./fiscal/types.js";
import { type ApiInstance, buildApp, listen } from "./http/app.js";
import { createDaemonLogger } from "./logging.js";
import { Receipts } from "./receipt/receipts.js";
import { ReportPrinter } from "./receipt/report-printer.js";
import { DayReports } from "./reports/day-reports.js";
import { DayWatch } from "./reports/day-watch.js";
import { StatusBoard } from "./status.js";
import { ApiKeyStore } from "./store/api-keys.js";
import { AuditLog } from "./store/audit.js";
import { ChainBreaks } from "./store/chain-breaks.js";
import { ConsolePasswords } from "./store/console-password.js";
import { type Db, openDatabase } from "./store/database.js";
import { DeviceBindingStore } from "./store/device-binding.js";
import { FiscalReports } from "./store/fiscal-reports.js";
import type { SyncFile } from "./store/group-commit.js";
import { InvoiceStore } from "./store/invoice-store.js";
import { OutboxStore } from "./store/outbox.js";
import { ReceiptPrints } from "./store/receipt-prints.js";
import { acquireStateLock } from "./store/state-lock.js";
import { CloudSync } from "./sync/cloud-sync.js";
import { resolveSyncConfig } from "./sync/config.js";

/**
 * The daemon's version, shown in status, health, OpenAPI and `stalela --version`: package.json's, its one
 * source. package.json is one level above this module in the sources (daemon/), two once built or
 * installed (dist/daemon/, with package.json at the app root next to dist/).
 */
export const DAEMON_VERSION: string = (
  JSON.parse(
    readFileSync(
      new URL(
        existsSync(new URL("../package.json", import.meta.url)) ? "../package.json" : "../../package.json",
        import.meta.url,
      ),
      "utf8",
    ),
  ) as { version: string }
).version;
/** The store file inside the state directory. */
export const STORE_FILE = "daemon.sqlite";

/** Extra sources of status conditions (the sync agent registers one). */
export type ConditionSource = () => readonly RaisedCondition[];

/** Seconds between two refreshes of the console's status page (docs/CONSOLE.md). */
export const CONSOLE_REFRESH_SECONDS = 5;

/** Test hooks (cli/crash-points.ts): the fiscal service's, and the store's fsync. Production sets none. */
export interface DaemonHooks extends FiscalServiceHooks {
  readonly storeSync?: SyncFile;
}

/** A part the daemon has started, and how to stop it again. */
interface StartedPart {
  readonly name: string;
  readonly stop: () => Promise<void> | void;
}

/** One running daemon. */
export class Daemon {
  readonly logger: Logger;
  /** What start() has started so far, in order; stop() stops it in reverse. */
  private readonly parts: StartedPart[] = [];
  private cloud: CloudSync | undefined;
  private reconciler: Reconciler | undefined;
  private readonly identity = new DeviceIdentity();
  private deviceStatus: { at: number; status: ResultOf<"STATUS"> } | undefined;
  private mismatch: { kind: "id" | "key"; connected: string; bound: string } | null = null;
  /** Why the connected device failed the trust check (docs/SECURITY.md §2), or null. */
  private untrusted: string | null = null;
  /** True once the device connected last has passed the identity and trust checks. */
  private checked = false;
  private checking: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly conditionSources: ConditionSource[] = [];
  /** The address the API listens on, once started. */
  url: string | undefined;

  constructor(
    private readonly config: DaemonConfig,
    private readonly device: DeviceLink,
    logger?: Logger,
    private readonly hooks: DaemonHooks = {},
  ) {
    this.logger = logger ?? createDaemonLogger(config.logLevel);
  }

  /**
   * Takes the state-directory lock, opens the store, starts the device link, cloud sync (with the admin
   * socket) and the API. The device may come later. When a part fails, whatever had started is stopped
   * again before the error is rethrown: a failed start leaves no socket, timer, link or lock behind, so
   * the process can exit and systemd's restart finds everything free.
   */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      this.logger.info(
        { err: isFiscalError(err) ? err.message : err },
        "start failed: stopping what had started",
      );
      await this.stop();
      throw err;
    }
  }

  /** Adds a source of status conditions. */
  addConditionSource(source: ConditionSource): void {
    this.conditionSources.push(source);
  }

  /**
   * Stops what start() started, in reverse: the API (in-flight requests finish first), cloud sync and
   * the admin socket, the device link, the store, and last the state lock.
   */
  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const part of this.parts.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        this.logger.error({ err, part: part.name }, "error while stopping");
      }
    }
    this.logger.info("daemon stopped");
  }

  /** Each part is recorded as started before it is awaited, so a part that fails half-way is undone too. */
  private async startParts(): Promise<void> {
    const { stateDir } = this.config;
    // Every setting is checked before anything starts (the sync agent's too).
    const syncConfig = resolveSyncConfig(this.config.cloud);
    const trust = trustPolicyFrom(this.config.trust, this.config.merchant);
    for (const warning of configWarnings(this.config)) this.logger.warn({ warning }, "configuration");
    if (this.config.trust.allowEmulator)
      this.logger.warn(
        "development mode (--allow-emulator): emulated devices, the development cloud root and a plain-http loopback cloud are accepted; never on a shop PC",
      );
    // First: a second daemon on this directory must be refused before it touches the store or admin.sock.
    const lock = acquireStateLock(stateDir);
    this.parts.push({ name: "state lock", stop: () => lock.release() });
    const db = openStore(join(stateDir, STORE_FILE));
    const store = new InvoiceStore(db, undefined, this.hooks.storeSync);
    this.parts.push({
      name: "store",
      stop: async () => {
        // The seals waiting for their fsync get it before the store closes.
        await store.group.close();
        db.close();
      },
    });
    const audit = new AuditLog(db);
    const outbox = new OutboxStore(db);
    const keys = new ApiKeyStore(db, audit);
    const bindings = new DeviceBindingStore(db, audit);
    const bound = bindings.current();
    if (bound) this.identity.set(bound);
    this.parts.push({ name: "device", stop: () => this.device.close() });
    // Nothing is sealed through a device before it has passed the checks after its connect.
    this.device.refuse(NOT_CHECKED);
    await this.device.open();
    const sfe = sfeIdentityOf(this.config.sfe, this.config.trust.allowEmulator);
    const sfeMissing = missingSfeSettings(this.config.sfe);
    if (sfe === undefined) {
      const since = new Date().toISOString();
      const params = { settings: sfeMissing.join(", ") };
      this.addConditionSource(() => [{ code: "SFE_NOT_CONFIGURED", severity: "error", params, since }]);
    }
    // The day watch comes later (it reads the reports, which need the service's store): bound late.
    let dayWatch: DayWatch | undefined;
    const service = new FiscalService(store, outbox, this.device, this.identity, {
      admission: () => dayWatch?.admission(),
      hooks: this.hooks,
      requestBoundMs: this.config.requestBoundMs,
      sfe: () => sfe,
      sfeMissing,
    });
    const cloud = new CloudSync({
      db,
      invoices: store,
      audit,
      bindings,
      identity: this.identity,
      device: this.device,
      stateDir,
      logger: this.logger,
      config: syncConfig,
      trust,
      allowInsecureLoopback: this.config.trust.allowEmulator,
    });
    this.addConditionSource(() => cloud.conditions());
    this.cloud = cloud;
    this.parts.push({ name: "cloud sync", stop: () => cloud.stop() });
    await cloud.start();
    cloud.parts.admin?.serveDevice(this.device);
    const breaks = new ChainBreaks(db, audit);
    const fiscalReports = new FiscalReports(db);
    const dayReports = new DayReports({
      reports: fiscalReports,
      invoices: store,
      device: this.device,
      identity: this.identity,
      isf: () => sfe?.isf,
      audit,
    });
    const watch = new DayWatch(dayReports, this.config.day, this.config.locale.timeZone, this.logger);
    dayWatch = watch;
    this.addConditionSource(() => watch.conditions());
    this.parts.push({ name: "day watch", stop: () => watch.stop() });
    const reportSeller = () =>
      sfe === undefined ? undefined : { name: sfe.seller.name, address: sfe.seller.address };
    cloud.parts.admin?.serveReports({ day: dayReports, seller: reportSeller });
    const reconciler = new Reconciler(store, this.device, service, this.identity, breaks, Date.now, {
      store: fiscalReports,
      importJournaled: (source) => dayReports.importJournaled(source),
    });
    this.reconciler = reconciler;
    const board = new StatusBoard({
      version: DAEMON_VERSION,
      clockSkewWarnMs: this.config.clockSkewWarnMs,
      connected: () => this.device.connected,
      deviceStatus: () => this.deviceStatus,
      deviceId: () => this.identity.current?.deviceId ?? null,
      identityMismatch: () => this.mismatch,
      untrusted: () => this.untrusted,
      counters: () => ({
        ...service.counters,
        ...this.queueDepths(),
        store_durable_writes: store.group.counters.writes,
        store_fsyncs: store.group.counters.syncs,
      }),
      link: () => this.device.counters(),
      lastReconcile: () => reconciler.last,
      chainBreaks: () => breaks.unacknowledged(),
      extraConditions: () => this.conditionSources.flatMap((source) => source()),
    });
    const receiptLog = new ReceiptPrints(db);
    const receipts = new Receipts({
      prints: receiptLog,
      originalCodeOf: (deviceId, fiscalNumber) => store.recordByNumber(deviceId, fiscalNumber)?.auth_code,
      timeZone: this.config.locale.timeZone,
    });
    const sync = cloud.parts;
    const reportPrinter = new ReportPrinter(reportSeller, this.config.locale.timeZone);
    const app: ApiInstance = buildApp({
      console: {
        passwords: new ConsolePasswords(db, audit),
        lockout: new LoginLockout(),
        audit,
        status: board,
        invoices: service,
        reads: store,
        receipts,
        keys,
        reports: dayReports,
        reportPrinter,
        sync: { queue: sync.queue, agent: sync.agent, attempts: sync.attempts },
        device: this.device,
        activation: sync.activation,
        printsOf: (deviceId, fiscalNumber) => receiptLog.printsOfRecord(deviceId, fiscalNumber),
        deviceId: () => this.identity.current?.deviceId ?? null,
        timeZone: this.config.locale.timeZone,
        refreshSeconds: CONSOLE_REFRESH_SECONDS,
        now: Date.now,
      },
      invoices: service,
      receipts,
      reports: dayReports,
      reportPrinter,
      keys,
      status: board,
      logger: this.logger,
      config: {
        version: DAEMON_VERSION,
        allowedHosts: this.config.http.allowedHosts,
        bodyLimitBytes: this.config.http.bodyLimitBytes,
        metricsRequireAuth: this.config.metrics.requireKey,
      },
    });
    this.parts.push({ name: "http", stop: () => app.close() });
    this.url = await listen(app, { host: this.config.http.host, port: this.config.http.port });
    this.logger.info(
      { url: this.url, device: this.config.device.uri, stateDir: this.config.stateDir },
      "daemon listening",
    );
    // The check after each connect binds the device and reconciles, writing to the store: it runs only
    // once every part is up, so a start that fails never races its own teardown. A device that is
    // already connected is checked now.
    const check = (): void => {
      this.checked = false;
      this.device.refuse(NOT_CHECKED);
      this.checking ??= this.onDeviceConnected(bindings, trust).finally(() => {
        this.checking = undefined;
      });
    };
    this.device.onConnected(check);
    if (this.device.connected) check();
    // A check that failed (INFO lost) is tried again at the next poll, not only at the next connect.
    this.pollTimer = setInterval(() => {
      if (this.device.connected && !this.checked) check();
      void this.pollStatus();
    }, this.config.statusPollMs);
    this.pollTimer.unref();
    watch.start();
    const sweep = new ExpirySweep(service, this.logger);
    this.parts.push({ name: "expiry sweep", stop: () => sweep.stop() });
    sweep.start(EXPIRY_SWEEP_MS);
    this.logger.info(
      {
        url: this.url,
        device: this.config.device.uri,
        connected: this.device.connected,
        version: DAEMON_VERSION,
      },
      "daemon ready",
    );
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

  /**
   * After every (re)connect: check the identity and the trust chain (docs/SECURITY.md §2), bind a newly
   * activated device, reconcile. Until the checks pass, PREPARE and COMMIT are refused.
   */
  private async onDeviceConnected(bindings: DeviceBindingStore, trust: DeviceTrustPolicy): Promise<void> {
    try {
      const info = await this.device.info();
      const bound = this.identity.current;
      if (
        bound &&
        (bound.deviceId !== info.device_id || Buffer.compare(bound.publicKey, info.public_key) !== 0)
      ) {
        const kind = bound.deviceId !== info.device_id ? "id" : "key";
        this.mismatch = { kind, connected: info.device_id, bound: bound.deviceId };
        this.logger.error({ connected: info.device_id, bound: bound.deviceId }, "device identity mismatch");
        const why =
          kind === "id"
            ? `connected device ${info.device_id} is not the bound device ${bound.deviceId}`
            : `connected device ${info.device_id} has another key than the bound device`;
        this.device.refuse(new FiscalError("DEVICE_IDENTITY_MISMATCH", why));
        this.checked = true;
        return;
      }
      this.mismatch = null;
      const verdict = checkDeviceTrust(info, trust);
      if (!verdict.trusted) {
        this.untrusted = verdict.reason;
        this.logger.error({ device: info.device_id, reason: verdict.reason }, "device refused: not trusted");
        this.device.refuse(new FiscalError("DEVICE_UNTRUSTED", verdict.reason));
        this.checked = true;
        return;
      }
      this.untrusted = null;
      if (verdict.warning !== undefined)
        this.logger.warn({ device: info.device_id, warning: verdict.warning }, "device trust");
      this.device.refuse(null);
      this.checked = true;
      if (verdict.identity !== null) {
        const identity = {
          deviceId: info.device_id,
          publicKey: info.public_key,
          merchantNif: verdict.identity.merchantNif,
          outletId: verdict.identity.outletId,
          fiscalAuthorityId: verdict.identity.fiscalAuthorityId,
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

/**
 * The refusal while a freshly connected device has not passed its checks yet: retry in a moment. BUSY,
 * not UNAVAILABLE: the daemon never sent the request, so a two-step COMMIT refused with it is known not
 * to have acted (COMMIT_NOT_ACTED_CODES) and is not put in doubt.
 */
const NOT_CHECKED = new FiscalError(
  "DEVICE_BUSY",
  "the fiscal device has just connected and is being checked",
);

/** Opens the store; a SQLite failure (not a database, unreadable) becomes STORAGE_FAILURE naming the file. */
function openStore(path: string): Db {
  try {
    return openDatabase(path);
  } catch (err) {
    if (isFiscalError(err)) throw err;
    throw new FiscalError(
      "STORAGE_FAILURE",
      `cannot open the store at ${path}: ${(err as Error).message}`,
      { path },
      { cause: err },
    );
  }
}
