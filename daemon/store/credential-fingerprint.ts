/**
 * What the store keeps of a retired cloud credential (migration 5): enough for an audit to tell which
 * credential was live when, and to match one a log or the cloud names, never enough to use it.
 */
import { createHash } from "node:crypto";

/** Hex digits of the fingerprint: 64 bits of SHA-256, far too few to search for a 256-bit secret's preimage. */
export const CREDENTIAL_FINGERPRINT_HEX_DIGITS = 16;

/** The fingerprint of `credential`: the first CREDENTIAL_FINGERPRINT_HEX_DIGITS hex digits of its SHA-256. */
export function credentialFingerprint(credential: string): string {
  return createHash("sha256")
    .update(credential, "utf8")
    .digest("hex")
    .slice(0, CREDENTIAL_FINGERPRINT_HEX_DIGITS);
}

/** The SQL function migration 5 computes fingerprints with, registered on a connection before it migrates. */
export const CREDENTIAL_FINGERPRINT_SQL_FUNCTION = "stalela_credential_fingerprint";
