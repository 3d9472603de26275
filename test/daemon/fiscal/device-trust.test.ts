/**
 * The bind-time trust check (docs/SECURITY.md §Devices): a device is trusted only when its activation
 * chains to a pinned cloud root and names the configured merchant and outlet; the emulator's model and
 * the development root only in development mode. Every INFO here is built with the protocol's own
 * signing code, so each case changes exactly one link of the chain.
 */
import { describe, expect, it } from "vitest";
import {
  checkBundleTrust,
  checkDeviceTrust,
  type DeviceTrustPolicy,
  trustPolicyFrom,
} from "../../../daemon/fiscal/device-trust.js";
import { DEV_CLOUD_ROOT_SEED } from "../../../emulator/dev-keys.js";
import {
  type ActivationBundle,
  type ActivationRecord,
  DEV_CLOUD_ROOT_PUBLIC_KEY,
  isFiscalError,
  keyPairFromSeed,
  type ResultOf,
  type SignedBlob,
  sha256,
  signActivationBundle,
  signActivationRecord,
  toHex,
} from "../../../protocol/index.js";

const seedOf = (label: string) => sha256(new TextEncoder().encode(label));
const PRODUCTION_ROOT = keyPairFromSeed(seedOf("test-production-root"));
const OTHER_ROOT = keyPairFromSeed(seedOf("someone-else's-root"));
const DEVICE = keyPairFromSeed(seedOf("test-device"));
const ATTACKER = keyPairFromSeed(seedOf("attacker-device"));
const DEVICE_ID = "DEF-0A1B2C3D";
const SHOP = { merchant_nif: "A1234567B", outlet_id: "OUTLET-7", fiscal_authority_id: "DGI-KIN-01" } as const;
const REAL_MODEL = "STALELA-DEF-1";

/** The production policy: the pinned root, the configured merchant, no emulation. */
const PRODUCTION: DeviceTrustPolicy = trustPolicyFrom(
  { allowEmulator: false, cloudRootKey: toHex(PRODUCTION_ROOT.publicKey) },
  { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
);
const DEVELOPMENT: DeviceTrustPolicy = trustPolicyFrom({ allowEmulator: true }, {});

interface Forge {
  model?: string;
  rootSeed?: Uint8Array;
  bundle?: Partial<ActivationBundle>;
  record?: Partial<ActivationRecord>;
  /** Who signs the activation record (the device by default). */
  recordSeed?: Uint8Array;
  identity?: ResultOf<"INFO">["identity"];
  activationBundle?: SignedBlob | null;
}

/**
 * A bundle for DEVICE, naming its key; `{ device_public_key: undefined }` gives a bundle signed before
 * bundles named the key.
 */
function signedBundle(rootSeed: Uint8Array, overrides: Partial<ActivationBundle> = {}): SignedBlob {
  const content: ActivationBundle = {
    kind: "ACTIVATION_BUNDLE",
    v: 1,
    bundle_id: "BUNDLE-1",
    device_id: DEVICE_ID,
    device_public_key: DEVICE.publicKey,
    ...SHOP,
    issued_at: Date.UTC(2026, 0, 1),
    ...overrides,
  };
  if (content.device_public_key === undefined) delete content.device_public_key;
  return signActivationBundle(content, rootSeed);
}

/** INFO of an activated device; `forge` changes one link of the chain. */
function activatedInfo(forge: Forge = {}): ResultOf<"INFO"> {
  const bundle = signedBundle(forge.rootSeed ?? PRODUCTION_ROOT.seed, forge.bundle);
  const { device_public_key: _named, ...granted } = { ...SHOP, ...forge.bundle };
  const activation = signActivationRecord(
    {
      kind: "ACTIVATION",
      v: 1,
      device_id: DEVICE_ID,
      public_key: DEVICE.publicKey,
      ...granted,
      bundle_hash: sha256(bundle.bytes),
      activated_at: Date.UTC(2026, 0, 2),
      ...forge.record,
    } as ActivationRecord,
    forge.recordSeed ?? DEVICE.seed,
  );
  return {
    ...unactivatedInfo(forge.model),
    state: "ACTIVE",
    identity: forge.identity ?? {
      merchant_nif: granted.merchant_nif,
      outlet_id: granted.outlet_id,
      fiscal_authority_id: granted.fiscal_authority_id,
    },
    activation,
    activation_bundle: forge.activationBundle === undefined ? bundle : forge.activationBundle,
  };
}

function unactivatedInfo(model = REAL_MODEL): ResultOf<"INFO"> {
  return {
    device_id: DEVICE_ID,
    model,
    firmware: "1.0.0",
    protocol: 1,
    public_key: DEVICE.publicKey,
    state: "UNACTIVATED",
    identity: null,
    activation: null,
    activation_bundle: null,
    tax_table: "DGI-2026-1",
    limits: {
      max_payload: 4096,
      nonce_ttl_ms: 120_000,
      max_pending: 10,
      journal_capacity: 1000,
      journal_page: 32,
    },
  };
}

function reasonOf(info: ResultOf<"INFO">, policy: DeviceTrustPolicy): string {
  const verdict = checkDeviceTrust(info, policy);
  if (verdict.trusted) throw new Error("expected the device to be untrusted");
  return verdict.reason;
}

describe("trustPolicyFrom", () => {
  it("trusts only the pinned root in production, and adds the development root only with allowEmulator", () => {
    const pinned = toHex(PRODUCTION_ROOT.publicKey);
    expect(trustPolicyFrom({ allowEmulator: false, cloudRootKey: pinned }, {}).roots.map(toHex)).toEqual([
      pinned,
    ]);
    expect(trustPolicyFrom({ allowEmulator: false }, {}).roots).toEqual([]);
    expect(trustPolicyFrom({ allowEmulator: true, cloudRootKey: pinned }, {}).roots.map(toHex)).toEqual([
      pinned,
      toHex(DEV_CLOUD_ROOT_PUBLIC_KEY),
    ]);
  });

  it("refuses a pinned key that is not 32 bytes of hex with CONFIG_INSECURE", () => {
    for (const bad of ["abcd", "zz".repeat(32), `${toHex(PRODUCTION_ROOT.publicKey)}00`]) {
      let caught: unknown;
      try {
        trustPolicyFrom({ allowEmulator: false, cloudRootKey: bad }, {});
      } catch (err) {
        caught = err;
      }
      expect(isFiscalError(caught, "CONFIG_INSECURE")).toBe(true);
    }
  });
});

describe("checkDeviceTrust: an activated device", () => {
  it("trusts a device whose activation chains to the pinned root and names the configured shop", () => {
    expect(checkDeviceTrust(activatedInfo(), PRODUCTION)).toEqual({
      trusted: true,
      identity: {
        merchantNif: SHOP.merchant_nif,
        outletId: SHOP.outlet_id,
        fiscalAuthorityId: SHOP.fiscal_authority_id,
      },
    });
  });

  it("refuses a bundle signed by another, non-pinned key", () => {
    expect(reasonOf(activatedInfo({ rootSeed: OTHER_ROOT.seed }), PRODUCTION)).toMatch(
      /not signed by a trusted cloud root key/,
    );
  });

  it("refuses the development root unless allowEmulator", () => {
    const info = activatedInfo({ rootSeed: DEV_CLOUD_ROOT_SEED });
    expect(reasonOf(info, PRODUCTION)).toMatch(/not signed by a trusted cloud root key/);
    const devWithShop = trustPolicyFrom(
      { allowEmulator: true, cloudRootKey: toHex(PRODUCTION_ROOT.publicKey) },
      { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
    );
    expect(checkDeviceTrust(info, devWithShop).trusted).toBe(true);
  });

  it("refuses an activation record that does not carry the bundle's hash", () => {
    const info = activatedInfo({ record: { bundle_hash: sha256(new Uint8Array([1, 2, 3])) } });
    expect(reasonOf(info, PRODUCTION)).toMatch(/not made from this bundle/);
  });

  it("refuses a record that names another merchant than its (genuine) bundle", () => {
    const info = activatedInfo({
      record: { merchant_nif: "Z9999999Z" },
      identity: { ...SHOP, merchant_nif: "Z9999999Z" },
    });
    expect(reasonOf(info, PRODUCTION)).toMatch(/merchant_nif Z9999999Z is not the bundle's A1234567B/);
  });

  it("refuses a device activated for another merchant or another outlet than configured", () => {
    expect(reasonOf(activatedInfo({ bundle: { merchant_nif: "B7654321C" } }), PRODUCTION)).toMatch(
      /names merchant B7654321C, this daemon is configured for A1234567B/,
    );
    expect(reasonOf(activatedInfo({ bundle: { outlet_id: "OUTLET-8" } }), PRODUCTION)).toMatch(
      /names outlet OUTLET-8, this daemon is configured for OUTLET-7/,
    );
  });

  it("refuses a forged INFO whose activation record is signed by another key", () => {
    // Signed by another key but claiming the device's key: the signature does not verify.
    expect(reasonOf(activatedInfo({ recordSeed: ATTACKER.seed }), PRODUCTION)).toMatch(
      /signature does not verify/,
    );
    // Signed by, and naming, another key than the one INFO reports.
    const swapped = activatedInfo({ recordSeed: ATTACKER.seed, record: { public_key: ATTACKER.publicKey } });
    expect(reasonOf(swapped, PRODUCTION)).toMatch(/carries another device key/);
  });

  it("refuses a bundle or record for another device", () => {
    expect(reasonOf(activatedInfo({ bundle: { device_id: "DEF-OTHER" } }), PRODUCTION)).toMatch(
      /bundle is for DEF-OTHER/,
    );
    expect(reasonOf(activatedInfo({ record: { device_id: "DEF-OTHER" } }), PRODUCTION)).toMatch(
      /record is for DEF-OTHER/,
    );
  });

  it("refuses an INFO identity that is not the one the activation record grants", () => {
    const info = activatedInfo({ identity: { ...SHOP, outlet_id: "OUTLET-9" } });
    expect(reasonOf(info, PRODUCTION)).toMatch(/identity the device reports is not/);
  });

  it("refuses in production when no cloud root key is pinned", () => {
    const noRoot = trustPolicyFrom(
      { allowEmulator: false },
      { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
    );
    expect(reasonOf(activatedInfo(), noRoot)).toBe("no cloud root key is pinned (STALELA_CLOUD_ROOT_KEY)");
  });

  it("refuses in production when no merchant or outlet is configured, accepts it in development mode", () => {
    const pinned = toHex(PRODUCTION_ROOT.publicKey);
    for (const merchant of [{}, { nif: SHOP.merchant_nif }, { outletId: SHOP.outlet_id }]) {
      const policy = trustPolicyFrom({ allowEmulator: false, cloudRootKey: pinned }, merchant);
      expect(reasonOf(activatedInfo(), policy)).toMatch(/no merchant is configured/);
    }
    expect(checkDeviceTrust(activatedInfo({ rootSeed: DEV_CLOUD_ROOT_SEED }), DEVELOPMENT).trusted).toBe(
      true,
    );
  });

  it("refuses a device that reports no activation bundle in production", () => {
    expect(reasonOf(activatedInfo({ activationBundle: null }), PRODUCTION)).toMatch(
      /does not carry the bundle it was activated with/,
    );
  });

  it("accepts a device without its bundle (an old emulator store) in development mode on its record alone", () => {
    const verdict = checkDeviceTrust(
      activatedInfo({ rootSeed: DEV_CLOUD_ROOT_SEED, activationBundle: null }),
      DEVELOPMENT,
    );
    expect(verdict).toMatchObject({ trusted: true, identity: { outletId: SHOP.outlet_id } });
    expect(verdict.trusted && verdict.warning).toMatch(/activation record alone/);
    // The record itself must still verify with the device key.
    const forged = activatedInfo({ activationBundle: null, recordSeed: ATTACKER.seed });
    expect(reasonOf(forged, DEVELOPMENT)).toMatch(/signature does not verify/);
  });

  it("refuses a bundle that names another device key than INFO's", () => {
    const info = activatedInfo({ bundle: { device_public_key: ATTACKER.publicKey } });
    expect(reasonOf(info, PRODUCTION)).toMatch(/E117 .*names another device key/);
  });

  it("refuses in production a bundle that does not name the device key; accepts it with a warning in development mode", () => {
    const legacy = { bundle: { device_public_key: undefined } };
    expect(reasonOf(activatedInfo(legacy), PRODUCTION)).toBe(
      "the activation bundle does not name the device key: ask the Stalela back office for a new activation",
    );
    const verdict = checkDeviceTrust(
      activatedInfo({ ...legacy, rootSeed: DEV_CLOUD_ROOT_SEED }),
      DEVELOPMENT,
    );
    expect(verdict).toMatchObject({ trusted: true, identity: { outletId: SHOP.outlet_id } });
    expect(verdict.trusted && verdict.warning).toMatch(/does not name the device key/);
  });

  it("refuses a device that says it is active but carries no activation record", () => {
    expect(reasonOf({ ...unactivatedInfo(), state: "ACTIVE" }, PRODUCTION)).toMatch(/no activation record/);
  });
});

/**
 * A fake device reads a real device's INFO (which exposes the bundle), reports the same device_id,
 * identity and bundle, and its own key with an activation record it signs itself from that bundle.
 */
function impostorOf(real: ResultOf<"INFO">): ResultOf<"INFO"> {
  const copied = real.activation_bundle!;
  const activation = signActivationRecord(
    {
      kind: "ACTIVATION",
      v: 1,
      device_id: real.device_id,
      public_key: ATTACKER.publicKey,
      ...SHOP,
      bundle_hash: sha256(copied.bytes),
      activated_at: Date.UTC(2026, 0, 3),
    },
    ATTACKER.seed,
  );
  return { ...real, public_key: ATTACKER.publicKey, activation };
}

describe("checkDeviceTrust: a fake device that copies a real device's bundle", () => {
  it("refuses it when the copied bundle names the real device's key, in production and in development mode", () => {
    const real = activatedInfo({ rootSeed: DEV_CLOUD_ROOT_SEED });
    expect(checkDeviceTrust(real, DEVELOPMENT)).toMatchObject({ trusted: true });
    const dev = /E117 .*names another device key than the device's public_key/;
    expect(reasonOf(impostorOf(real), DEVELOPMENT)).toMatch(dev);
    const pinnedDev = trustPolicyFrom(
      { allowEmulator: false, cloudRootKey: toHex(DEV_CLOUD_ROOT_PUBLIC_KEY) },
      { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
    );
    expect(reasonOf(impostorOf(real), pinnedDev)).toMatch(dev);
    expect(reasonOf(impostorOf(activatedInfo()), PRODUCTION)).toMatch(dev);
  });

  it("refuses it in production when the copied bundle names no key", () => {
    const real = activatedInfo({ bundle: { device_public_key: undefined } });
    expect(reasonOf(impostorOf(real), PRODUCTION)).toMatch(/does not name the device key/);
  });
});

describe("checkDeviceTrust: the emulator's model", () => {
  it("refuses STALELA-EMU without allowEmulator, even with a chain to the pinned root", () => {
    expect(reasonOf(activatedInfo({ model: "STALELA-EMU" }), PRODUCTION)).toMatch(
      /STALELA-EMU is the emulator's.*--allow-emulator/,
    );
    expect(reasonOf(unactivatedInfo("STALELA-EMU"), PRODUCTION)).toMatch(/emulator's/);
  });

  it("accepts STALELA-EMU with allowEmulator when its chain is sound, and still checks the chain", () => {
    const emulated = activatedInfo({ model: "STALELA-EMU", rootSeed: DEV_CLOUD_ROOT_SEED });
    expect(checkDeviceTrust(emulated, DEVELOPMENT).trusted).toBe(true);
    expect(checkDeviceTrust(unactivatedInfo("STALELA-EMU"), DEVELOPMENT)).toEqual({
      trusted: true,
      identity: null,
    });
    const foreign = activatedInfo({ model: "STALELA-EMU", rootSeed: OTHER_ROOT.seed });
    expect(reasonOf(foreign, DEVELOPMENT)).toMatch(/not signed by a trusted cloud root key/);
  });

  it("trusts an unactivated real device (its activation is checked when it is activated)", () => {
    expect(checkDeviceTrust(unactivatedInfo(), PRODUCTION)).toEqual({ trusted: true, identity: null });
  });
});

describe("checkBundleTrust (before ACTIVATE)", () => {
  const refusal = (run: () => unknown): string => {
    try {
      run();
    } catch (err) {
      if (isFiscalError(err)) return `${err.errorName}: ${err.message}`;
      throw err;
    }
    throw new Error("expected a refusal");
  };
  const device = { device_id: DEVICE_ID, model: REAL_MODEL, public_key: DEVICE.publicKey };

  it("returns the bundle when a pinned root signed it for the configured shop", () => {
    expect(checkBundleTrust(device, signedBundle(PRODUCTION_ROOT.seed), PRODUCTION).outlet_id).toBe(
      SHOP.outlet_id,
    );
  });

  it("refuses a bundle no trusted root signed, the development root in production, and any bundle with no root pinned", () => {
    expect(refusal(() => checkBundleTrust(device, signedBundle(OTHER_ROOT.seed), PRODUCTION))).toMatch(
      /^ACTIVATION_BAD_SIGNATURE/,
    );
    expect(refusal(() => checkBundleTrust(device, signedBundle(DEV_CLOUD_ROOT_SEED), PRODUCTION))).toMatch(
      /^ACTIVATION_BAD_SIGNATURE/,
    );
    const noRoot = trustPolicyFrom(
      { allowEmulator: false },
      { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
    );
    expect(refusal(() => checkBundleTrust(device, signedBundle(PRODUCTION_ROOT.seed), noRoot))).toMatch(
      /^ACTIVATION_BAD_SIGNATURE: .*STALELA_CLOUD_ROOT_KEY/,
    );
  });

  it("refuses another merchant or outlet, a missing merchant config in production, and the emulator", () => {
    const other = signedBundle(PRODUCTION_ROOT.seed, { outlet_id: "OUTLET-8" });
    expect(refusal(() => checkBundleTrust(device, other, PRODUCTION))).toMatch(
      /^DEVICE_UNTRUSTED: .*OUTLET-8/,
    );
    const noShop = trustPolicyFrom(
      { allowEmulator: false, cloudRootKey: toHex(PRODUCTION_ROOT.publicKey) },
      {},
    );
    expect(refusal(() => checkBundleTrust(device, signedBundle(PRODUCTION_ROOT.seed), noShop))).toMatch(
      /^DEVICE_UNTRUSTED: .*no merchant is configured/,
    );
    const emulator = { ...device, model: "STALELA-EMU" };
    expect(refusal(() => checkBundleTrust(emulator, signedBundle(PRODUCTION_ROOT.seed), PRODUCTION))).toMatch(
      /^DEVICE_UNTRUSTED: .*emulator/,
    );
  });

  it("refuses a bundle naming another device key (E117), and one naming none in production only", () => {
    const theirs = signedBundle(PRODUCTION_ROOT.seed, { device_public_key: ATTACKER.publicKey });
    expect(refusal(() => checkBundleTrust(device, theirs, PRODUCTION))).toMatch(
      /^ACTIVATION_WRONG_DEVICE: .*another device key/,
    );
    const ours = signedBundle(PRODUCTION_ROOT.seed);
    expect(
      refusal(() => checkBundleTrust({ ...device, public_key: ATTACKER.publicKey }, ours, PRODUCTION)),
    ).toMatch(/^ACTIVATION_WRONG_DEVICE/);
    const legacy = signedBundle(PRODUCTION_ROOT.seed, { device_public_key: undefined });
    expect(refusal(() => checkBundleTrust(device, legacy, PRODUCTION))).toMatch(
      /^DEVICE_UNTRUSTED: .*refusing to activate: the activation bundle does not name the device key: ask the Stalela back office/,
    );
    const devLegacy = signedBundle(DEV_CLOUD_ROOT_SEED, { device_public_key: undefined });
    expect(checkBundleTrust(device, devLegacy, DEVELOPMENT).device_public_key).toBeUndefined();
  });
});
