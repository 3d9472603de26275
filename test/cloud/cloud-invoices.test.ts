/**
 * The cloud emulator and the invoice an upload item carries: it must be the one the record binds
 * (SHA-256 = payload_hash), a valid canonical invoice of the record's version, and say what the
 * signed record says; otherwise the item is rejected with a reason that says which. An accepted v2
 * item's SFE fields (DGI type, fiscal year and number, ISF, POS number) are kept and listed.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudClient } from "../../daemon/sync/client.js";
import type { UploadItem } from "../../daemon/sync/contract.js";
import { CLOUD_STORE_FILE, type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import {
  type CanonicalInvoiceV2,
  encodeInvoice,
  fromBase64Url,
  type SealedRecord,
  toBase64Url,
} from "../../protocol/index.js";
import { sale, TEST_IDENTITY } from "../emulator/fixtures.js";

let dir: string;
let cloud: CloudEmulator;
let client: CloudClient;
let device: SyntheticDevice;
let credential: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stalela-cloud-inv-"));
  cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
  client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 2_000, allowInsecureLoopback: true });
  // The fixtures' invoices name the test activation's NIF as their seller.
  device = new SyntheticDevice("SYN-DEF-V2", TEST_IDENTITY);
  const claim = await client.claim({
    activation_code: cloud.issueCode(TEST_IDENTITY),
    device_id: device.deviceId,
    device_public_key: toBase64Url(device.publicKey),
  });
  const activation = device.activate(fromBase64Url(claim.bundle.bytes));
  await client.registerActivation(claim.credential, device.deviceId, {
    activation: { bytes: toBase64Url(activation.bytes), signature: toBase64Url(activation.signature) },
  });
  credential = claim.credential;
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The upload item of a sealed record v2 of `invoice`, carrying `invoiceBytes` (its own by default). */
function itemOf(invoice: CanonicalInvoiceV2, invoiceBytes?: Uint8Array | null): UploadItem {
  const { record, sealed }: { record: { fiscal_number: number }; sealed: SealedRecord } =
    device.sealV2(invoice);
  const bytes = invoiceBytes === undefined ? sealed.invoice! : invoiceBytes;
  return {
    device_id: device.deviceId,
    fiscal_number: record.fiscal_number,
    fiscal_authority_id: TEST_IDENTITY.fiscal_authority_id,
    outlet_id: TEST_IDENTITY.outlet_id,
    merchant_nif: TEST_IDENTITY.merchant_nif,
    cashier_id: invoice.operator.id,
    api_key_id: "key_1",
    invoice_id: `inv_${record.fiscal_number}`,
    record: toBase64Url(sealed.record),
    signature: toBase64Url(sealed.signature),
    auth_code: sealed.auth_code,
    qr: sealed.qr,
    invoice: bytes === null ? null : toBase64Url(bytes),
  };
}

describe("cloud emulator: the invoice of an upload item", () => {
  it("accepts a v2 record with its invoice and lists its SFE fields", async () => {
    const invoice = sale("S-1");
    const answer = await client.upload(credential, {
      batch_id: "v2-1",
      items: [itemOf(invoice), itemOf(sale("S-2"), null)],
    });
    expect(answer.acks.map((a) => a.outcome)).toEqual(["accepted", "accepted"]);
    const [first, second] = cloud.invoices();
    expect(first).toMatchObject({
      fiscal_number: 1,
      has_invoice: 1,
      record_v: 2,
      dgi_type: "FV",
      fiscal_year: new Date(Date.now() + 3_600_000).getUTCFullYear(),
      year_number: 1,
      isf: invoice.isf,
      rn: "S-1",
    });
    expect(second).toMatchObject({ fiscal_number: 2, has_invoice: 0, record_v: 2, rn: "S-2" });
  });

  it("rejects an invoice that is not the record's, not valid, not base64url, or says something else", async () => {
    const good = sale("S-1");
    const other = encodeInvoice(sale("S-9"));
    // A valid invoice whose bytes the record binds, but whose line amount is one centime off.
    const wrongAmount: CanonicalInvoiceV2 = { ...good, items: [{ ...good.items[0]!, amount: 11_601 }] };
    const items = [itemOf(good, other), itemOf(wrongAmount), { ...itemOf(good), invoice: "not base64url!" }];
    const answer = await client.upload(credential, { batch_id: "v2-2", items });
    expect(answer.acks.map((a) => a.outcome)).toEqual(["rejected", "rejected", "rejected"]);
    expect(answer.acks[0]!.reason).toBe(
      "the invoice is not the one the record binds (its SHA-256 is not payload_hash)",
    );
    expect(answer.acks[1]!.reason).toMatch(
      /^the invoice is not a valid canonical invoice v2: E307 TOTALS_MISMATCH/,
    );
    expect(answer.acks[2]!.reason).toContain("the invoice is not base64url");
    expect(cloud.invoices()).toHaveLength(0);
  });

  it("adds its SFE columns to a database made before them, and fills them", async () => {
    await cloud.close();
    // The invoices table as the emulator made it before version 2: without the six SFE columns.
    const db = new Database(join(dir, CLOUD_STORE_FILE));
    for (const column of ["record_v", "dgi_type", "fiscal_year", "year_number", "isf", "rn"]) {
      db.exec(`ALTER TABLE invoices DROP COLUMN ${column}`);
    }
    db.close();
    cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
    client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 2_000, allowInsecureLoopback: true });
    const answer = await client.upload(credential, { batch_id: "v2-3", items: [itemOf(sale("S-1"))] });
    expect(answer.acks[0]!.outcome).toBe("accepted");
    expect(cloud.invoices()[0]).toMatchObject({ record_v: 2, dgi_type: "FV", rn: "S-1" });
  });
});
