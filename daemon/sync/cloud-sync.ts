/**
 * Cloud sync, activation and the admin channel as one part of the daemon, for the composition root:
 *
 *   const cloud = new CloudSync({ db, invoices, audit, bindings, identity, device, stateDir, logger, config });
 *   daemon.addConditionSource(() => cloud.conditions());
 *   await cloud.start();   // after the store, before HTTP;  await cloud.stop() in reverse
 *
 * The constructor only assigns; `start()` builds the parts, starts the agent and opens `admin.sock`.
 * The agent uploads the invoices of the outbox and the fiscal reports of the store (`fiscal_reports`,
 * read through its own FiscalReports on `db`).
 * Without `config.endpoint` the cloud port is `UnconfiguredCloud`: nothing is uploaded, activation by
 * code fails with CLOUD_NOT_CONFIGURED, and the status says so (CLOUD_NOT_CONFIGURED, error).
 */
import type { Logger } from "pino";
import { type ActivationDevice, ActivationService } from "../activation/activation.js";
import { AdminServer } from "../admin/server.js";
import type { DeviceTrustPolicy } from "../fiscal/device-trust.js";
import type { DeviceIdentity } from "../fiscal/identity.js";
import type { RaisedCondition } from "../fiscal/types.js";
import { ActivationProgressStore } from "../store/activation-progress.js";
import type { AuditLog } from "../store/audit.js";
import { CloudCredentialStore } from "../store/cloud-credential.js";
import type { Db } from "../store/database.js";
import type { DeviceBindingStore } from "../store/device-binding.js";
import { FiscalReports } from "../store/fiscal-reports.js";
import type { InvoiceStore } from "../store/invoice-store.js";
import { SyncAttemptLog } from "../store/sync-log.js";
import { SyncQueue } from "../store/sync-queue.js";
import { SyncAgent } from "./agent.js";
import { CloudClient, type CloudPort, UnconfiguredCloud } from "./client.js";
import { resolveSyncConfig, type SyncConfig } from "./config.js";

/** What cloud sync needs from the daemon. */
export interface CloudSyncOptions {
  readonly db: Db;
  readonly invoices: InvoiceStore;
  readonly audit: AuditLog;
  readonly bindings: Pick<DeviceBindingStore, "bind">;
  readonly identity: DeviceIdentity;
  /** The device link: INFO and ACTIVATE. */
  readonly device: ActivationDevice;
  /** Which bundles and devices activation accepts (daemon/fiscal/device-trust.ts). */
  readonly trust: DeviceTrustPolicy;
  /** Where `admin.sock` is created. */
  readonly stateDir: string;
  readonly logger: Logger;
  /** Overrides of DEFAULT_SYNC_CONFIG (validated at start). */
  readonly config?: Partial<SyncConfig>;
  /** Another cloud implementation (tests); the HTTP client by default. */
  readonly cloud?: CloudPort;
  /**
   * Accept a plain-http cloud URL to a loopback host (development mode, `trust.allowEmulator`).
   * Default false: the client refuses anything but https (CONFIG_INSECURE).
   */
  readonly allowInsecureLoopback?: boolean;
  /** Set false to run without the admin socket (tests that drive ActivationService directly). */
  readonly adminSocket?: boolean;
}

/** The running parts, once started. */
export interface CloudSyncParts {
  readonly config: SyncConfig;
  readonly agent: SyncAgent;
  readonly activation: ActivationService;
  readonly queue: SyncQueue;
  readonly attempts: SyncAttemptLog;
  readonly credentials: CloudCredentialStore;
  readonly admin: AdminServer | undefined;
}

/**
 * The HTTP client for `config.endpoint`, or `UnconfiguredCloud` when there is none. Throws
 * CONFIG_INSECURE for a plain-http endpoint that `allowInsecureLoopback` does not cover.
 */
export function cloudPortFor(
  config: Pick<SyncConfig, "endpoint" | "requestTimeoutMs">,
  allowInsecureLoopback: boolean,
): CloudPort {
  const endpoint: string | undefined = config.endpoint;
  if (endpoint === undefined || endpoint === "") return new UnconfiguredCloud();
  return new CloudClient({ endpoint, requestTimeoutMs: config.requestTimeoutMs, allowInsecureLoopback });
}

/** Sync agent + activation + admin channel. */
export class CloudSync {
  private started: CloudSyncParts | undefined;

  constructor(private readonly options: CloudSyncOptions) {}

  /** The parts; throws before start. */
  get parts(): CloudSyncParts {
    if (this.started === undefined) throw new Error("CloudSync is not started");
    return this.started;
  }

  async start(): Promise<void> {
    const o = this.options;
    const config = resolveSyncConfig(o.config ?? {});
    const cloud = o.cloud ?? cloudPortFor(config, o.allowInsecureLoopback ?? false);
    const queue = new SyncQueue(o.db, o.invoices);
    const attempts = new SyncAttemptLog(o.db);
    const credentials = new CloudCredentialStore(o.db, o.audit);
    const agent = new SyncAgent({
      queue,
      attempts,
      credentials,
      cloud,
      reports: new FiscalReports(o.db),
      config,
      logger: o.logger.child({ part: "sync" }),
    });
    const activation = new ActivationService({
      device: o.device,
      cloud,
      progress: new ActivationProgressStore(o.db),
      bindings: o.bindings,
      credentials,
      identity: o.identity,
      audit: o.audit,
      trust: o.trust,
      onActivated: (device) => {
        o.logger.info({ device: device.deviceId, outlet: device.outletId }, "device activated");
        agent.wake();
      },
    });
    const admin =
      o.adminSocket === false
        ? undefined
        : new AdminServer({ activation, agent, queue, attempts }, o.stateDir, o.logger);
    this.started = { config, agent, activation, queue, attempts, credentials, admin };
    agent.start();
    await admin?.start();
  }

  /** Status conditions (empty before start). */
  conditions(): RaisedCondition[] {
    return this.started?.agent.conditions() ?? [];
  }

  /** Closes the admin socket, then lets an upload in flight finish. */
  async stop(): Promise<void> {
    const parts = this.started;
    if (parts === undefined) return;
    for (const step of [() => parts.admin?.stop(), () => parts.agent.stop()]) {
      try {
        await step();
      } catch (err) {
        this.options.logger.error({ err }, "error while stopping cloud sync");
      }
    }
  }
}
