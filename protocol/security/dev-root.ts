/**
 * The development Stalela Cloud root key. It is deliberately PUBLIC: its seed is the SHA-256 of a
 * fixed string, so anyone can run the emulator and the cloud emulator together without key
 * ceremony. A device manufactured with it trusts every bundle signed with this seed, which is exactly
 * what development needs and exactly what production must never do: a real DEF is built with the
 * production root public key, and a daemon trusts this key only in development mode
 * (`trust.allowEmulator`, `--allow-emulator`; docs/SECURITY.md).
 *
 * It lives in protocol/ so the daemon can recognise (and, by default, refuse) it without importing
 * emulator code.
 */
import { sha256 } from "../invoice/canonical.js";
import { keyPairFromSeed } from "./ed25519.js";

/** The string whose SHA-256 is the development cloud root seed. */
export const DEV_CLOUD_ROOT_LABEL = "stalela-dev-cloud-root-v1";

/** The development cloud root seed: `sha256("stalela-dev-cloud-root-v1")`. Public, never secret. */
export const DEV_CLOUD_ROOT_SEED: Uint8Array = sha256(new TextEncoder().encode(DEV_CLOUD_ROOT_LABEL));

/** The public key of DEV_CLOUD_ROOT_SEED: the root key a development emulator trusts by default. */
export const DEV_CLOUD_ROOT_PUBLIC_KEY: Uint8Array = keyPairFromSeed(DEV_CLOUD_ROOT_SEED).publicKey;
