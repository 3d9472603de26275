/**
 * Activation (docs/PROTOCOL.md §9): the Stalela Cloud signs a bundle that binds one device to a
 * merchant, an outlet and a fiscal authority id; the device verifies it with the cloud root key it
 * was manufactured with, and answers with its own signed activation record. The hash of that record
 * is the genesis of the device's journal chain (the `prev_hash` of fiscal number 1).
 */
import Type, { type Static } from "typebox";
import { BytesSchema } from "../bytes.js";
import { bytesEqual, decodeCanonical, encodeCanonical } from "../cbor.js";
import { FiscalError } from "../errors.js";
import { sha256 } from "../invoice/canonical.js";
import { ID_PATTERN } from "../invoice/schema.js";
import { compileChecker } from "../schema-issues.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";

/**
 * What the cloud signs. `device_public_key` names the key of the one device the bundle is for: without
 * it a bundle (which INFO exposes) could be replayed by any device claiming the same `device_id`. It is
 * optional so that bundles signed before it existed still decode; a production host refuses them
 * (daemon/fiscal/device-trust.ts).
 */
export const ActivationBundleSchema = Type.Object(
  {
    kind: Type.Literal("ACTIVATION_BUNDLE"),
    v: Type.Literal(1),
    bundle_id: Type.String({ pattern: ID_PATTERN }),
    device_id: Type.String({ pattern: ID_PATTERN }),
    device_public_key: Type.Optional(BytesSchema(32)),
    merchant_nif: Type.String({ pattern: ID_PATTERN }),
    outlet_id: Type.String({ pattern: ID_PATTERN }),
    fiscal_authority_id: Type.String({ pattern: ID_PATTERN }),
    issued_at: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ActivationBundle = Static<typeof ActivationBundleSchema>;

/** What the device signs once activated. */
export const ActivationRecordSchema = Type.Object(
  {
    kind: Type.Literal("ACTIVATION"),
    v: Type.Literal(1),
    device_id: Type.String({ pattern: ID_PATTERN }),
    public_key: BytesSchema(32),
    merchant_nif: Type.String({ pattern: ID_PATTERN }),
    outlet_id: Type.String({ pattern: ID_PATTERN }),
    fiscal_authority_id: Type.String({ pattern: ID_PATTERN }),
    bundle_hash: BytesSchema(32),
    activated_at: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type ActivationRecord = Static<typeof ActivationRecordSchema>;

/** Signed bytes and their signature: how bundles and activation records travel. */
export interface SignedBlob {
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** Schema of a SignedBlob inside a message. */
export const SignedBlobSchema = Type.Object(
  { bytes: BytesSchema(undefined, 2048), signature: BytesSchema(64) },
  { additionalProperties: false },
);

const bundleChecker = compileChecker(ActivationBundleSchema);
const recordChecker = compileChecker(ActivationRecordSchema);

/** The cloud side: signs a bundle with the cloud root key. */
export function signActivationBundle(bundle: ActivationBundle, cloudSeed: Uint8Array): SignedBlob {
  const bytes = encodeCanonical(bundle as never);
  return { bytes, signature: signWith(cloudSeed, SignContext.BUNDLE, bytes) };
}

/**
 * The device side: checks a bundle. Throws ACTIVATION_INVALID (malformed), ACTIVATION_BAD_SIGNATURE
 * (not signed by the cloud root key) or ACTIVATION_WRONG_DEVICE (meant for another device: another
 * `device_id`, or a `device_public_key` that is not `devicePublicKey`).
 */
export function verifyActivationBundle(
  blob: SignedBlob,
  cloudPublicKey: Uint8Array,
  deviceId: string,
  devicePublicKey: Uint8Array,
): ActivationBundle {
  const { bundle } = verifyBundleFromRoots(blob, [cloudPublicKey], deviceId);
  assertBundleKey(bundle, devicePublicKey, "this device's key");
  return bundle;
}

/**
 * Throws ACTIVATION_WRONG_DEVICE when the bundle names a device key other than `publicKey`. A bundle
 * that names no key passes: whether that is acceptable is the caller's policy.
 */
export function assertBundleKey(bundle: ActivationBundle, publicKey: Uint8Array, whose: string): void {
  if (bundle.device_public_key !== undefined && !bytesEqual(bundle.device_public_key, publicKey)) {
    throw new FiscalError(
      "ACTIVATION_WRONG_DEVICE",
      `the bundle names another device key than ${whose}: it was issued to another device`,
    );
  }
}

/** A bundle that verified, and the root key that signed it. */
export interface TrustedBundle {
  readonly bundle: ActivationBundle;
  readonly root: Uint8Array;
}

/**
 * The host side (and the device's, with one root): checks a bundle against every trusted root key. A
 * host may trust more than one (the pinned production root, plus the development root in development
 * mode). Throws ACTIVATION_BAD_SIGNATURE (no root signed it, or there is no root at all),
 * ACTIVATION_INVALID (malformed) or ACTIVATION_WRONG_DEVICE (meant for another device).
 */
export function verifyBundleFromRoots(
  blob: SignedBlob,
  roots: readonly Uint8Array[],
  deviceId: string,
): TrustedBundle {
  const root = roots.find((key) => verifyWith(key, SignContext.BUNDLE, blob.bytes, blob.signature));
  if (root === undefined) {
    throw new FiscalError(
      "ACTIVATION_BAD_SIGNATURE",
      roots.length === 0
        ? "no cloud root key is trusted, so no bundle can be verified"
        : "the activation bundle is not signed by a trusted cloud root key",
    );
  }
  let value: unknown;
  try {
    value = decodeCanonical(blob.bytes);
  } catch (err) {
    throw new FiscalError("ACTIVATION_INVALID", `bundle is not canonical CBOR: ${(err as Error).message}`);
  }
  const issues = bundleChecker.issues(value);
  if (issues.length > 0) {
    throw new FiscalError("ACTIVATION_INVALID", `${issues[0]!.path} ${issues[0]!.message}`, { issues });
  }
  const bundle = value as ActivationBundle;
  if (bundle.device_id !== deviceId) {
    throw new FiscalError(
      "ACTIVATION_WRONG_DEVICE",
      `bundle is for ${bundle.device_id}, this device is ${deviceId}`,
    );
  }
  return { bundle, root };
}

/** The device side: signs its activation record. */
export function signActivationRecord(record: ActivationRecord, deviceSeed: Uint8Array): SignedBlob {
  const bytes = encodeCanonical(record as never);
  return { bytes, signature: signWith(deviceSeed, SignContext.ACTIVATION, bytes) };
}

/**
 * Verifies an activation record with the public key it carries (and, when given, insists that key is
 * `expectedPublicKey`). Throws SIGNATURE_INVALID or ACTIVATION_INVALID.
 */
export function openActivationRecord(blob: SignedBlob, expectedPublicKey?: Uint8Array): ActivationRecord {
  const value = decodeCanonical(blob.bytes);
  const issues = recordChecker.issues(value);
  if (issues.length > 0) {
    throw new FiscalError("ACTIVATION_INVALID", `${issues[0]!.path} ${issues[0]!.message}`, { issues });
  }
  const record = value as unknown as ActivationRecord;
  if (expectedPublicKey && Buffer.compare(record.public_key, expectedPublicKey) !== 0) {
    throw new FiscalError("SIGNATURE_INVALID", "activation record carries another device key");
  }
  if (!verifyWith(record.public_key, SignContext.ACTIVATION, blob.bytes, blob.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", "activation record signature does not verify");
  }
  return record;
}

/** What a device claims about its activation: the INFO fields that carry it. */
export interface ActivationClaim {
  readonly device_id: string;
  readonly public_key: Uint8Array;
  /** The device's signed activation record, or null. */
  readonly activation: SignedBlob | null;
  /** The cloud-signed bundle the device was activated with, or null. */
  readonly activation_bundle: SignedBlob | null;
}

/** An activation that chains to a trusted root: root → bundle → record → device key. */
export interface ActivationChain extends TrustedBundle {
  readonly record: ActivationRecord;
}

/** The identity fields the bundle grants and the record must repeat verbatim. */
const GRANTED = ["merchant_nif", "outlet_id", "fiscal_authority_id"] as const;

/**
 * The host side: checks that a device's activation chains to one of `roots` (docs/PROTOCOL.md §9.1).
 * The bundle must be signed by a trusted root and name this device; the activation record must verify
 * with the device's own key, name this device, carry the SHA-256 of exactly that bundle, and repeat the
 * bundle's merchant, outlet and fiscal authority. When the bundle names a device key, it must be the
 * device's `public_key` (and so the record's). Whether a bundle may omit the key is the caller's
 * policy (`trusted.bundle.device_public_key` is undefined then). Throws ACTIVATION_INVALID (missing or inconsistent
 * parts), ACTIVATION_BAD_SIGNATURE (bundle not signed by a trusted root), ACTIVATION_WRONG_DEVICE or
 * SIGNATURE_INVALID (the record does not verify with the device key).
 */
export function verifyActivationChain(claim: ActivationClaim, roots: readonly Uint8Array[]): ActivationChain {
  if (claim.activation === null) {
    throw new FiscalError("ACTIVATION_INVALID", "the device carries no activation record");
  }
  if (claim.activation_bundle === null) {
    throw new FiscalError("ACTIVATION_INVALID", "the device does not carry the bundle it was activated with");
  }
  const trusted = verifyBundleFromRoots(claim.activation_bundle, roots, claim.device_id);
  assertBundleKey(trusted.bundle, claim.public_key, "the device's public_key");
  const record = openActivationRecord(claim.activation, claim.public_key);
  if (record.device_id !== claim.device_id) {
    throw new FiscalError(
      "ACTIVATION_WRONG_DEVICE",
      `the activation record is for ${record.device_id}, this device is ${claim.device_id}`,
    );
  }
  if (!bytesEqual(record.bundle_hash, sha256(claim.activation_bundle.bytes))) {
    throw new FiscalError("ACTIVATION_INVALID", "the activation record was not made from this bundle");
  }
  for (const field of GRANTED) {
    if (record[field] !== trusted.bundle[field]) {
      throw new FiscalError(
        "ACTIVATION_INVALID",
        `the activation record's ${field} ${record[field]} is not the bundle's ${trusted.bundle[field]}`,
      );
    }
  }
  return { ...trusted, record };
}

/** The genesis of the journal chain: SHA-256 of the activation record bytes. */
export function genesisHash(activationRecordBytes: Uint8Array): Uint8Array {
  return sha256(activationRecordBytes);
}
