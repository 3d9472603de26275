/**
 * The chaos cluster with the Stalela Cloud as a third participant (scenario 5): the reference cloud
 * emulator embedded in the test process (emulator/cloud), the DEF emulator left UNACTIVATED, and the
 * daemon started with STALELA_CLOUD_URL, then activated THROUGH the daemon with a code the cloud issued
 * (`stalela device activate --code`, over the admin socket), so the daemon holds an upload credential
 * and its sync agent drains the outbox to the cloud.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { CLI_MAIN } from "../../bench/processes.js";
import { E2E_IDENTITY } from "../../bench/system.js";
import { AdminClient, type QueueStatus } from "../../daemon/admin/client.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { ChaosCluster, type HeldRecord, type Participant } from "./cluster.js";

const run = promisify(execFile);

/** Items per upload: small, so a run makes many uploads and a lost ack loses a batch, not the run. */
export const SYNC_BATCH_SIZE = 20;
/** How long the daemon may take to see the unactivated device after it listens, in ms. */
const DEVICE_SEEN_TIMEOUT_MS = 15_000;
/** Pause between polls, in ms. */
const POLL_MS = 100;

/** The activation answer of `stalela device activate --code … --json`. */
export interface ActivationAnswer {
  readonly device_id: string;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
  readonly registered: boolean;
  readonly via: string;
}

/** DEF emulator + daemon + embedded cloud emulator, activated through the cloud. */
export class CloudChaosCluster extends ChaosCluster {
  cloud!: CloudEmulator;
  /** The device id, once activated. */
  deviceId = "";
  activation: ActivationAnswer | undefined;
  /** False until the device is activated: an unactivated device is never reconciled. */
  private activated = false;

  /** Environment of every daemon start: the cloud's URL and a small batch size. */
  private cloudEnv(): Record<string, string> {
    return { STALELA_CLOUD_URL: this.cloud.url, STALELA_SYNC_BATCH_SIZE: String(SYNC_BATCH_SIZE) };
  }

  /** Cloud, unactivated emulator, API key, daemon (with the cloud URL), activation with a code. */
  override async boot(extra: string[] = []): Promise<this> {
    this.cloud = await startCloudEmulator({ stateDir: join(this.dir, "cloud"), port: 0 });
    // The device is left UNACTIVATED (ChaosCluster.boot would activate it with a signed bundle).
    await this.startEmulator(extra);
    this.key = await this.createKey("CASHIER-1");
    await this.startDaemon();
    await this.waitDeviceSeen();
    const code = this.cloud.issueCode(E2E_IDENTITY);
    const { stdout } = await run(process.execPath, [
      CLI_MAIN,
      "device",
      "activate",
      "--code",
      code,
      "--state",
      this.daemonState,
      "--json",
    ]);
    this.activation = JSON.parse(stdout) as ActivationAnswer;
    this.deviceId = this.activation.device_id;
    this.activated = true;
    return this;
  }

  /** Every daemon start (the checker's restart too) points at the cloud. */
  override async startDaemon(env: Record<string, string> = {}): Promise<void> {
    await super.startDaemon({ ...this.cloudEnv(), ...env });
  }

  /** Before activation there is nothing to reconcile: listening is enough. */
  override async waitReconciled(offset = 0, timeoutMs = 10_000): Promise<void> {
    if (this.activated) await super.waitReconciled(offset, timeoutMs);
  }

  /** The daemon's outbox, read over its admin socket (uncached, unlike /v1/status's counters). */
  queueStatus(): Promise<QueueStatus> {
    return new AdminClient(join(this.daemonState, "admin.sock")).queueStatus();
  }

  /** The cloud as a participant: what it stored for this device, with the stored record bytes. */
  cloudParticipant(): Participant {
    return {
      name: "cloud",
      records: async (): Promise<HeldRecord[]> =>
        this.cloud.invoices().map((r) => ({
          fiscalNumber: r.fiscal_number,
          record: (this.cloud.store.storedRecord(r.device_id, r.fiscal_number) ?? Buffer.alloc(0)).toString(
            "base64url",
          ),
        })),
    };
  }

  /** Closes the cloud, then stops the processes and removes the directory (the cloud's state too). */
  override async stop(): Promise<void> {
    try {
      await this.cloud?.close();
    } finally {
      await super.stop();
    }
  }

  /** Waits until the daemon's status shows the connected, unactivated device. */
  private async waitDeviceSeen(): Promise<void> {
    const deadline = Date.now() + DEVICE_SEEN_TIMEOUT_MS;
    for (;;) {
      const reply = await this.api("GET", "/v1/status");
      if (reply.body?.device?.connected === true && reply.body?.device?.state === "UNACTIVATED") return;
      if (Date.now() > deadline)
        throw new Error(`the daemon did not see the unactivated device: ${JSON.stringify(reply.body)}`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}
