/**
 * Device activation (docs/ADMIN.md §Activation): INFO → claim the code at the cloud → ACTIVATE on the
 * device → register the device's activation record at the cloud → bind the identity and store the
 * upload credential. Every step is recorded in `activation_progress` before the next starts, and each
 * is safe to repeat, so a technician simply runs the same command again after any failure:
 * a device already activated with *this* bundle continues with registration instead of refusing.
 */
import {
  type ActivationRecord,
  FiscalError,
  fromBase64Url,
  isFiscalError,
  openActivationRecord,
  type ResultOf,
  type SignedBlob,
  sha256,
  toBase64Url,
  toHex,
  verifyActivationChain,
} from "../../protocol/index.js";
import {
  assertNotRefusedEmulator,
  checkBundleTrust,
  type DeviceTrustPolicy,
} from "../fiscal/device-trust.js";
import type { BoundDevice, DeviceIdentity } from "../fiscal/identity.js";
import type { ActivationProgress, ActivationProgressStore } from "../store/activation-progress.js";
import type { AuditLog } from "../store/audit.js";
import type { CloudCredentialStore } from "../store/cloud-credential.js";
import type { CloudPort } from "../sync/client.js";
import { parseBundleFile, peekBundle } from "./bundle-file.js";

/** What activation needs from the device (the daemon's device link provides it). */
export interface ActivationDevice {
  info(): Promise<ResultOf<"INFO">>;
  activate(bundle: SignedBlob): Promise<ResultOf<"ACTIVATE">>;
}

/** What activation needs around it. */
export interface ActivationDeps {
  readonly device: ActivationDevice;
  readonly cloud: CloudPort;
  readonly progress: ActivationProgressStore;
  readonly bindings: { bind(device: BoundDevice, activation: Uint8Array | null, actor: string): void };
  readonly credentials: CloudCredentialStore;
  readonly identity: DeviceIdentity;
  readonly audit: AuditLog;
  /**
   * Which bundles and devices to accept: a bundle must be signed by one of `roots` and name the
   * configured merchant and outlet before ACTIVATE is sent; an emulator model only with allowEmulator.
   */
  readonly trust: DeviceTrustPolicy;
  /** Called once the upload credential is stored (the daemon wakes the sync agent). */
  readonly onActivated?: (device: BoundDevice) => void;
}

/** The outcome of an activation. */
export interface ActivationResult {
  readonly device_id: string;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
  /**
   * Hex of the device's Ed25519 public key, as `stalela device info --json` prints it: the technician
   * writes it down, since the cloud and the DGI register it and auditors verify exports with it.
   */
  readonly public_key: string;
  /** False for an offline activation whose record could not be registered yet (retry later). */
  readonly registered: boolean;
  /** True when an earlier, half-finished activation was continued. */
  readonly resumed: boolean;
}

/** Runs activations. */
export class ActivationService {
  constructor(private readonly deps: ActivationDeps) {}

  /**
   * Online activation with a code from the Stalela Cloud. Refusals: ACTIVATION_CODE_UNKNOWN (502),
   * ACTIVATION_CODE_USED (503), ACTIVATION_WRONG_DEVICE (117), DEVICE_ALREADY_ACTIVATED (103),
   * CLOUD_UNREACHABLE (500); DEVICE_UNTRUSTED (121) for an emulator outside development mode (before
   * the code is claimed) or a bundle naming another merchant or outlet; ACTIVATION_BAD_SIGNATURE
   * (116) for a bundle no trusted root signed. Those two are decided before ACTIVATE is sent. Device
   * refusals pass through with their own codes.
   */
  async activateWithCode(code: string, actor = "admin"): Promise<ActivationResult> {
    if (!/^[A-Za-z0-9-]{4,64}$/.test(code))
      throw new FiscalError("ACTIVATION_CODE_UNKNOWN", "malformed activation code");
    const info = await this.deps.device.info();
    assertNotRefusedEmulator(info, this.deps.trust);
    let progress = this.deps.progress.of(info.device_id);
    const resumed = info.state !== "UNACTIVATED";
    if (resumed) {
      progress = this.resumable(info, progress);
      checkBundleTrust(info, progress.bundle, this.deps.trust);
    } else {
      const claim = await this.deps.cloud.claim({
        activation_code: code,
        device_id: info.device_id,
        device_public_key: toBase64Url(info.public_key),
      });
      const bundle = {
        bytes: fromBase64Url(claim.bundle.bytes),
        signature: fromBase64Url(claim.bundle.signature),
      };
      if (peekBundle(bundle).device_id !== info.device_id) {
        throw new FiscalError(
          "ACTIVATION_WRONG_DEVICE",
          "the cloud answered with a bundle for another device",
        );
      }
      // Checked before anything is kept: an untrusted bundle never reaches the progress table.
      checkBundleTrust(info, bundle, this.deps.trust);
      progress = {
        deviceId: info.device_id,
        step: "claimed",
        bundle,
        activation: null,
        credential: claim.credential,
      };
      this.deps.progress.save(progress);
    }
    return this.finish(info, progress, actor, resumed, true);
  }

  /**
   * Offline activation with a bundle file (USB stick). Refusals: ACTIVATION_INVALID (118, malformed
   * file), ACTIVATION_WRONG_DEVICE (117), DEVICE_ALREADY_ACTIVATED (103, with another bundle),
   * ACTIVATION_BAD_SIGNATURE (116, no trusted root signed the bundle: checked here, before ACTIVATE)
   * and DEVICE_UNTRUSTED (121, an emulator outside development mode, or another merchant or outlet).
   * Registration at the cloud is attempted when the file carries a credential and the cloud answers;
   * otherwise `registered` is false and running the same command again later registers.
   */
  async activateWithBundle(fileBytes: Uint8Array, actor = "admin"): Promise<ActivationResult> {
    const file = parseBundleFile(fileBytes);
    const bundleDevice = peekBundle(file.bundle).device_id;
    const info = await this.deps.device.info();
    if (bundleDevice !== info.device_id) {
      throw new FiscalError(
        "ACTIVATION_WRONG_DEVICE",
        `the bundle is for ${bundleDevice}, this device is ${info.device_id}`,
      );
    }
    checkBundleTrust(info, file.bundle, this.deps.trust);
    const stored = this.deps.progress.of(info.device_id);
    const progress: ActivationProgress = {
      deviceId: info.device_id,
      step: "claimed",
      bundle: file.bundle,
      activation: null,
      credential: file.credential ?? stored?.credential ?? null,
    };
    const resumed = info.state !== "UNACTIVATED";
    if (resumed) this.resumable(info, { ...progress, step: stored?.step ?? "claimed" });
    else this.deps.progress.save(progress);
    return this.finish(info, progress, actor, resumed, false);
  }

  /** A device already active may only continue an activation made with the bundle we hold. */
  private resumable(info: ResultOf<"INFO">, progress: ActivationProgress | undefined): ActivationProgress {
    if (progress === undefined || info.activation === null || !sameBundle(info, progress.bundle)) {
      throw new FiscalError("DEVICE_ALREADY_ACTIVATED", `device ${info.device_id} is already activated`);
    }
    if (progress.step === "done") {
      throw new FiscalError(
        "DEVICE_ALREADY_ACTIVATED",
        `device ${info.device_id} is already activated and registered`,
      );
    }
    return progress;
  }

  private async finish(
    info: ResultOf<"INFO">,
    start: ActivationProgress,
    actor: string,
    resumed: boolean,
    mustRegister: boolean,
  ): Promise<ActivationResult> {
    let progress = start;
    if (progress.activation === null) {
      const activation =
        info.activation !== null && sameBundle(info, progress.bundle)
          ? info.activation
          : await this.activateDevice(progress.bundle);
      progress = { ...progress, step: "device-activated", activation };
      this.deps.progress.save(progress);
    }
    // The record must come from this very bundle, verified with the device's own key.
    const { record } = verifyActivationChain(
      { ...info, activation: progress.activation, activation_bundle: progress.bundle },
      this.deps.trust.roots,
    );
    let registered = progress.step === "registered" || progress.step === "done";
    if (!registered && progress.credential !== null) {
      try {
        await this.deps.cloud.registerActivation(progress.credential, info.device_id, {
          activation: {
            bytes: toBase64Url(progress.activation!.bytes),
            signature: toBase64Url(progress.activation!.signature),
          },
        });
        registered = true;
        progress = { ...progress, step: "registered" };
        this.deps.progress.save(progress);
      } catch (err) {
        // Offline, a cloud that cannot be reached or is not configured here yet is registered later.
        if (
          mustRegister ||
          !(isFiscalError(err, "CLOUD_UNREACHABLE") || isFiscalError(err, "CLOUD_NOT_CONFIGURED"))
        )
          throw err;
      }
    }
    this.store(info, record, progress, actor);
    return {
      device_id: info.device_id,
      merchant_nif: record.merchant_nif,
      outlet_id: record.outlet_id,
      fiscal_authority_id: record.fiscal_authority_id,
      public_key: toHex(info.public_key),
      registered,
      resumed,
    };
  }

  /** ACTIVATE; a lost reply is resolved by asking INFO, never by guessing. */
  private async activateDevice(bundle: SignedBlob): Promise<SignedBlob> {
    try {
      return (await this.deps.device.activate(bundle)).activation;
    } catch (err) {
      if (!isFiscalError(err, "DEVICE_TIMEOUT") && !isFiscalError(err, "DEVICE_ALREADY_ACTIVATED")) throw err;
      const info = await this.deps.device.info();
      if (info.activation !== null && sameBundle(info, bundle)) return info.activation;
      throw err;
    }
  }

  private store(
    info: ResultOf<"INFO">,
    record: ActivationRecord,
    progress: ActivationProgress,
    actor: string,
  ): void {
    const identity: BoundDevice = {
      deviceId: info.device_id,
      publicKey: info.public_key,
      merchantNif: record.merchant_nif,
      outletId: record.outlet_id,
      fiscalAuthorityId: record.fiscal_authority_id,
    };
    this.deps.bindings.bind(identity, progress.activation!.bytes, actor);
    this.deps.identity.set(identity);
    const current = this.deps.credentials.current();
    if (progress.credential !== null && current?.credential !== progress.credential) {
      this.deps.credentials.replace(info.device_id, progress.credential, actor);
    }
    if (progress.step === "registered") {
      // Done: the credential lives in the credential store only; the progress copy is cleared.
      this.deps.progress.save({ ...progress, step: "done", credential: null });
      this.deps.audit.append(actor, "device.activate", {
        device_id: info.device_id,
        outlet_id: record.outlet_id,
      });
    }
    this.deps.onActivated?.(identity);
  }
}

function sameBundle(info: ResultOf<"INFO">, bundle: SignedBlob): boolean {
  if (info.activation === null) return false;
  const record = openActivationRecord(info.activation, info.public_key);
  return Buffer.compare(record.bundle_hash, sha256(bundle.bytes)) === 0;
}
