import fc from "fast-check";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import {
  authCodeOf,
  canonicaliseInvoice,
  encodeCanonical,
  type FiscalRecordV1,
  generateKeyPair,
  genesisHash,
  invoiceHash,
  keyPairFromSeed,
  openActivationRecord,
  openSealedRecord,
  parseQrPayload,
  recordHash,
  SignContext,
  sealRecord,
  sha256,
  signActivationBundle,
  signActivationRecord,
  signedMessage,
  signWith,
  verifyActivationBundle,
  verifyActivationChain,
  verifyBundleFromRoots,
  verifyQrPayload,
  verifyWith,
} from "../../protocol/index.js";

const device = generateKeyPair();
const cloud = generateKeyPair();

function record(overrides: Partial<FiscalRecordV1> = {}): FiscalRecordV1 {
  const invoice = canonicaliseInvoice(
    {
      type: "SALE",
      currency: "CDF",
      items: [{ name: "Savon", kind: "GOODS", quantity: 3, unit_price: 1500, tax_group: "B" }],
      payments: [{ method: "MOBILE_MONEY", amount: 4500 }],
    },
    { cashierId: "CASHIER-1", defaultClientRef: "R-1" },
  );
  return {
    kind: "INVOICE",
    v: 1,
    device_id: "DEF-00000001",
    fiscal_number: 41,
    type_number: 40,
    invoice_type: "SALE",
    issued_at: Date.UTC(2026, 10, 23, 9, 0, 0, 123),
    payload_hash: invoiceHash(invoice),
    prev_hash: new Uint8Array(32).fill(7),
    merchant_nif: "A1234567B",
    outlet_id: "OUTLET-1",
    fiscal_authority_id: "FA-1",
    cashier_id: "CASHIER-1",
    client_ref: "R-1",
    currency: "CDF",
    totals: invoice.totals,
    tax_table: invoice.tax_table,
    ...overrides,
  };
}

describe("Ed25519", () => {
  it("node:crypto and tweetnacl agree on keys, signatures and verification", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, msg) => {
          const ours = keyPairFromSeed(seed);
          const theirs = nacl.sign.keyPair.fromSeed(seed);
          expect(ours.publicKey).toEqual(theirs.publicKey);
          const sig = signWith(seed, SignContext.RECORD, msg);
          expect(sig).toEqual(nacl.sign.detached(signedMessage(SignContext.RECORD, msg), theirs.secretKey));
          expect(
            nacl.sign.detached.verify(signedMessage(SignContext.RECORD, msg), sig, theirs.publicKey),
          ).toBe(true);
          expect(verifyWith(ours.publicKey, SignContext.RECORD, msg, sig)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("separates domains: a record signature does not verify as a QR or activation signature", () => {
    const msg = new Uint8Array([1, 2, 3]);
    const sig = signWith(device.seed, SignContext.RECORD, msg);
    expect(verifyWith(device.publicKey, SignContext.QR, msg, sig)).toBe(false);
    expect(verifyWith(device.publicKey, SignContext.ACTIVATION, msg, sig)).toBe(false);
  });

  it("returns false, never throws, for malformed keys and signatures", () => {
    expect(verifyWith(new Uint8Array(31), SignContext.RECORD, new Uint8Array(), new Uint8Array(64))).toBe(
      false,
    );
    expect(verifyWith(device.publicKey, SignContext.RECORD, new Uint8Array(), new Uint8Array(63))).toBe(
      false,
    );
  });
});

describe("sealed fiscal record", () => {
  const rec = record();
  const sealed = sealRecord(rec, device.seed);

  it("verifies offline, and tweetnacl independently verifies the record signature", () => {
    expect(openSealedRecord(sealed, device.publicKey)).toEqual(rec);
    const message = signedMessage(SignContext.RECORD, sealed.record);
    expect(nacl.sign.detached.verify(message, sealed.signature, device.publicKey)).toBe(true);
  });

  it("fails verification when any single byte of the record or signature is flipped", () => {
    for (let i = 0; i < sealed.record.length; i++) {
      const tampered = sealed.record.slice();
      tampered[i] = tampered[i]! ^ 0x01;
      expect(() => openSealedRecord({ ...sealed, record: tampered }, device.publicKey)).toThrow(
        /E(215|401|210|211)/,
      );
    }
    for (let i = 0; i < sealed.signature.length; i++) {
      const tampered = sealed.signature.slice();
      tampered[i] = tampered[i]! ^ 0x80;
      expect(() => openSealedRecord({ ...sealed, signature: tampered }, device.publicKey)).toThrow(/E215/);
    }
  });

  it("fails verification under another device's key", () => {
    expect(() => openSealedRecord(sealed, generateKeyPair().publicKey)).toThrow(/E215/);
  });

  it("derives a 16-character Crockford auth code from the signature", () => {
    expect(sealed.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(authCodeOf(sealed.signature)).toBe(sealed.auth_code);
    expect(() => openSealedRecord({ ...sealed, auth_code: "0000-0000-0000-0000" }, device.publicKey)).toThrow(
      /E215/,
    );
  });

  it("chains by the SHA-256 of the previous record's bytes", () => {
    const next = sealRecord(record({ fiscal_number: 42, prev_hash: recordHash(sealed.record) }), device.seed);
    expect(openSealedRecord(next, device.publicKey).prev_hash).toEqual(recordHash(sealed.record));
  });
});

describe("receipt QR payload", () => {
  const sealed = sealRecord(record(), device.seed);

  it("has the RDCDEF01 layout and verifies offline with the device key", () => {
    const qr = verifyQrPayload(sealed.qr, device.publicKey);
    expect(
      sealed.qr.startsWith("RDCDEF01;DEF-00000001;41;SALE;20261123T090000Z;4500;CDF;621;A1234567B;"),
    ).toBe(true);
    expect(qr.authCode).toBe(sealed.auth_code);
    expect(qr.total).toBe(4500);
  });

  it("fails when any character of the payload changes", () => {
    for (let i = 0; i < sealed.qr.length; i++) {
      const c = sealed.qr[i] === "1" ? "2" : "1";
      const forged = sealed.qr.slice(0, i) + c + sealed.qr.slice(i + 1);
      expect(() => verifyQrPayload(forged, device.publicKey)).toThrow(/E(215|302)/);
    }
  });

  it("refuses payloads that are not of the format with FIELD_TYPE", () => {
    expect(() => parseQrPayload("hello")).toThrow(/E302/);
    expect(() => parseQrPayload(sealed.qr.replace("RDCDEF01", "RDCDEF02"))).toThrow(/E302/);
    expect(() => parseQrPayload(`${sealed.qr};extra`)).toThrow(/E302/);
  });

  it("must agree with the record it is sealed with", () => {
    const other = sealRecord(record({ fiscal_number: 99 }), device.seed);
    expect(() => openSealedRecord({ ...sealed, qr: other.qr }, device.publicKey)).toThrow(/E215/);
  });
});

describe("activation", () => {
  const bundleFields = {
    kind: "ACTIVATION_BUNDLE" as const,
    v: 1 as const,
    bundle_id: "B-1",
    device_id: "DEF-00000001",
    merchant_nif: "A1234567B",
    outlet_id: "OUTLET-1",
    fiscal_authority_id: "FA-1",
    issued_at: 1_700_000_000_000,
  };

  it("accepts a bundle signed by the cloud root key for this device", () => {
    const blob = signActivationBundle(bundleFields, cloud.seed);
    expect(verifyActivationBundle(blob, cloud.publicKey, "DEF-00000001", device.publicKey)).toEqual(
      bundleFields,
    );
  });

  it("refuses a bad signature, another device's bundle and a malformed bundle, each with its code", () => {
    const blob = signActivationBundle(bundleFields, cloud.seed);
    expect(() => verifyActivationBundle(blob, device.publicKey, "DEF-00000001", device.publicKey)).toThrow(
      /E116/,
    );
    expect(() => verifyActivationBundle(blob, cloud.publicKey, "DEF-00000002", device.publicKey)).toThrow(
      /E117/,
    );
    const bytes = encodeCanonical({ ...bundleFields, merchant_nif: "bad nif!" });
    const malformed = { bytes, signature: signWith(cloud.seed, SignContext.BUNDLE, bytes) };
    expect(() =>
      verifyActivationBundle(malformed, cloud.publicKey, "DEF-00000001", device.publicKey),
    ).toThrow(/E118/);
  });

  it("accepts a bundle naming this device's key, and refuses one naming another key with E117", () => {
    const mine = { ...bundleFields, device_public_key: device.publicKey };
    const bundle = verifyActivationBundle(
      signActivationBundle(mine, cloud.seed),
      cloud.publicKey,
      "DEF-00000001",
      device.publicKey,
    );
    expect(bundle.device_public_key).toEqual(new Uint8Array(device.publicKey));
    const theirs = signActivationBundle({ ...bundleFields, device_public_key: cloud.publicKey }, cloud.seed);
    expect(() => verifyActivationBundle(theirs, cloud.publicKey, "DEF-00000001", device.publicKey)).toThrow(
      /E117 .*another device key/,
    );
  });

  it("signs an activation record whose hash is the chain's genesis", () => {
    const rec = {
      kind: "ACTIVATION" as const,
      v: 1 as const,
      device_id: "DEF-00000001",
      public_key: device.publicKey,
      merchant_nif: "A1234567B",
      outlet_id: "OUTLET-1",
      fiscal_authority_id: "FA-1",
      bundle_hash: new Uint8Array(32),
      activated_at: 1_700_000_000_000,
    };
    const blob = signActivationRecord(rec, device.seed);
    expect(openActivationRecord(blob, device.publicKey)).toEqual(rec);
    expect(() => openActivationRecord(blob, cloud.publicKey)).toThrow(/E215/);
    const forged = { ...blob, signature: signWith(cloud.seed, SignContext.ACTIVATION, blob.bytes) };
    expect(() => openActivationRecord(forged)).toThrow(/E215/);
    expect(genesisHash(blob.bytes)).toHaveLength(32);
  });
  describe("the chain a host checks (§9.1)", () => {
    const other = generateKeyPair();
    const bundle = signActivationBundle(bundleFields, cloud.seed);
    const recordOf = (overrides: object = {}, seed = device.seed) =>
      signActivationRecord(
        {
          kind: "ACTIVATION",
          v: 1,
          device_id: "DEF-00000001",
          public_key: device.publicKey,
          merchant_nif: "A1234567B",
          outlet_id: "OUTLET-1",
          fiscal_authority_id: "FA-1",
          bundle_hash: sha256(bundle.bytes),
          activated_at: 1_700_000_000_000,
          ...overrides,
        },
        seed,
      );
    const claim = (activation = recordOf(), activation_bundle: typeof bundle | null = bundle) => ({
      device_id: "DEF-00000001",
      public_key: device.publicKey,
      activation,
      activation_bundle,
    });

    it("finds which of several roots signed a bundle, and refuses with no root at all", () => {
      expect(verifyBundleFromRoots(bundle, [other.publicKey, cloud.publicKey], "DEF-00000001").root).toEqual(
        cloud.publicKey,
      );
      expect(() => verifyBundleFromRoots(bundle, [other.publicKey], "DEF-00000001")).toThrow(/E116/);
      expect(() => verifyBundleFromRoots(bundle, [], "DEF-00000001")).toThrow(/E116 .*no cloud root key/);
    });

    it("closes root → bundle → record → device key", () => {
      const chain = verifyActivationChain(claim(), [other.publicKey, cloud.publicKey]);
      expect(chain.bundle).toEqual(bundleFields);
      expect(chain.record.outlet_id).toBe("OUTLET-1");
      expect(chain.root).toEqual(cloud.publicKey);
    });

    it("refuses each broken link with its code", () => {
      const roots = [cloud.publicKey];
      expect(() => verifyActivationChain(claim(), [other.publicKey])).toThrow(/E116/);
      expect(() => verifyActivationChain(claim(recordOf(), null), roots)).toThrow(/E118 .*bundle/);
      expect(() => verifyActivationChain({ ...claim(), activation: null }, roots)).toThrow(/E118/);
      expect(() =>
        verifyActivationChain(claim(recordOf({ bundle_hash: new Uint8Array(32) })), roots),
      ).toThrow(/E118 .*not made from this bundle/);
      expect(() => verifyActivationChain(claim(recordOf({ outlet_id: "OUTLET-2" })), roots)).toThrow(
        /E118 .*outlet_id/,
      );
      expect(() => verifyActivationChain(claim(recordOf({ device_id: "DEF-00000002" })), roots)).toThrow(
        /E117/,
      );
      expect(() => verifyActivationChain(claim(recordOf({}, other.seed)), roots)).toThrow(/E215/);
    });

    it("closes the chain when the bundle names the device key, and refuses a bundle naming another key", () => {
      const keyed = signActivationBundle(
        { ...bundleFields, device_public_key: device.publicKey },
        cloud.seed,
      );
      const recordFor = (blob: typeof keyed) => recordOf({ bundle_hash: sha256(blob.bytes) });
      expect(verifyActivationChain(claim(recordFor(keyed), keyed), [cloud.publicKey]).record.outlet_id).toBe(
        "OUTLET-1",
      );
      const theirs = signActivationBundle(
        { ...bundleFields, device_public_key: other.publicKey },
        cloud.seed,
      );
      expect(() => verifyActivationChain(claim(recordFor(theirs), theirs), [cloud.publicKey])).toThrow(
        /E117 .*another device key/,
      );
    });

    it("refuses a fake device that copies a real device's id and keyed bundle and signs its own record", () => {
      const keyed = signActivationBundle(
        { ...bundleFields, device_public_key: device.publicKey },
        cloud.seed,
      );
      const fake = {
        device_id: "DEF-00000001",
        public_key: other.publicKey,
        activation: recordOf({ public_key: other.publicKey, bundle_hash: sha256(keyed.bytes) }, other.seed),
        activation_bundle: keyed,
      };
      expect(() => verifyActivationChain(fake, [cloud.publicKey])).toThrow(/E117 .*another device key/);
    });
  });
});
