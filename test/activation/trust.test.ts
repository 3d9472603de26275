/**
 * ActivationService checks a bundle against the trusted cloud roots and the configured merchant and
 * outlet BEFORE it sends ACTIVATE (which cannot be undone), refuses the emulator outside development
 * mode before it claims a code, and clears the progress copy of the credential once activation is done.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ActivationService } from "../../daemon/activation/activation.js";
import { formatBundleFile } from "../../daemon/activation/bundle-file.js";
import { type DeviceTrustPolicy, trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { ActivationProgressStore } from "../../daemon/store/activation-progress.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { DeviceBindingStore } from "../../daemon/store/device-binding.js";
import type { CloudPort } from "../../daemon/sync/client.js";
import {
  DEV_CLOUD_ROOT_PUBLIC_KEY,
  isFiscalError,
  keyPairFromSeed,
  type SignedBlob,
  sha256,
  toBase64Url,
  toHex,
} from "../../protocol/index.js";
import { bundleFor } from "../emulator/fixtures.js";
import { SHOP, SyncHarness } from "../sync/fixtures.js";

let h: SyncHarness;
afterEach(async () => {
  await h?.stop();
});

const CONFIGURED = { nif: SHOP.merchant_nif, outletId: SHOP.outlet_id };
/** Development mode, configured for SHOP (the emulator trusts the development root by default). */
const DEV_FOR_SHOP = trustPolicyFrom({ allowEmulator: true }, CONFIGURED);
const OTHER_SEED = sha256(new TextEncoder().encode("not-a-cloud-root"));
const OTHER_DEVICE_KEY = keyPairFromSeed(sha256(new TextEncoder().encode("another-device"))).publicKey;
const CREDENTIAL = "cred-test-0123456789";

/** A cloud that hands out `bundle` for any code, and counts what it is asked. */
class ScriptedCloud implements CloudPort {
  claims = 0;
  registrations = 0;
  constructor(private readonly bundle: () => SignedBlob) {}
  async claim() {
    this.claims++;
    const b = this.bundle();
    return {
      bundle: { bytes: toBase64Url(b.bytes), signature: toBase64Url(b.signature) },
      credential: CREDENTIAL,
      ...SHOP,
    };
  }
  async registerActivation() {
    this.registrations++;
  }
  upload(): never {
    throw new Error("not used");
  }
  rotate(): never {
    throw new Error("not used");
  }
}

/** An ActivationService over the harness's device and store, counting ACTIVATEs sent. */
function service(trust: DeviceTrustPolicy, cloud: CloudPort) {
  const sent = { activates: 0 };
  const audit = new AuditLog(h.db);
  const progress = new ActivationProgressStore(h.db);
  const activation = new ActivationService({
    device: {
      info: () => h.port.info(),
      activate: (bundle) => {
        sent.activates++;
        return h.port.activate(bundle);
      },
    },
    cloud,
    progress,
    bindings: new DeviceBindingStore(h.db, audit),
    credentials: h.sync.parts.credentials,
    identity: h.identity,
    audit,
    trust,
  });
  return { activation, sent, progress };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isFiscalError(err)) return `${err.code} ${err.errorName}: ${err.message}`;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("ActivationService trusts only bundles from a trusted root", () => {
  it("refuses a claimed bundle no trusted root signed, before ACTIVATE, keeping nothing", async () => {
    h = await new SyncHarness().start();
    const cloud = new ScriptedCloud(() => bundleFor(h.device.deviceId, OTHER_SEED, SHOP));
    const { activation, sent, progress } = service(DEV_FOR_SHOP, cloud);
    expect(await refusal(activation.activateWithCode("ACT-1234"))).toMatch(/^116 ACTIVATION_BAD_SIGNATURE/);
    expect(sent.activates).toBe(0);
    expect(progress.of(h.device.deviceId)).toBeUndefined();
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("refuses an offline bundle file no trusted root signed, before ACTIVATE", async () => {
    h = await new SyncHarness().start();
    const { activation, sent } = service(DEV_FOR_SHOP, new ScriptedCloud(() => bundleFor("unused")));
    const file = formatBundleFile(bundleFor(h.device.deviceId, OTHER_SEED, SHOP), CREDENTIAL);
    expect(await refusal(activation.activateWithBundle(Buffer.from(file)))).toMatch(
      /^116 ACTIVATION_BAD_SIGNATURE/,
    );
    expect(sent.activates).toBe(0);
  });

  it("refuses a bundle for another merchant or outlet than configured with E121, before ACTIVATE", async () => {
    h = await new SyncHarness().start();
    const { activation, sent } = service(DEV_FOR_SHOP, new ScriptedCloud(() => bundleFor("unused")));
    const otherOutlet = formatBundleFile(
      bundleFor(h.device.deviceId, undefined, { ...SHOP, outlet_id: "OUTLET-8" }),
    );
    expect(await refusal(activation.activateWithBundle(Buffer.from(otherOutlet)))).toMatch(
      /^121 DEVICE_UNTRUSTED: .*outlet OUTLET-8, this daemon is configured for OUTLET-7/,
    );
    const otherMerchant = new ScriptedCloud(() =>
      bundleFor(h.device.deviceId, undefined, { ...SHOP, merchant_nif: "B7654321C" }),
    );
    expect(
      await refusal(service(DEV_FOR_SHOP, otherMerchant).activation.activateWithCode("ACT-1234")),
    ).toMatch(/^121 DEVICE_UNTRUSTED: .*merchant B7654321C/);
    expect(sent.activates).toBe(0);
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("refuses the emulator outside development mode with E121 before claiming the code", async () => {
    h = await new SyncHarness().start();
    const production = trustPolicyFrom(
      { allowEmulator: false, cloudRootKey: toHex(DEV_CLOUD_ROOT_PUBLIC_KEY) },
      CONFIGURED,
    );
    const cloud = new ScriptedCloud(() => bundleFor(h.device.deviceId, undefined, SHOP));
    const { activation, sent } = service(production, cloud);
    expect(await refusal(activation.activateWithCode("ACT-1234"))).toMatch(
      /^121 DEVICE_UNTRUSTED: .*STALELA-EMU.*--allow-emulator/,
    );
    const file = formatBundleFile(bundleFor(h.device.deviceId, undefined, SHOP));
    expect(await refusal(activation.activateWithBundle(Buffer.from(file)))).toMatch(/^121 DEVICE_UNTRUSTED/);
    expect(cloud.claims).toBe(0);
    expect(sent.activates).toBe(0);
  });

  it("activates with a trusted bundle, then clears the progress copy of the credential", async () => {
    h = await new SyncHarness().start();
    const cloud = new ScriptedCloud(() => bundleFor(h.device.deviceId, undefined, SHOP));
    const { activation, sent, progress } = service(DEV_FOR_SHOP, cloud);
    const result = await activation.activateWithCode("ACT-1234");
    expect(result).toMatchObject({ ...SHOP, registered: true, resumed: false });
    expect(sent.activates).toBe(1);
    expect(cloud.registrations).toBe(1);
    expect(progress.of(h.device.deviceId)).toMatchObject({ step: "done", credential: null });
    expect(h.sync.parts.credentials.current()?.credential).toBe(CREDENTIAL);
  });

  it("refuses a claimed bundle naming another device key with E117, before ACTIVATE, keeping nothing", async () => {
    h = await new SyncHarness().start();
    const cloud = new ScriptedCloud(() =>
      bundleFor(h.device.deviceId, undefined, { ...SHOP, device_public_key: OTHER_DEVICE_KEY }),
    );
    const { activation, sent, progress } = service(DEV_FOR_SHOP, cloud);
    expect(await refusal(activation.activateWithCode("ACT-1234"))).toMatch(
      /^117 ACTIVATION_WRONG_DEVICE: .*another device key/,
    );
    expect(sent.activates).toBe(0);
    expect(progress.of(h.device.deviceId)).toBeUndefined();
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("activates with a bundle naming the device's own key", async () => {
    h = await new SyncHarness().start();
    const cloud = new ScriptedCloud(() =>
      bundleFor(h.device.deviceId, undefined, { ...SHOP, device_public_key: h.device.publicKey }),
    );
    const { activation, sent } = service(DEV_FOR_SHOP, cloud);
    expect(await activation.activateWithCode("ACT-1234")).toMatchObject({ ...SHOP, registered: true });
    expect(sent.activates).toBe(1);
  });
});

describe("the device refuses a bundle issued to another device key", () => {
  it("answers ACTIVATE with E117 and stays unactivated", async () => {
    h = await new SyncHarness().start();
    const theirs = bundleFor(h.device.deviceId, undefined, { ...SHOP, device_public_key: OTHER_DEVICE_KEY });
    expect(await refusal(h.port.activate(theirs))).toMatch(
      /^117 ACTIVATION_WRONG_DEVICE: .*another device key/,
    );
    expect((await h.port.info()).state).toBe("UNACTIVATED");
    const mine = bundleFor(h.device.deviceId, undefined, { ...SHOP, device_public_key: h.device.publicKey });
    await h.port.activate(mine);
    expect((await h.port.info()).state).toBe("ACTIVE");
  });
});
