/**
 * The auth_code printed on a receipt: 80 bits of SHA-256(signature) in Crockford base32, as four
 * groups of four (`7KQ2-M9XD-3FHA-T0PZ`). Short enough to read out over the phone, derived from the
 * signature so it cannot be made up without the device key.
 */
import { createHash } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Bits of the digest the code keeps. */
export const AUTH_CODE_BITS = 80;

/** Derives the auth code of a record signature. */
export function authCodeOf(signature: Uint8Array): string {
  const digest = createHash("sha256").update(signature).digest();
  let bits = 0n;
  for (let i = 0; i < AUTH_CODE_BITS / 8; i++) bits = (bits << 8n) | BigInt(digest[i]!);
  let out = "";
  for (let i = AUTH_CODE_BITS / 5 - 1; i >= 0; i--) out += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return out.match(/.{4}/g)!.join("-");
}
