/**
 * Deterministic CBOR (RFC 8949 §4.2.1 "core deterministic encoding") for every payload on the wire
 * and every hashed or signed structure.
 *
 * cbor-x is fast and robust at decoding but does not sort map keys and encodes integers above
 * 2^32 as floats, so the encoder is this small layer. Decoding is two steps, in this order: a scan
 * refuses everything outside the data model (CBOR_INVALID 210: floats, tags, indefinite lengths,
 * duplicate or non-text map keys, ill-formed UTF-8, …), then cbor-x decodes and the value is
 * re-encoded: a payload is accepted only if it comes back byte-identical, so a valid item encoded
 * another way (non-shortest integers or lengths, unsorted keys) is CBOR_NOT_CANONICAL 211.
 *
 * The data model is the subset the protocol uses: integers within ±(2^53−1), byte strings
 * (Uint8Array), UTF-8 text, arrays, maps with distinct text keys, booleans and null. An object
 * property whose value is `undefined` is treated as absent.
 */
import { Decoder } from "cbor-x";
import { FiscalError } from "./errors.js";

/** A value the canonical encoder accepts. */
export type CborValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | readonly CborValue[]
  | { readonly [key: string]: CborValue | undefined };

/** Nesting deeper than this is refused: no protocol structure needs more, and it bounds recursion. */
export const MAX_CBOR_DEPTH = 16;

const textEncoder = new TextEncoder();

class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  head(major: number, value: number): void {
    this.ensure(9);
    const m = major << 5;
    const b = this.buf;
    if (value < 24) {
      b[this.length++] = m | value;
    } else if (value < 0x100) {
      b[this.length++] = m | 24;
      b[this.length++] = value;
    } else if (value < 0x10000) {
      b[this.length++] = m | 25;
      b[this.length++] = value >>> 8;
      b[this.length++] = value & 0xff;
    } else if (value < 0x100000000) {
      b[this.length++] = m | 26;
      this.view.setUint32(this.length, value);
      this.length += 4;
    } else {
      b[this.length++] = m | 27;
      this.view.setUint32(this.length, Math.floor(value / 0x100000000));
      this.view.setUint32(this.length + 4, value >>> 0);
      this.length += 8;
    }
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// Map keys come from a small fixed vocabulary, so their encodings are cached (bounded, for hostile input).
const keyCache = new Map<string, Uint8Array>();
const KEY_CACHE_LIMIT = 4096;

function encodeKey(key: string): Uint8Array {
  let encoded = keyCache.get(key);
  if (encoded === undefined) {
    const w = new ByteWriter();
    const utf8 = textEncoder.encode(key);
    w.head(3, utf8.length);
    w.bytes(utf8);
    encoded = w.result();
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
    keyCache.set(key, encoded);
  }
  return encoded;
}

function write(w: ByteWriter, value: CborValue | undefined, depth: number, path: string): void {
  if (depth > MAX_CBOR_DEPTH)
    throw new FiscalError("CBOR_INVALID", `nesting deeper than ${MAX_CBOR_DEPTH} at ${path}`);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new FiscalError("CBOR_INVALID", `${path}: only safe integers are encoded, got ${value}`);
    }
    if (value >= 0) w.head(0, value);
    else w.head(1, -1 - value);
  } else if (typeof value === "string") {
    const utf8 = textEncoder.encode(value);
    w.head(3, utf8.length);
    w.bytes(utf8);
  } else if (value === true) {
    w.head(7, 21);
  } else if (value === false) {
    w.head(7, 20);
  } else if (value === null) {
    w.head(7, 22);
  } else if (value instanceof Uint8Array) {
    w.head(2, value.length);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.head(4, value.length);
    value.forEach((item, i) => {
      write(w, item as CborValue, depth + 1, `${path}/${i}`);
    });
  } else if (isPlainObject(value)) {
    const entries = Object.entries(value as Record<string, CborValue | undefined>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => ({ key: encodeKey(k), name: k, value: v }));
    entries.sort((a, b) => compareBytes(a.key, b.key));
    w.head(5, entries.length);
    for (const e of entries) {
      w.bytes(e.key);
      write(w, e.value, depth + 1, `${path}/${e.name}`);
    }
  } else {
    throw new FiscalError("CBOR_INVALID", `${path}: cannot encode a value of type ${typeof value}`);
  }
}

/** Encodes `value` in core deterministic CBOR. The same value always gives the same bytes. */
export function encodeCanonical(value: CborValue): Uint8Array {
  const w = new ByteWriter();
  write(w, value, 0, "");
  return w.result();
}

const decoder = new Decoder({ mapsAsObjects: true, useRecords: false, bundleStrings: false });

/**
 * Decodes one CBOR data item and insists that it is in canonical form. Throws CBOR_INVALID for bytes
 * that are not one well-formed item of the subset, CBOR_NOT_CANONICAL for a valid item encoded
 * another way. Byte strings come back as Uint8Array.
 */
export function decodeCanonical(bytes: Uint8Array): CborValue {
  scanSubset(bytes); // first: CBOR_INVALID for anything outside the data model
  let value: unknown;
  try {
    value = decoder.decode(bytes);
  } catch (err) {
    throw new FiscalError("CBOR_INVALID", `undecodable CBOR (${(err as Error).message})`, undefined, {
      cause: err,
    });
  }
  let normalised: CborValue;
  let again: Uint8Array;
  try {
    normalised = normalise(value, 0);
    again = encodeCanonical(normalised);
  } catch (err) {
    if (err instanceof FiscalError) throw err;
    throw new FiscalError("CBOR_INVALID", "CBOR outside the protocol's subset", undefined, { cause: err });
  }
  if (compareBytes(again, bytes) !== 0) {
    throw new FiscalError("CBOR_NOT_CANONICAL", "payload is valid CBOR but not in deterministic encoding");
  }
  return normalised;
}

/** CBOR_INVALID for bytes that run out before the item does. */
function truncated(): FiscalError {
  return new FiscalError("CBOR_INVALID", "undecodable CBOR (the item is truncated)");
}

function outsideModel(what: string): FiscalError {
  return new FiscalError("CBOR_INVALID", `${what} is outside the protocol's CBOR data model`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The text of bytes[start, end) if it is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF), else null. ASCII, the common case, skips the decoder; with
 * `wanted` false only the check is made (values need no string, map keys do).
 */
function textOf(bytes: Uint8Array, start: number, end: number, wanted: boolean): string | null {
  let ascii = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x80) {
      try {
        return utf8.decode(bytes.subarray(start, end));
      } catch {
        return null;
      }
    }
    if (wanted) ascii += String.fromCharCode(b);
  }
  return ascii;
}

/** An array or map being walked: data items left in it, and for a map the keys seen so far. */
interface Open {
  left: number;
  readonly keys: Set<string> | null;
}

/**
 * Walks one data item without recursion and refuses, before cbor-x recurses into it and before any
 * re-encoding is compared, everything outside the protocol's data model (docs/PROTOCOL.md §5): tags,
 * floats and simple values other than false, true and null, indefinite or reserved lengths (of any
 * major type), integers beyond ±(2^53−1), text that is not well-formed UTF-8, map keys that are not
 * text, duplicate map keys, nesting deeper than MAX_CBOR_DEPTH, lengths past the end, bytes after the
 * item. So CBOR_INVALID means "not an item of the data model", and what passes here is refused later
 * only as CBOR_NOT_CANONICAL: a valid item encoded another way (a longer integer or length head,
 * unsorted keys). The answer is the same coded error every time, whatever the stack depth left (a
 * deep run of tags once overflowed cbor-x's recursion on one call and not on the next).
 */
function scanSubset(bytes: Uint8Array): void {
  const open: Open[] = [{ left: 1, keys: null }];
  let pos = 0;
  while (open.length > 0) {
    const top = open[open.length - 1]!;
    if (top.left === 0) {
      open.pop();
      continue;
    }
    // In a map the items alternate key, value: an even count left means a key comes next.
    const isKey = top.keys !== null && top.left % 2 === 0;
    top.left--;
    if (pos >= bytes.length) throw truncated();
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    let arg = info;
    if (info >= 24 && info <= 27) {
      const size = 1 << (info - 24);
      if (pos + size > bytes.length) throw truncated();
      arg = 0;
      // Exact up to 2^53; a larger 8-byte argument comes out ≥ 2^53, which is all the checks need.
      for (let i = 0; i < size; i++) arg = arg * 256 + bytes[pos + i]!;
      pos += size;
    } else if (info > 27) {
      throw outsideModel(info === 31 ? "an indefinite length" : "a reserved length encoding");
    }
    if (isKey && major !== 3) throw outsideModel("a map key that is not a text string");
    if (major === 0 && arg > Number.MAX_SAFE_INTEGER) throw outsideModel("an integer above 2^53 − 1");
    if (major === 1 && arg > Number.MAX_SAFE_INTEGER - 1) throw outsideModel("an integer below −(2^53 − 1)");
    if (major === 2 || major === 3) {
      if (arg > bytes.length - pos) throw truncated();
      if (major === 3) {
        const text = textOf(bytes, pos, pos + arg, isKey);
        if (text === null) throw outsideModel("a text string that is not well-formed UTF-8");
        if (isKey) {
          // cbor-x renames this key (its guard against prototype pollution), so it could not come
          // back as sent; no protocol structure uses it.
          if (text === "__proto__") throw outsideModel("the map key __proto__");
          if (top.keys!.has(text))
            throw outsideModel(`a duplicate map key (${JSON.stringify(text.slice(0, 32))})`);
          top.keys!.add(text);
        }
      }
      pos += arg;
    } else if (major === 4 || major === 5) {
      const items = major === 5 ? arg * 2 : arg;
      if (items > bytes.length - pos) throw truncated();
      if (items > 0 && open.length > MAX_CBOR_DEPTH) {
        throw new FiscalError("CBOR_INVALID", `nesting deeper than ${MAX_CBOR_DEPTH}`);
      }
      open.push({ left: items, keys: major === 5 ? new Set() : null });
    } else if (major === 6) {
      throw outsideModel("a tag");
    } else if (major === 7 && (info < 20 || info > 22)) {
      throw outsideModel("a float or a simple value other than false, true and null");
    }
  }
  if (pos !== bytes.length) throw new FiscalError("CBOR_INVALID", "bytes after the data item");
}

/**
 * Decodes bytes this software already accepted with `decodeCanonical` and stored (a sealed record
 * read back from the daemon's own database), without re-encoding them: a quarter of the cost. Never
 * for bytes from a wire, a file or a peer. Throws CBOR_INVALID for bytes that do not decode.
 */
export function decodeStored(bytes: Uint8Array): CborValue {
  try {
    return normalise(decoder.decode(bytes), 0);
  } catch (err) {
    if (err instanceof FiscalError) throw err;
    throw new FiscalError("CBOR_INVALID", `undecodable CBOR (${(err as Error).message})`, undefined, {
      cause: err,
    });
  }
}

/** Maps what cbor-x hands back (Buffers, bigints, Maps) onto the subset, or refuses it. */
function normalise(value: unknown, depth: number): CborValue {
  if (depth > MAX_CBOR_DEPTH) throw new FiscalError("CBOR_INVALID", `nesting deeper than ${MAX_CBOR_DEPTH}`);
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new FiscalError("CBOR_INVALID", "floats and unsafe integers are refused");
    return value;
  }
  if (typeof value === "bigint") {
    // cbor-x returns every 8-byte integer as a bigint; the protocol's integers are all safe integers.
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new FiscalError("CBOR_INVALID", "integers beyond ±(2^53 − 1) are refused");
    }
    return Number(value);
  }
  if (value instanceof Uint8Array) {
    // A copy: cbor-x may hand back views into the input buffer, which the caller may reuse.
    return new Uint8Array(value);
  }
  if (Array.isArray(value)) return value.map((v) => normalise(v, depth + 1));
  if (isPlainObject(value)) {
    const out: Record<string, CborValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalise(v, depth + 1);
    return out;
  }
  throw new FiscalError("CBOR_INVALID", `CBOR item of a kind the protocol does not use (${typeof value})`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Byte-wise equality of two byte strings. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}
