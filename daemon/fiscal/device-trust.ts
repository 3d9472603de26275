/**
 * Which devices the daemon trusts (docs/SECURITY.md §Devices): one whose activation chains to a cloud
 * root key the daemon pins and names the merchant and outlet the daemon is configured for. Anything
 * that can talk the DEF protocol can claim a device id and a key; only the cloud root can sign a
 * bundle, so the bundle's signature is what makes a device real. Pure: the daemon calls
 * `checkDeviceTrust` on every (re)connect with the device's INFO, and ActivationService calls
 * `checkBundleTrust` before it sends ACTIVATE.
 */
import {
  type ActivationBundle,
  assertBundleKey,
  DEV_CLOUD_ROOT_PUBLIC_KEY,
  EMULATOR_MODELS,
  FiscalError,
  fromHex,
  isFiscalError,
  openActivationRecord,
  type ResultOf,
  type SignedBlob,
  verifyActivationChain,
  verifyBundleFromRoots,
} from "../../protocol/index.js";

/** What the daemon trusts. Built once from the config by `trustPolicyFrom`. */
export interface DeviceTrustPolicy {
  /** Cloud root public keys (32 bytes each) a device's activation bundle must be signed by. */
  readonly roots: readonly Uint8Array[];
  /** Development mode: emulator models, the development root, and record-only checks are accepted. */
  readonly allowEmulator: boolean;
  /** What the bound device's activation must name; each field checked only when configured. */
  readonly merchant: { readonly nif?: string; readonly outletId?: string };
}

/** The config's `trust` section, as far as trust needs it. */
export interface TrustSettings {
  readonly allowEmulator: boolean;
  /** The pinned production cloud root public key, 64 hex characters. */
  readonly cloudRootKey?: string;
}

/** The config's `merchant` section. */
export interface MerchantSettings {
  readonly nif?: string;
  readonly outletId?: string;
}

/** The identity a trusted, activated device may be bound with (from its verified activation record). */
export interface TrustedIdentity {
  readonly merchantNif: string;
  readonly outletId: string;
  readonly fiscalAuthorityId: string;
}

/** The verdict on one device. */
export type DeviceTrust =
  | {
      readonly trusted: true;
      /** The verified identity to bind; null for an unactivated device. */
      readonly identity: TrustedIdentity | null;
      /** Set when trust was granted only because of development mode (log it as a warning). */
      readonly warning?: string;
    }
  | { readonly trusted: false; readonly reason: string };

/** Names the setting to fix in a refusal. */
const NO_ROOT = "no cloud root key is pinned (STALELA_CLOUD_ROOT_KEY)";
const NO_MERCHANT = "no merchant is configured (STALELA_MERCHANT_NIF and STALELA_OUTLET_ID)";
/**
 * A bundle signed before bundles named the device key: INFO exposes it, so any device claiming the same
 * device_id could replay it with a record signed by its own key. Refused in production.
 */
const NO_BUNDLE_KEY =
  "the activation bundle does not name the device key: ask the Stalela back office for a new activation";
const DEV_NO_BUNDLE_KEY =
  "the activation bundle does not name the device key: accepted in development mode only";

/**
 * The policy from the config: roots = the pinned `cloudRootKey` (when set) plus, only in development
 * mode, the development root. Throws CONFIG_INSECURE for a pinned key that is not 32 bytes of hex.
 */
export function trustPolicyFrom(trust: TrustSettings, merchant: MerchantSettings): DeviceTrustPolicy {
  const roots: Uint8Array[] = [];
  if (trust.cloudRootKey !== undefined) {
    let key: Uint8Array | undefined;
    try {
      key = fromHex(trust.cloudRootKey);
    } catch {
      key = undefined;
    }
    if (key?.length !== 32) {
      throw new FiscalError(
        "CONFIG_INSECURE",
        "trust.cloudRootKey (STALELA_CLOUD_ROOT_KEY) must be 64 hex characters: a 32-byte Ed25519 public key",
      );
    }
    roots.push(key);
  }
  if (trust.allowEmulator) roots.push(DEV_CLOUD_ROOT_PUBLIC_KEY);
  return {
    roots,
    allowEmulator: trust.allowEmulator,
    merchant: {
      ...(merchant.nif === undefined ? {} : { nif: merchant.nif }),
      ...(merchant.outletId === undefined ? {} : { outletId: merchant.outletId }),
    },
  };
}

/** True for a model the emulator reports. */
export function isEmulatorModel(model: string): boolean {
  return EMULATOR_MODELS.includes(model);
}

/**
 * Judges a connected device from its INFO. Trusted only when:
 * - its model is not an emulator model, unless development mode allows emulation;
 * - unactivated: nothing more (ACTIVATE is checked by `checkBundleTrust`);
 * - activated: INFO carries the bundle, signed by one of the policy's roots and naming this device;
 *   the activation record verifies with INFO's public key, names this device, carries the bundle's
 *   SHA-256 and repeats its merchant, outlet and fiscal authority; the bundle names INFO's public key;
 *   INFO's identity is the record's; and the merchant and outlet are the configured ones. Outside
 *   development mode a missing root, a missing merchant config, or a bundle that names no device key
 *   is itself a refusal. In development mode a bundle without the key is accepted with a warning, and
 *   a device that reports no bundle (an emulator store activated before it kept bundles) is accepted
 *   on its record alone.
 */
export function checkDeviceTrust(info: ResultOf<"INFO">, policy: DeviceTrustPolicy): DeviceTrust {
  if (isEmulatorModel(info.model) && !policy.allowEmulator) return untrusted(emulatorRefusal(info.model));
  if (info.activation === null) {
    if (info.state !== "UNACTIVATED") {
      return untrusted(`the device says it is ${info.state} but carries no activation record`);
    }
    return { trusted: true, identity: null };
  }
  if (!policy.allowEmulator) {
    if (policy.roots.length === 0) return untrusted(NO_ROOT);
    if (policy.merchant.nif === undefined || policy.merchant.outletId === undefined) {
      return untrusted(NO_MERCHANT);
    }
  }
  let granted: { merchant_nif: string; outlet_id: string; fiscal_authority_id: string };
  let warning: string | undefined;
  try {
    if (info.activation_bundle === null && policy.allowEmulator) {
      const record = openActivationRecord(info.activation, info.public_key);
      if (record.device_id !== info.device_id) {
        return untrusted(
          `the activation record is for ${record.device_id}, this device is ${info.device_id}`,
        );
      }
      granted = record;
      warning =
        "the device does not report its activation bundle (activated before it kept it): accepted on its activation record alone, in development mode only";
    } else {
      const chain = verifyActivationChain(info, policy.roots);
      if (chain.bundle.device_public_key === undefined) {
        if (!policy.allowEmulator) return untrusted(NO_BUNDLE_KEY);
        warning = DEV_NO_BUNDLE_KEY;
      }
      granted = chain.record;
    }
  } catch (err) {
    if (!isFiscalError(err)) throw err;
    return untrusted(`its activation does not chain to a trusted cloud root: ${err.message}`);
  }
  const mismatch = identityMismatch(info, granted) ?? merchantMismatch(granted, policy);
  if (mismatch !== null) return untrusted(mismatch);
  return {
    trusted: true,
    identity: {
      merchantNif: granted.merchant_nif,
      outletId: granted.outlet_id,
      fiscalAuthorityId: granted.fiscal_authority_id,
    },
    ...(warning === undefined ? {} : { warning }),
  };
}

/**
 * Before ACTIVATE (which cannot be undone): the device must not be a refused emulator, the bundle must
 * be signed by a trusted root for this device and its key (outside development mode it must name the
 * key), and it must name the configured merchant and outlet (outside development mode both must be
 * configured). Returns the verified bundle. Throws DEVICE_UNTRUSTED (emulator, a bundle that names no
 * device key, no merchant configured, another merchant or outlet), ACTIVATION_BAD_SIGNATURE (no
 * trusted root signed it, or none is pinned), ACTIVATION_INVALID or ACTIVATION_WRONG_DEVICE (another
 * device id or device key).
 */
export function checkBundleTrust(
  info: Pick<ResultOf<"INFO">, "device_id" | "model" | "public_key">,
  bundle: SignedBlob,
  policy: DeviceTrustPolicy,
): ActivationBundle {
  assertNotRefusedEmulator(info, policy);
  if (policy.roots.length === 0) {
    throw new FiscalError("ACTIVATION_BAD_SIGNATURE", `the bundle cannot be checked: ${NO_ROOT}`);
  }
  const { bundle: verified } = verifyBundleFromRoots(bundle, policy.roots, info.device_id);
  assertBundleKey(verified, info.public_key, "the device's public_key");
  if (verified.device_public_key === undefined && !policy.allowEmulator) {
    throw new FiscalError("DEVICE_UNTRUSTED", `refusing to activate: ${NO_BUNDLE_KEY}`);
  }
  if (
    !policy.allowEmulator &&
    (policy.merchant.nif === undefined || policy.merchant.outletId === undefined)
  ) {
    throw new FiscalError("DEVICE_UNTRUSTED", `refusing to activate: ${NO_MERCHANT}`);
  }
  const mismatch = merchantMismatch(verified, policy);
  if (mismatch !== null) throw new FiscalError("DEVICE_UNTRUSTED", `refusing to activate: ${mismatch}`);
  return verified;
}

/** Throws DEVICE_UNTRUSTED for an emulator model outside development mode. */
export function assertNotRefusedEmulator(
  info: Pick<ResultOf<"INFO">, "model">,
  policy: DeviceTrustPolicy,
): void {
  if (isEmulatorModel(info.model) && !policy.allowEmulator) {
    throw new FiscalError("DEVICE_UNTRUSTED", emulatorRefusal(info.model));
  }
}

function emulatorRefusal(model: string): string {
  return `the device model ${model} is the emulator's; it is accepted only in development mode (--allow-emulator)`;
}

function untrusted(reason: string): DeviceTrust {
  return { trusted: false, reason };
}

/** INFO's identity must be the one the verified record grants (the daemon binds from it). */
function identityMismatch(
  info: ResultOf<"INFO">,
  granted: { merchant_nif: string; outlet_id: string; fiscal_authority_id: string },
): string | null {
  const id = info.identity;
  if (
    id === null ||
    id.merchant_nif !== granted.merchant_nif ||
    id.outlet_id !== granted.outlet_id ||
    id.fiscal_authority_id !== granted.fiscal_authority_id
  ) {
    return "the identity the device reports is not the one its activation record grants";
  }
  return null;
}

function merchantMismatch(
  granted: { merchant_nif: string; outlet_id: string },
  policy: DeviceTrustPolicy,
): string | null {
  const { nif, outletId } = policy.merchant;
  if (nif !== undefined && granted.merchant_nif !== nif) {
    return `its activation names merchant ${granted.merchant_nif}, this daemon is configured for ${nif}`;
  }
  if (outletId !== undefined && granted.outlet_id !== outletId) {
    return `its activation names outlet ${granted.outlet_id}, this daemon is configured for ${outletId}`;
  }
  return null;
}
