/**
 * The offline activation bundle file a technician carries on a USB stick (docs/ADMIN.md §Bundle file):
 *
 *   { "format": "stalela-activation-bundle/v1", "bundle": "<base64url CBOR>", "signature": "<base64url>",
 *     "credential": "<optional daemon upload credential>" }
 *
 * JSON so it can be inspected and mailed as text; the signed bytes are carried verbatim (base64url)
 * so the device verifies exactly what the cloud signed.
 */
import {
  type ActivationBundle,
  decodeCanonical,
  FiscalError,
  fromBase64Url,
  type SignedBlob,
  toBase64Url,
} from "../../protocol/index.js";

/** The `format` value of a v1 bundle file. */
export const BUNDLE_FILE_FORMAT = "stalela-activation-bundle/v1";
/** Largest bundle file accepted, in bytes (a bundle is a few hundred). */
export const BUNDLE_FILE_MAX_BYTES = 16 * 1024;

/** A parsed bundle file. */
export interface BundleFile {
  readonly bundle: SignedBlob;
  readonly credential: string | null;
}

/** Parses a bundle file; throws ACTIVATION_INVALID naming what is wrong. */
export function parseBundleFile(bytes: Uint8Array): BundleFile {
  if (bytes.length > BUNDLE_FILE_MAX_BYTES) {
    throw new FiscalError(
      "ACTIVATION_INVALID",
      `the bundle file is larger than ${BUNDLE_FILE_MAX_BYTES} bytes`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new FiscalError("ACTIVATION_INVALID", "the bundle file is not JSON");
  }
  const file = value as Record<string, unknown>;
  if (value === null || typeof value !== "object" || file.format !== BUNDLE_FILE_FORMAT) {
    throw new FiscalError("ACTIVATION_INVALID", `the bundle file's format is not ${BUNDLE_FILE_FORMAT}`);
  }
  if (typeof file.bundle !== "string" || typeof file.signature !== "string") {
    throw new FiscalError("ACTIVATION_INVALID", "the bundle file needs base64url `bundle` and `signature`");
  }
  if (file.credential !== undefined && typeof file.credential !== "string") {
    throw new FiscalError("ACTIVATION_INVALID", "the bundle file's `credential` must be a string");
  }
  try {
    return {
      bundle: { bytes: fromBase64Url(file.bundle), signature: fromBase64Url(file.signature) },
      credential: (file.credential as string | undefined) ?? null,
    };
  } catch {
    throw new FiscalError("ACTIVATION_INVALID", "the bundle file's fields are not base64url");
  }
}

/** Writes a bundle file (the cloud side, and tests). */
export function formatBundleFile(bundle: SignedBlob, credential?: string): string {
  return `${JSON.stringify(
    {
      format: BUNDLE_FILE_FORMAT,
      bundle: toBase64Url(bundle.bytes),
      signature: toBase64Url(bundle.signature),
      ...(credential === undefined ? {} : { credential }),
    },
    null,
    2,
  )}\n`;
}

/**
 * Reads the bundle's content without verifying it: the daemon needs the device id early, to refuse a
 * bundle for another device before touching the device. The signature is checked next, against the
 * trusted roots (`checkBundleTrust`, daemon/fiscal/device-trust.ts), still before ACTIVATE.
 */
export function peekBundle(bundle: SignedBlob): ActivationBundle {
  let value: unknown;
  try {
    value = decodeCanonical(bundle.bytes);
  } catch (err) {
    throw new FiscalError(
      "ACTIVATION_INVALID",
      `the bundle is not canonical CBOR: ${(err as Error).message}`,
    );
  }
  const b = value as Partial<ActivationBundle>;
  if (
    b === null ||
    typeof b !== "object" ||
    b.kind !== "ACTIVATION_BUNDLE" ||
    typeof b.device_id !== "string"
  ) {
    throw new FiscalError("ACTIVATION_INVALID", "the bytes are not an activation bundle");
  }
  return b as ActivationBundle;
}
