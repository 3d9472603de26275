/**
 * The codes a receipt prints, both derived from the record signature so that neither can be made up
 * without the device key (docs/PROTOCOL.md §8.3):
 * - record v1, `auth_code`: 80 bits of SHA-256(signature) in Crockford base32, as four groups of four
 *   (`7KQ2-M9XD-3FHA-T0PZ`), short enough to read out over the phone;
 * - record v2, the Code DEF/DGI: 120 bits of SHA-256(signature) in Crockford base32, 24 characters
 *   without dashes. The DGI's texts call it the device's unique code and give no format; third-party
 *   material reports 24 characters (../shared/DRC-RULES.md §6, M), and 120 bits is what 24 base32
 *   characters hold.
 */
import { createHash } from "node:crypto";

/** Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed is unambiguous. */
export const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Bits of the digest the v1 auth code keeps. */
export const AUTH_CODE_BITS = 80;
/** Bits of the digest the Code DEF/DGI keeps (24 characters of 5 bits). */
export const CODE_DEF_BITS = 120;
/** Length of a Code DEF/DGI in characters. */
export const CODE_DEF_LENGTH = CODE_DEF_BITS / 5;

/** The first `bits` bits (a multiple of 40) of SHA-256(signature), in Crockford base32, most significant first. */
function crockfordDigest(signature: Uint8Array, bits: number): string {
  const digest = createHash("sha256").update(signature).digest();
  let value = 0n;
  for (let i = 0; i < bits / 8; i++) value = (value << 8n) | BigInt(digest[i]!);
  let out = "";
  for (let i = bits / 5 - 1; i >= 0; i--) out += CROCKFORD_ALPHABET[Number((value >> BigInt(i * 5)) & 31n)];
  return out;
}

/** Derives the v1 auth code of a record signature (`XXXX-XXXX-XXXX-XXXX`). */
export function authCodeOf(signature: Uint8Array): string {
  return crockfordDigest(signature, AUTH_CODE_BITS).match(/.{4}/g)!.join("-");
}

/** Derives the Code DEF/DGI of a v2 record signature: 24 Crockford base32 characters, no dashes. */
export function codeDefOf(signature: Uint8Array): string {
  return crockfordDigest(signature, CODE_DEF_BITS);
}

const CROCKFORD_CLASS = "[0-9A-HJKMNP-TV-Z]";
/** A v1 auth code, as a regular expression source. */
export const AUTH_CODE_PATTERN = `^${CROCKFORD_CLASS}{4}(-${CROCKFORD_CLASS}{4}){3}$`;
/** A Code DEF/DGI, as a regular expression source. */
export const CODE_DEF_PATTERN = `^${CROCKFORD_CLASS}{${CODE_DEF_LENGTH}}$`;
