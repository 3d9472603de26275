/**
 * Activation through the cloud emulator and the emulated DEF: the happy path, every refusal's coded
 * error, offline bundle files, and resuming a half-finished activation.
 */
import { afterEach, describe, expect, it } from "vitest";
import { formatBundleFile } from "../../daemon/activation/bundle-file.js";
import { FiscalError, isFiscalError, toHex } from "../../protocol/index.js";
import { bundleFor } from "../emulator/fixtures.js";
import { SHOP, SyncHarness } from "../sync/fixtures.js";

let h: SyncHarness;
afterEach(async () => {
  await h?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isFiscalError(err)) return `${err.code} ${err.errorName}`;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("activation with a code", () => {
  it("claims, activates the device, registers, binds the identity and stores the credential", async () => {
    h = await new SyncHarness().start();
    const code = h.cloud.issueCode(SHOP);
    const result = await h.sync.parts.activation.activateWithCode(code);
    expect(result).toEqual({
      device_id: h.device.deviceId,
      public_key: toHex(h.device.publicKey),
      ...SHOP,
      registered: true,
      resumed: false,
    });
    expect((await h.port.info()).state).toBe("ACTIVE");
    expect(h.identity.current?.outletId).toBe(SHOP.outlet_id);
    expect(h.sync.parts.credentials.current()?.deviceId).toBe(h.device.deviceId);
    expect(h.cloud.store.device(h.device.deviceId)?.activation).not.toBeNull();
  });

  it("refuses an unknown code with E502", async () => {
    h = await new SyncHarness().start();
    expect(await refusal(h.sync.parts.activation.activateWithCode("ACT-NOPE"))).toBe(
      "502 ACTIVATION_CODE_UNKNOWN",
    );
    expect(await refusal(h.sync.parts.activation.activateWithCode("bad code!"))).toBe(
      "502 ACTIVATION_CODE_UNKNOWN",
    );
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("refuses a code another device already used with E503", async () => {
    h = await new SyncHarness().start();
    const code = h.cloud.issueCode(SHOP);
    const res = await fetch(`${h.cloud.url}/cloud/v1/activations/claim`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        activation_code: code,
        device_id: "OTHER-DEVICE",
        device_public_key: Buffer.alloc(32, 1).toString("base64url"),
      }),
    });
    expect(res.status).toBe(200);
    expect(await refusal(h.sync.parts.activation.activateWithCode(code))).toBe("503 ACTIVATION_CODE_USED");
  });

  it("refuses when the device is already active with E103", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    expect(await refusal(h.sync.parts.activation.activateWithCode(h.cloud.issueCode(SHOP)))).toBe(
      "103 DEVICE_ALREADY_ACTIVATED",
    );
  });

  it("refuses with E500 when the cloud is unreachable, leaving the device untouched", async () => {
    h = await new SyncHarness().start();
    const code = h.cloud.issueCode(SHOP);
    h.cloud.setFaults({ down: true });
    expect(await refusal(h.sync.parts.activation.activateWithCode(code))).toBe("500 CLOUD_UNREACHABLE");
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("resumes a half-finished activation: device activated, registration lost, then run again", async () => {
    h = await new SyncHarness().start();
    const code = h.cloud.issueCode(SHOP);
    // The claim and ACTIVATE pass; the cloud goes down before the registration.
    const activation = h.sync.parts.activation;
    const original = h.port.activate.bind(h.port);
    h.port.activate = async (bundle) => {
      const result = await original(bundle);
      h.cloud.setFaults({ down: true });
      return result;
    };
    expect(await refusal(activation.activateWithCode(code))).toBe("500 CLOUD_UNREACHABLE");
    expect((await h.port.info()).state).toBe("ACTIVE");
    expect(h.cloud.store.device(h.device.deviceId)?.activation).toBeNull();
    h.cloud.setFaults({ down: false });
    const result = await activation.activateWithCode(code);
    expect(result).toMatchObject({ registered: true, resumed: true });
    expect(h.cloud.store.device(h.device.deviceId)?.activation).not.toBeNull();
    expect(h.sync.parts.credentials.current()).toBeDefined();
    // Finished now: a third run is a plain "already activated".
    expect(await refusal(activation.activateWithCode(code))).toBe("103 DEVICE_ALREADY_ACTIVATED");
  });

  it("continues after ACTIVATE's reply was lost (the device acted)", async () => {
    h = await new SyncHarness().start();
    const original = h.port.activate.bind(h.port);
    h.port.activate = async (bundle) => {
      await original(bundle);
      throw new FiscalError("DEVICE_TIMEOUT", "simulated lost reply");
    };
    const result = await h.sync.parts.activation.activateWithCode(h.cloud.issueCode(SHOP));
    expect(result).toMatchObject({ registered: true, resumed: false });
  });
});

describe("activation with a bundle file (offline)", () => {
  it("activates from the file; registers when the file carries a credential and the cloud answers", async () => {
    h = await new SyncHarness().start();
    const file = formatBundleFile(bundleFor(h.device.deviceId));
    h.cloud.setFaults({ down: true });
    const result = await h.sync.parts.activation.activateWithBundle(Buffer.from(file));
    expect(result).toMatchObject({ device_id: h.device.deviceId, registered: false, resumed: false });
    expect((await h.port.info()).state).toBe("ACTIVE");
    expect(h.identity.current?.deviceId).toBe(h.device.deviceId);
    // Same file again: resumes (the device holds this very bundle), no refusal.
    const again = await h.sync.parts.activation.activateWithBundle(Buffer.from(file));
    expect(again).toMatchObject({ resumed: true });
  });

  it("refuses a bundle for another device with E117 before touching the device", async () => {
    h = await new SyncHarness().start();
    const file = formatBundleFile(bundleFor("SOME-OTHER-DEF"));
    expect(await refusal(h.sync.parts.activation.activateWithBundle(Buffer.from(file)))).toBe(
      "117 ACTIVATION_WRONG_DEVICE",
    );
    expect((await h.port.info()).state).toBe("UNACTIVATED");
  });

  it("refuses a malformed file with E118 and a forged bundle with the device's E116", async () => {
    h = await new SyncHarness().start();
    const activation = h.sync.parts.activation;
    expect(await refusal(activation.activateWithBundle(Buffer.from("not json")))).toBe(
      "118 ACTIVATION_INVALID",
    );
    expect(await refusal(activation.activateWithBundle(Buffer.from('{"format":"x"}')))).toBe(
      "118 ACTIVATION_INVALID",
    );
    const forged = formatBundleFile(bundleFor(h.device.deviceId, new Uint8Array(32).fill(7)));
    expect(await refusal(activation.activateWithBundle(Buffer.from(forged)))).toBe(
      "116 ACTIVATION_BAD_SIGNATURE",
    );
  });

  it("refuses a different bundle for an already active device with E103", async () => {
    h = await new SyncHarness().start();
    await h.activate();
    const file = formatBundleFile(bundleFor(h.device.deviceId));
    expect(await refusal(h.sync.parts.activation.activateWithBundle(Buffer.from(file)))).toBe(
      "103 DEVICE_ALREADY_ACTIVATED",
    );
  });
});
