/**
 * Activation (docs/PROTOCOL.md §9): the Stalela Cloud signs a bundle that binds one device to a
 * merchant, an outlet and a fiscal authority id; the device verifies it with the cloud root key it
 * was manufactured with, and answers with its own signed activation record. The hash of that record
 * is the genesis of the device's journal chain (the `prev_hash` of fiscal number 1).
 */
import Type, { type Static } from "typebox";
import { BytesSchema } from "../bytes.js";
import { decodeCanonical, encodeCanonical } from "../cbor.js";
import { FiscalError } from "../errors.js";
import { sha256 } from "../invoice/canonical.js";
import { ID_PATTERN } from "../invoice/schema.js";
import { compileChecker } from "../schema-issues.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";

/** What the cloud signs. */
export const ActivationBundleSchema = Type.Object(
  {
    kind: Type.Literal("ACTIVATION_BUNDLE"),
    v: Type.Literal(1),
    bundle_id: Type.String({ pattern: ID_PATTERN }),
    device_id: Type.String({ pattern: ID_PATTERN }),
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
 * (not signed by the cloud root key) or ACTIVATION_WRONG_DEVICE (meant for another device).
 */
export function verifyActivationBundle(
  blob: SignedBlob,
  cloudPublicKey: Uint8Array,
  deviceId: string,
): ActivationBundle {
  if (!verifyWith(cloudPublicKey, SignContext.BUNDLE, blob.bytes, blob.signature)) {
    throw new FiscalError("ACTIVATION_BAD_SIGNATURE");
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
  return bundle;
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

/** The genesis of the journal chain: SHA-256 of the activation record bytes. */
export function genesisHash(activationRecordBytes: Uint8Array): Uint8Array {
  return sha256(activationRecordBytes);
}
