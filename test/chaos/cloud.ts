/**
 * The chaos cluster with the Stalela Cloud as a third participant (scenario 5): the reference cloud
 * emulator embedded in the test process (emulator/cloud), the DEF emulator left UNACTIVATED, and the
 * daemon started with STALELA_CLOUD_URL, then activated THROUGH the daemon with a code the cloud issued
 * (`stalela device activate --code`, over the admin socket), so the daemon holds an upload credential
 * and its sync agent drains the outbox to the cloud.
 */
import { join } from "node:path";
import { type CloudActivation, E2E_IDENTITY } from "../../bench/system.js";
import { AdminClient, type QueueStatus } from "../../daemon/admin/client.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { ChaosCluster, type HeldRecord, type Participant } from "./cluster.js";

/** Items per upload: small, so a run makes many uploads and a lost ack loses a batch, not the run. */
export const SYNC_BATCH_SIZE = 20;

/** DEF emulator + daemon + embedded cloud emulator, activated through the cloud. */
export class CloudChaosCluster extends ChaosCluster {
  cloud!: CloudEmulator;
  /** The device id, once activated. */
  deviceId = "";
  activation: CloudActivation | undefined;

  /** Cloud, unactivated emulator, API key, daemon (with the cloud URL), activation with a code. */
  override async boot(extra: string[] = []): Promise<this> {
    this.cloud = await startCloudEmulator({ stateDir: join(this.dir, "cloud"), port: 0 });
    this.activation = await this.startWithCloud(this.cloud.url, this.cloud.issueCode(E2E_IDENTITY), {
      emulatorArgs: extra,
      daemonEnv: { STALELA_SYNC_BATCH_SIZE: String(SYNC_BATCH_SIZE) },
    });
    this.deviceId = this.activation.device_id;
    return this;
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
}
