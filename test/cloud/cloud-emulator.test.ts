/**
 * The reference cloud emulator on its own, through the daemon's own client: the contract's answers,
 * forged records, deduplication, persistence across a restart, credential rotation, and each fault.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudClient } from "../../daemon/sync/client.js";
import type { UploadItem } from "../../daemon/sync/contract.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { fromBase64Url, isFiscalError, sha256, toBase64Url } from "../../protocol/index.js";
import { SHOP } from "../sync/fixtures.js";

let dir: string;
let cloud: CloudEmulator;
let client: CloudClient;
let device: SyntheticDevice;
let credential: string;

async function activated(): Promise<void> {
  const claim = await client.claim({
    activation_code: cloud.issueCode(SHOP),
    device_id: device.deviceId,
    device_public_key: toBase64Url(device.publicKey),
  });
  const activation = device.activate(fromBase64Url(claim.bundle.bytes));
  await client.registerActivation(claim.credential, device.deviceId, {
    activation: { bytes: toBase64Url(activation.bytes), signature: toBase64Url(activation.signature) },
  });
  credential = claim.credential;
}

function item(d: SyntheticDevice = device): UploadItem {
  const { record, sealed } = d.seal("CASHIER-1");
  return {
    device_id: record.device_id,
    fiscal_number: record.fiscal_number,
    fiscal_authority_id: record.fiscal_authority_id,
    outlet_id: record.outlet_id,
    merchant_nif: record.merchant_nif,
    cashier_id: record.cashier_id,
    api_key_id: "key_1",
    invoice_id: `inv_${record.fiscal_number}`,
    record: toBase64Url(sealed.record),
    signature: toBase64Url(sealed.signature),
    auth_code: sealed.auth_code,
    qr: sealed.qr,
    invoice: null,
  };
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isFiscalError(err)) return err.errorName;
    throw err;
  }
  throw new Error("expected an error");
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cloud-"));
  cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
  client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 1_000, allowInsecureLoopback: true });
  device = new SyntheticDevice("SYN-DEF-1", SHOP);
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("cloud emulator", () => {
  it("answers a repeated claim by the same device with the same bundle", async () => {
    const code = cloud.issueCode(SHOP);
    const request = {
      activation_code: code,
      device_id: device.deviceId,
      device_public_key: toBase64Url(device.publicKey),
    };
    const first = await client.claim(request);
    const second = await client.claim(request);
    expect(second.bundle).toEqual(first.bundle);
    expect(first).toMatchObject(SHOP);
    expect(await errorOf(client.claim({ ...request, device_id: "OTHER-1" }))).toBe("ACTIVATION_CODE_USED");
    expect(await errorOf(client.claim({ ...request, activation_code: "NOPE-1" }))).toBe(
      "ACTIVATION_CODE_UNKNOWN",
    );
  });

  it("accepts, deduplicates by (device_id, fiscal_number), and rejects forged or mismatched items", async () => {
    await activated();
    const good = item();
    const forged = { ...item(), signature: toBase64Url(new Uint8Array(64).fill(1)) };
    const lying = { ...item(), outlet_id: "OTHER-OUTLET" };
    const stranger = item(new SyntheticDevice("SYN-DEF-2", SHOP));
    const answer = await client.upload(credential, {
      batch_id: "b1",
      items: [good, forged, lying, stranger],
    });
    expect(answer.acks.map((a) => a.outcome)).toEqual(["accepted", "rejected", "rejected", "rejected"]);
    expect(answer.acks[1]!.reason).toContain("signature");
    expect(answer.acks[2]!.reason).toContain("identifiers");
    const again = await client.upload(credential, { batch_id: "b2", items: [good] });
    expect(again.acks[0]).toMatchObject({ outcome: "duplicate", dgi_status: "QUEUED_FOR_DGI" });
    expect(await errorOf(client.upload("stc_wrong", { batch_id: "b3", items: [good] }))).toBe(
      "CLOUD_CREDENTIAL_INVALID",
    );
  });

  it("puts in every ack the SHA-256 of the record it received, whatever the outcome", async () => {
    await activated();
    const good = item();
    const forged = { ...item(), signature: toBase64Url(new Uint8Array(64).fill(1)) };
    const hashOf = (i: UploadItem) => toBase64Url(sha256(fromBase64Url(i.record)));
    const first = await client.upload(credential, { batch_id: "h1", items: [good, forged] });
    expect(first.acks.map((a) => [a.outcome, a.record_hash])).toEqual([
      ["accepted", hashOf(good)],
      ["rejected", hashOf(forged)],
    ]);
    const again = await client.upload(credential, { batch_id: "h2", items: [good] });
    expect(again.acks[0]).toMatchObject({ outcome: "duplicate", record_hash: hashOf(good) });
  });

  it("checks each request against the contract schema: 400 BAD_REQUEST naming the field", async () => {
    await activated();
    const post = (path: string, body: unknown, bearer?: string) =>
      fetch(`${cloud.url}/cloud/v1${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }),
        },
        body: JSON.stringify(body),
      });
    const extra = await post("/uploads", { batch_id: "x1", items: [{ ...item(), admin: true }] }, credential);
    expect(extra.status).toBe(400);
    expect(await extra.json()).toEqual({
      error: { code: "BAD_REQUEST", message: expect.stringContaining("/items/0/admin") },
    });
    const wrongType = await post(
      "/uploads",
      { batch_id: "x2", items: [{ ...item(), fiscal_number: "1" }] },
      credential,
    );
    expect(wrongType.status).toBe(400);
    const claim = await post("/activations/claim", { activation_code: "ACT-1", device_id: "D-1" });
    expect(claim.status).toBe(400);
    expect(((await claim.json()) as { error: { message: string } }).error.message).toContain(
      "/device_public_key",
    );
  });

  it("verifies a batch's signatures on worker threads with the same verdicts", async () => {
    await cloud.close();
    cloud = await startCloudEmulator({ stateDir: dir, port: 0, verifyThreads: 2 });
    client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 5_000, allowInsecureLoopback: true });
    await activated();
    const items = Array.from({ length: 30 }, () => item());
    items[4] = { ...items[4]!, signature: toBase64Url(new Uint8Array(64).fill(2)) };
    items[25] = { ...items[25]!, signature: "%%%" };
    const answer = await client.upload(credential, { batch_id: "p1", items });
    const rejected = answer.acks.flatMap((a, i) => (a.outcome === "rejected" ? [i] : []));
    expect(rejected).toEqual([4, 25]);
    expect(answer.acks.filter((a) => a.outcome === "accepted")).toHaveLength(28);
  });

  it("keeps what it received across a restart", async () => {
    await activated();
    const one = item();
    await client.upload(credential, { batch_id: "b1", items: [one, item()] });
    await cloud.close();
    cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
    client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 1_000, allowInsecureLoopback: true });
    expect(cloud.invoices()).toHaveLength(2);
    const again = await client.upload(credential, { batch_id: "b2", items: [one] });
    expect(again.acks[0]!.outcome).toBe("duplicate");
  });

  it("rotates the credential: the old one works until the new one is first used", async () => {
    await activated();
    const rotated = await client.rotate(credential);
    expect(Date.parse(rotated.old_valid_until)).toBeGreaterThan(Date.now());
    await client.upload(credential, { batch_id: "b1", items: [item()] });
    await client.upload(rotated.credential, { batch_id: "b2", items: [item()] });
    expect(await errorOf(client.upload(credential, { batch_id: "b3", items: [item()] }))).toBe(
      "CLOUD_CREDENTIAL_INVALID",
    );
  });

  it("injects 500s, dropped connections, hangs, lost acks and rejections", async () => {
    await activated();
    cloud.setFaults({ fail_next: 1 });
    expect(await errorOf(client.upload(credential, { batch_id: "f1", items: [item()] }))).toBe(
      "CLOUD_REJECTED",
    );
    cloud.setFaults({ drop_next: 1 });
    const dropped = item();
    expect(await errorOf(client.upload(credential, { batch_id: "f2", items: [dropped] }))).toBe(
      "CLOUD_UNREACHABLE",
    );
    expect(cloud.invoices()).toHaveLength(0);
    cloud.setFaults({ hang_next: 1, hang_ms: 5_000 });
    expect(await errorOf(client.upload(credential, { batch_id: "f3", items: [dropped] }))).toBe(
      "CLOUD_UNREACHABLE",
    );
    cloud.setFaults({ lose_ack_next: 1 });
    expect(await errorOf(client.upload(credential, { batch_id: "f4", items: [dropped] }))).toBe(
      "CLOUD_UNREACHABLE",
    );
    expect(cloud.invoices()).toHaveLength(1);
    const next = item();
    cloud.setFaults({ reject_fiscal_numbers: [next.fiscal_number] });
    const answer = await client.upload(credential, { batch_id: "f5", items: [dropped, next] });
    expect(answer.acks.map((a) => a.outcome)).toEqual(["duplicate", "rejected"]);
  });

  it("switches faults at run time over HTTP and refuses unknown ones", async () => {
    const set = await fetch(`${cloud.url}/control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ delay_ms: 5, fail_rate: 0 }),
    });
    expect(((await set.json()) as { delay_ms: number }).delay_ms).toBe(5);
    const bad = await fetch(`${cloud.url}/control/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ explode: true }),
    });
    expect(bad.status).toBe(400);
  });
});
