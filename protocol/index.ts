/**
 * The DEF protocol: pure code shared by the daemon, the emulator and any independent verifier.
 * No I/O and no timers live below this folder.
 */
export * from "./audit/index.js";
export * from "./bytes.js";
export * from "./cbor.js";
export * from "./errors.js";
export * from "./frame/crc.js";
export * from "./frame/frame.js";
export * from "./frame/hid.js";
export * from "./frame/parser.js";
export * from "./invoice/canonical.js";
export * from "./invoice/canonical-v2.js";
export * from "./invoice/credit.js";
export * from "./invoice/credit-lines.js";
export * from "./invoice/money.js";
export * from "./invoice/schema.js";
export * from "./invoice/schema-v2.js";
export * from "./invoice/tables.js";
export * from "./invoice/tables-v2.js";
export * from "./invoice/totals.js";
export * from "./invoice/totals-v2.js";
export * from "./messages/catalogue.js";
export * from "./messages/codec.js";
export * from "./reports/articles.js";
export * from "./reports/chain.js";
export * from "./reports/figures.js";
export * from "./reports/record.js";
export * from "./reports/schema.js";
export * from "./security/activation.js";
export * from "./security/auth-code.js";
// The development root's public key only: its (public) seed stays with the emulator (emulator/dev-keys.ts).
export { DEV_CLOUD_ROOT_LABEL, DEV_CLOUD_ROOT_PUBLIC_KEY } from "./security/dev-root.js";
export * from "./security/ed25519.js";
export * from "./security/qr.js";
export * from "./security/record.js";
export * from "./vectors.js";
