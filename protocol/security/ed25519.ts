/**
 * Ed25519 keys and signatures through node:crypto (about 100× faster than tweetnacl here; tweetnacl
 * stays in the tests as an independent second implementation). Every signature is domain-separated:
 * the signed message is `context ‖ 0x00 ‖ bytes`, so a signature over one kind of structure can
 * never be replayed as another (docs/PROTOCOL.md §8.1).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { concatBytes } from "../bytes.js";

/** The signing contexts. Never reuse one for a different structure. */
export const SignContext = {
  RECORD: "STALELA-DEF/v1/record",
  QR: "STALELA-DEF/v1/qr",
  ACTIVATION: "STALELA-DEF/v1/activation",
  BUNDLE: "STALELA-CLOUD/v1/bundle",
} as const;
export type SignContext = (typeof SignContext)[keyof typeof SignContext];

/** A raw Ed25519 key pair: 32-byte seed (the secret) and 32-byte public key. */
export interface Ed25519KeyPair {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
}

const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const privateCache = new Map<string, KeyObject>();
const publicCache = new Map<string, KeyObject>();
const KEY_CACHE_LIMIT = 64;

function cached(cache: Map<string, KeyObject>, key: Uint8Array, make: () => KeyObject): KeyObject {
  const id = Buffer.from(key).toString("base64");
  let k = cache.get(id);
  if (k === undefined) {
    if (cache.size >= KEY_CACHE_LIMIT) cache.clear();
    k = make();
    cache.set(id, k);
  }
  return k;
}

function privateKey(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new TypeError("an Ed25519 seed is 32 bytes");
  return cached(privateCache, seed, () =>
    createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" }),
  );
}

function publicKey(pub: Uint8Array): KeyObject {
  if (pub.length !== 32) throw new TypeError("an Ed25519 public key is 32 bytes");
  return cached(publicCache, pub, () =>
    createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" }),
  );
}

/** Makes a fresh random key pair. */
export function generateKeyPair(): Ed25519KeyPair {
  const { privateKey: priv } = generateKeyPairSync("ed25519");
  const der = priv.export({ format: "der", type: "pkcs8" });
  return keyPairFromSeed(new Uint8Array(der.subarray(der.length - 32)));
}

/** Derives the public key of a seed. */
export function keyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  const der = createPublicKey(privateKey(seed)).export({ format: "der", type: "spki" });
  return { seed: new Uint8Array(seed), publicKey: new Uint8Array(der.subarray(der.length - 32)) };
}

/** The exact bytes signed for `bytes` under `context`. */
export function signedMessage(context: SignContext, bytes: Uint8Array): Uint8Array {
  return concatBytes(new TextEncoder().encode(context), new Uint8Array([0]), bytes);
}

/** Signs `bytes` under `context`; returns the 64-byte signature. */
export function signWith(seed: Uint8Array, context: SignContext, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, signedMessage(context, bytes), privateKey(seed)));
}

/** Verifies a signature made by `signWith`. Never throws for a bad key or signature: returns false. */
export function verifyWith(
  pub: Uint8Array,
  context: SignContext,
  bytes: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (pub.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, signedMessage(context, bytes), publicKey(pub), signature);
  } catch {
    return false;
  }
}
