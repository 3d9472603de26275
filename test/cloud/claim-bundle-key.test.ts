/**
 * The cloud emulator's claim signs a bundle that names the claimed device key (docs/CLOUD_API.md
 * §Activation, docs/PROTOCOL.md §9): a device with another key, even one that copies the device id,
 * cannot use it, and a production daemon, which refuses bundles that name no key, accepts it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkBundleTrust, trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { CLOUD_API_PREFIX } from "../../daemon/sync/contract.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import {
  DEV_CLOUD_ROOT_PUBLIC_KEY,
  fromBase64Url,
  keyPairFromSeed,
  type SignedBlob,
  sha256,
  toBase64Url,
  toHex,
  verifyActivationBundle,
} from "../../protocol/index.js";
import { SHOP } from "../sync/fixtures.js";

const seedOf = (label: string) => sha256(new TextEncoder().encode(label));
const DEVICE = keyPairFromSeed(seedOf("claiming-device"));
const OTHER = keyPairFromSeed(seedOf("another-device"));
const DEVICE_ID = "DEF-CLAIM-1";

let dir: string;
let cloud: CloudEmulator;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stalela-claim-key-"));
  cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Claims `code` for DEVICE_ID with `publicKey` over plain HTTP. */
function claim(code: string, publicKey: Uint8Array): Promise<Response> {
  return fetch(`${cloud.url}${CLOUD_API_PREFIX}/activations/claim`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      activation_code: code,
      device_id: DEVICE_ID,
      device_public_key: toBase64Url(publicKey),
    }),
  });
}

/** Claims a fresh code for DEVICE over plain HTTP and returns the bundle it answers with. */
async function claimedBundle(): Promise<SignedBlob> {
  const response = await claim(cloud.issueCode(SHOP), DEVICE.publicKey);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { bundle: { bytes: string; signature: string } };
  return { bytes: fromBase64Url(body.bundle.bytes), signature: fromBase64Url(body.bundle.signature) };
}

describe("the cloud emulator's claim bundle", () => {
  it("names the claimed device key, so only that device accepts it", async () => {
    const blob = await claimedBundle();
    const bundle = verifyActivationBundle(blob, DEV_CLOUD_ROOT_PUBLIC_KEY, DEVICE_ID, DEVICE.publicKey);
    expect(bundle.device_public_key && toHex(bundle.device_public_key)).toBe(toHex(DEVICE.publicKey));
    expect(() => verifyActivationBundle(blob, DEV_CLOUD_ROOT_PUBLIC_KEY, DEVICE_ID, OTHER.publicKey)).toThrow(
      /E117 .*another device key/,
    );
  });

  it("is accepted by a production trust policy pinning its root, for the claimed key only", async () => {
    const blob = await claimedBundle();
    const production = trustPolicyFrom(
      { allowEmulator: false, cloudRootKey: toHex(DEV_CLOUD_ROOT_PUBLIC_KEY) },
      { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id },
    );
    const real = { device_id: DEVICE_ID, model: "STALELA-DEF-1", public_key: DEVICE.publicKey };
    expect(checkBundleTrust(real, blob, production).outlet_id).toBe(SHOP.outlet_id);
    expect(() => checkBundleTrust({ ...real, public_key: OTHER.publicKey }, blob, production)).toThrow(
      /E117/,
    );
  });

  it("answers a repeat of the claim only to the same key: the same id with another key gets 409 CODE_USED", async () => {
    const code = cloud.issueCode(SHOP);
    const first = (await (await claim(code, DEVICE.publicKey)).json()) as { bundle: { bytes: string } };
    const repeat = await claim(code, DEVICE.publicKey);
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { bundle: { bytes: string } }).bundle.bytes).toBe(first.bundle.bytes);
    const impostor = await claim(code, OTHER.publicKey);
    expect(impostor.status).toBe(409);
    const body = (await impostor.json()) as { error: { code: string }; credential?: string };
    expect(body.error.code).toBe("CODE_USED");
    expect(body.credential).toBeUndefined();
  });
});
