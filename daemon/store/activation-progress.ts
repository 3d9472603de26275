/**
 * Where an activation got to, per device (migration 2, `activation_progress`), so a half-finished
 * activation (crash, unplug, cloud down between the steps) resumes instead of starting over: the
 * bundle the device was (or is about to be) activated with, its activation record, and the cloud
 * credential claimed with it. That copy of the credential only bridges the steps: once a row is
 * "done" it is cleared (here and by migration 5's triggers), the credential store keeps the live one.
 */
import type { SignedBlob } from "../../protocol/index.js";
import type { Db } from "./database.js";

/** The steps, in order. */
export type ActivationStep = "claimed" | "device-activated" | "registered" | "done";

/** Progress as stored. */
export interface ActivationProgress {
  readonly deviceId: string;
  readonly step: ActivationStep;
  readonly bundle: SignedBlob;
  readonly activation: SignedBlob | null;
  readonly credential: string | null;
}

interface Row {
  device_id: string;
  step: ActivationStep;
  bundle: Buffer;
  bundle_signature: Buffer;
  activation: Buffer | null;
  activation_signature: Buffer | null;
  credential: string | null;
}

/** Reads and records activation progress. */
export class ActivationProgressStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  of(deviceId: string): ActivationProgress | undefined {
    const row = this.db.prepare("SELECT * FROM activation_progress WHERE device_id = ?").get(deviceId) as
      | Row
      | undefined;
    if (row === undefined) return undefined;
    return {
      deviceId: row.device_id,
      step: row.step,
      bundle: { bytes: new Uint8Array(row.bundle), signature: new Uint8Array(row.bundle_signature) },
      activation:
        row.activation && row.activation_signature
          ? { bytes: new Uint8Array(row.activation), signature: new Uint8Array(row.activation_signature) }
          : null,
      credential: row.credential,
    };
  }

  /** Inserts or replaces the progress of a device; a "done" row never keeps the credential. */
  save(p: ActivationProgress): void {
    this.db
      .prepare(
        `INSERT INTO activation_progress (device_id, step, bundle, bundle_signature, activation, activation_signature,
           credential, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(device_id) DO UPDATE SET step = excluded.step, bundle = excluded.bundle,
           bundle_signature = excluded.bundle_signature, activation = excluded.activation,
           activation_signature = excluded.activation_signature, credential = excluded.credential,
           updated_at = excluded.updated_at`,
      )
      .run(
        p.deviceId,
        p.step,
        p.bundle.bytes,
        p.bundle.signature,
        p.activation?.bytes ?? null,
        p.activation?.signature ?? null,
        p.step === "done" ? null : p.credential,
        this.now(),
      );
  }
}
