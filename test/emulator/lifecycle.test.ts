import { afterEach, describe, expect, it } from "vitest";
import { DEV_CLOUD_ROOT_SEED } from "../../emulator/dev-keys.js";
import {
  CODE_DEF_PATTERN,
  ERRORS,
  encodeCanonical,
  generateKeyPair,
  genesisHash,
  openActivationRecord,
  SignContext,
  signWith,
  toHex,
} from "../../protocol/index.js";
import { bundleFor, sale, TEST_IDENTITY } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";

afterEach(shutdownAll);

describe("device lifecycle over the wire", () => {
  it("is manufactured UNACTIVATED with an identity and refuses fiscal commands", async () => {
    const { host, emulator } = await boot();
    const info = await host.call("INFO", {});
    expect(info.device_id).toMatch(/^DEF-[0-9A-F]{8}$/);
    expect(info.device_id).toBe(emulator.deviceId);
    expect(info.model).toBe("STALELA-EMU");
    expect(info.state).toBe("UNACTIVATED");
    expect(info.identity).toBeNull();
    expect(info.activation).toBeNull();
    expect(info.public_key).toEqual(emulator.publicKey);
    // The device computes and seals invoice version 2 with the v2 tax table.
    expect(info.tax_table).toBe("RDC-2026.2");
    expect(info.limits).toMatchObject({
      nonce_ttl_ms: 120_000,
      max_pending: 10,
      journal_capacity: 1_000_000,
    });
    const status = await host.call("STATUS", {});
    expect(status).toMatchObject({ state: "UNACTIVATED", lock_reason: null, last_fiscal_number: 0 });
    expect(status.warnings).toContain("NOT_ACTIVATED");
    expect(status.type_counters).toEqual({
      SALE: 0,
      ADVANCE: 0,
      CREDIT: 0,
      EXPORT: 0,
      EXPORT_ADVANCE: 0,
      EXPORT_CREDIT: 0,
    });
    const prepare = await host.fail("PREPARE", { invoice: sale("R-1") as never });
    expect(prepare.code).toBe(ERRORS.DEVICE_NOT_ACTIVATED.code);
    const commit = await host.fail("COMMIT", { nonce: new Uint8Array(16), payload_hash: new Uint8Array(32) });
    expect(commit.code).toBe(ERRORS.DEVICE_NOT_ACTIVATED.code);
  });

  it("refuses bundles with a bad signature, for another device, or malformed", async () => {
    const { host, emulator } = await boot();
    const stranger = generateKeyPair();
    const badSig = await host.fail("ACTIVATE", { bundle: bundleFor(emulator.deviceId, stranger.seed) });
    expect(badSig.code).toBe(ERRORS.ACTIVATION_BAD_SIGNATURE.code);
    const wrong = await host.fail("ACTIVATE", { bundle: bundleFor("DEF-00000000") });
    expect(wrong.code).toBe(ERRORS.ACTIVATION_WRONG_DEVICE.code);
    const bytes = encodeCanonical({ kind: "ACTIVATION_BUNDLE", v: 1, device_id: emulator.deviceId });
    const malformed = await host.fail("ACTIVATE", {
      bundle: { bytes, signature: signWith(DEV_CLOUD_ROOT_SEED, SignContext.BUNDLE, bytes) },
    });
    expect(malformed.code).toBe(ERRORS.ACTIVATION_INVALID.code);
    expect((await host.call("STATUS", {})).state).toBe("UNACTIVATED");
  });

  it("activates once, returns a signed activation record, then refuses a second activation", async () => {
    const { host, emulator } = await boot();
    const bundle = bundleFor(emulator.deviceId);
    const { activation } = await host.call("ACTIVATE", { bundle });
    const record = openActivationRecord(activation, emulator.publicKey);
    expect(record).toMatchObject({ kind: "ACTIVATION", device_id: emulator.deviceId, ...TEST_IDENTITY });
    const info = await host.call("INFO", {});
    expect(info.state).toBe("ACTIVE");
    expect(info.identity).toEqual(TEST_IDENTITY);
    // Compared as hex: cbor-x caches a DataView on byte arrays it decoded, which toEqual would see.
    expect(toHex(info.activation!.bytes)).toBe(toHex(activation.bytes));
    expect(toHex(info.activation!.signature)).toBe(toHex(activation.signature));
    const again = await host.fail("ACTIVATE", { bundle });
    expect(again.code).toBe(ERRORS.DEVICE_ALREADY_ACTIVATED.code);
    // Already-active is checked before the bundle: even a forged bundle gets 103.
    const forged = await host.fail("ACTIVATE", {
      bundle: bundleFor(emulator.deviceId, generateKeyPair().seed),
    });
    expect(forged.code).toBe(ERRORS.DEVICE_ALREADY_ACTIVATED.code);
    // The chain starts at the activation record.
    const nonce = await host.call("PREPARE", { invoice: sale("R-1") as never });
    const sealed = await host.call("COMMIT", { nonce: nonce.nonce, payload_hash: nonce.payload_hash });
    const { decodeRecord } = await import("../../protocol/index.js");
    expect(decodeRecord(sealed.record).prev_hash).toEqual(genesisHash(activation.bytes));
  });

  it("warns near full, locks with JOURNAL_FULL when full, and keeps answering reads", async () => {
    const { host } = await boot({ activate: true, device: { journalCapacity: 10 } });
    for (let i = 1; i <= 10; i++) {
      const p = await host.call("PREPARE", { invoice: sale(`FULL-${i}`) as never });
      await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
      if (i === 8) expect((await host.call("STATUS", {})).warnings).not.toContain("JOURNAL_NEARLY_FULL");
      if (i === 9) expect((await host.call("STATUS", {})).warnings).toContain("JOURNAL_NEARLY_FULL");
    }
    const status = await host.call("STATUS", {});
    expect(status).toMatchObject({ state: "LOCKED", lock_reason: "JOURNAL_FULL", journal_used: 10 });
    const refused = await host.fail("PREPARE", { invoice: sale("FULL-11") as never });
    expect(refused.code).toBe(ERRORS.JOURNAL_FULL.code);
    expect((await host.call("GET_RECORD", { fiscal_number: 10 })).auth_code).toMatch(
      new RegExp(CODE_DEF_PATTERN),
    );
    expect((await host.call("JOURNAL_READ", { from: 1, limit: 32 })).entries).toHaveLength(10);
    expect((await host.call("SELF_TEST", {})).passed).toBe(true);
    expect((await host.call("TIME_GET", {})).valid).toBe(true);
    expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
  });
});
