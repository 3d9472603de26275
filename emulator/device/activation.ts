/**
 * ACTIVATE: binds the device to a merchant, an outlet and a fiscal authority id with a bundle the
 * Stalela Cloud signed, and answers with the device's own signed activation record, whose hash is
 * the genesis of the journal chain.
 */
import {
  type ActivationRecord,
  type ArgsOf,
  FiscalError,
  type ResultOf,
  sha256,
  signActivationRecord,
  verifyActivationBundle,
} from "../../protocol/index.js";
import type { FiscalDevice } from "./fiscal-device.js";

/** Executes ACTIVATE. Refuses DEVICE_ALREADY_ACTIVATED before looking at the bundle at all. */
export function activate(device: FiscalDevice, args: ArgsOf<"ACTIVATE">): ResultOf<"ACTIVATE"> {
  if (device.activation !== null) throw new FiscalError("DEVICE_ALREADY_ACTIVATED");
  const lock = device.memory.lockReason;
  if (lock !== null) throw new FiscalError("DEVICE_LOCKED", `the device is locked: ${lock}`);
  const identity = device.memory.identity;
  const bundle = verifyActivationBundle(
    args.bundle,
    identity.cloudRootKey,
    identity.deviceId,
    identity.publicKey,
  );
  const record: ActivationRecord = {
    kind: "ACTIVATION",
    v: 1,
    device_id: identity.deviceId,
    public_key: identity.publicKey,
    merchant_nif: bundle.merchant_nif,
    outlet_id: bundle.outlet_id,
    fiscal_authority_id: bundle.fiscal_authority_id,
    bundle_hash: sha256(args.bundle.bytes),
    activated_at: device.clock.now(),
  };
  const activation = signActivationRecord(record, identity.seed);
  device.memory.saveActivation({
    merchant_nif: bundle.merchant_nif,
    outlet_id: bundle.outlet_id,
    fiscal_authority_id: bundle.fiscal_authority_id,
    activation,
    bundle: { bytes: args.bundle.bytes, signature: args.bundle.signature },
  });
  device.activationSaved();
  return { activation: { bytes: activation.bytes, signature: activation.signature } };
}
