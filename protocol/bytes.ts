/**
 * Byte-string helpers shared by the codecs: a schema type for CBOR byte strings, hex and base64url.
 */
import Type, { type TUnsafe } from "typebox";

/** A schema for a CBOR byte string of exactly `length` bytes (or any length when omitted). */
export function BytesSchema(length?: number, max = 1024): TUnsafe<Uint8Array> {
  const what =
    length === undefined ? `a byte string of at most ${max} bytes` : `a byte string of ${length} bytes`;
  return Type.Refine(
    Type.Unsafe<Uint8Array>({ description: what }),
    (v: unknown) => v instanceof Uint8Array && (length === undefined ? v.length <= max : v.length === length),
    () => `must be ${what}`,
  ) as TUnsafe<Uint8Array>;
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

/** Bytes of a hex string; throws on odd length or non-hex characters. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new TypeError("not a hex string");
  return new Uint8Array(Buffer.from(clean, "hex"));
}

/** RFC 4648 §5 base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("base64url");
}

/** Decodes base64url (no padding); throws when `text` is not canonical base64url. */
export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new TypeError("not base64url");
  const bytes = new Uint8Array(Buffer.from(text, "base64url"));
  if (toBase64Url(bytes) !== text) throw new TypeError("not canonical base64url");
  return bytes;
}

/** Concatenates byte strings. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
