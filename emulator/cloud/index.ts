/**
 * The reference Stalela Cloud emulator, embedded: `startCloudEmulator({ stateDir, port: 0 })` for
 * tests and tools; `stalela cloud-emulator` runs the same thing as a process (docs/CLOUD_API.md).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { DEV_CLOUD_ROOT_SEED } from "../dev-keys.js";
import { listenError } from "../listen-error.js";
import { type CloudFaultPatch, type CloudFaults, checkCloudFaultPatch, noCloudFaults } from "./faults.js";
import { buildCloudApp } from "./server.js";
import { CloudStore, type CodeIdentity, type ReceivedInvoice, type ReceivedReport } from "./store.js";
import type { CloudCounters } from "./uploads.js";
import { VerifyPool } from "./verify-pool.js";

export { type CloudFaultPatch, type CloudFaults, parseCloudFault } from "./faults.js";
export type { CodeIdentity, ReceivedInvoice, ReceivedReport } from "./store.js";
export type { CloudCounters } from "./uploads.js";

/** The cloud emulator's database file inside its state directory. */
export const CLOUD_STORE_FILE = "cloud.sqlite";

/** How to start a cloud emulator. */
export interface CloudEmulatorOptions {
  readonly stateDir: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** The root seed bundles are signed with; the public development seed by default. */
  readonly rootSeed?: Uint8Array;
  readonly faults?: CloudFaultPatch;
  /** Worker threads that verify record signatures besides the main thread (0, the default: none). */
  readonly verifyThreads?: number;
}

/** A running cloud emulator. */
export class CloudEmulator {
  private app: FastifyInstance | undefined;
  readonly faults: CloudFaults = noCloudFaults();
  readonly counters: CloudCounters = { accepted: 0, duplicate: 0, rejected: 0, uploads: 0 };
  /** The report uploads' counters: acks per outcome and requests. */
  readonly reportCounters: CloudCounters = { accepted: 0, duplicate: 0, rejected: 0, uploads: 0 };
  readonly store: CloudStore;
  private readonly verifier: VerifyPool;
  /** Base URL, e.g. `http://127.0.0.1:41234`, once started. */
  url = "";

  constructor(private readonly options: CloudEmulatorOptions) {
    this.store = new CloudStore(join(options.stateDir, CLOUD_STORE_FILE));
    this.verifier = new VerifyPool(options.verifyThreads ?? 0);
  }

  /**
   * Opens the store and listens. A failure (ADDRESS_IN_USE for a taken port) closes what had opened,
   * so a failed start leaves no worker or open store keeping the process alive.
   */
  async start(): Promise<this> {
    mkdirSync(this.options.stateDir, { recursive: true });
    Object.assign(this.faults, checkCloudFaultPatch(this.options.faults ?? {}));
    this.store.open();
    const host = this.options.host ?? "127.0.0.1";
    try {
      this.verifier.start();
      this.app = buildCloudApp({
        verifier: this.verifier,
        store: this.store,
        faults: this.faults,
        counters: this.counters,
        reportCounters: this.reportCounters,
        rootSeed: this.options.rootSeed ?? DEV_CLOUD_ROOT_SEED,
      });
      let address: string;
      try {
        address = await this.app.listen({ host, port: this.options.port });
      } catch (err) {
        throw listenError(err, "cloud emulator", host, this.options.port);
      }
      this.url = address.replace("[::1]", "127.0.0.1");
    } catch (err) {
      await this.close();
      throw err;
    }
    return this;
  }

  /** Issues an activation code bound to an identity. */
  issueCode(identity: CodeIdentity, code?: string): string {
    return this.store.issueCode(identity, code);
  }

  /** Changes faults at run time (the same as `POST /control/faults`). */
  setFaults(patch: CloudFaultPatch): void {
    Object.assign(this.faults, checkCloudFaultPatch(patch));
  }

  /** What the cloud has received. */
  invoices(deviceId?: string): ReceivedInvoice[] {
    return this.store.invoices(deviceId);
  }

  /** The fiscal reports the cloud has received, by device, kind and number. */
  reports(deviceId?: string, kind?: string): ReceivedReport[] {
    return this.store.reports(deviceId, kind);
  }

  /** Stops listening (dropping open connections) and closes the store. */
  async close(): Promise<void> {
    try {
      await this.app?.close();
    } finally {
      await this.verifier.stop();
      this.store.close();
    }
  }
}

/** Starts a cloud emulator. */
export function startCloudEmulator(options: CloudEmulatorOptions): Promise<CloudEmulator> {
  return new CloudEmulator(options).start();
}
