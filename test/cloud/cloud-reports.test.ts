/**
 * Report uploads on the reference cloud emulator, through the daemon's own client
 * (docs/CLOUD_API.md §Report upload): a signed Z or A report is accepted and listed, a re-sent
 * identical one is a duplicate, and the cloud refuses, per report, a bad signature, other bytes under
 * a stored (kind, number), a kind, number or device the bytes do not say, and bytes that are not a
 * report; the request itself is refused for another device's path or a body off the schema. The
 * generic faults apply to report uploads too.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CloudClient } from "../../daemon/sync/client.js";
import type { ReportItem } from "../../daemon/sync/contract.js";
import { type CloudEmulator, startCloudEmulator } from "../../emulator/cloud/index.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import {
  type AReport,
  articlesHash,
  fromBase64Url,
  isFiscalError,
  type SealedReport,
  sha256,
  toBase64Url,
} from "../../protocol/index.js";
import { SHOP } from "../sync/fixtures.js";

const ISF = "ISF-TEST-01";

let dir: string;
let cloud: CloudEmulator;
let client: CloudClient;
let device: SyntheticDevice;
let credential: string;

async function activated(d: SyntheticDevice = device): Promise<string> {
  const claim = await client.claim({
    activation_code: cloud.issueCode(SHOP),
    device_id: d.deviceId,
    device_public_key: toBase64Url(d.publicKey),
  });
  const activation = d.activate(fromBase64Url(claim.bundle.bytes));
  await client.registerActivation(claim.credential, d.deviceId, {
    activation: { bytes: toBase64Url(activation.bytes), signature: toBase64Url(activation.signature) },
  });
  if (d === device) credential = claim.credential;
  return claim.credential;
}

function itemOf(kind: ReportItem["kind"], number: number, sealed: SealedReport): ReportItem {
  return { kind, number, record: toBase64Url(sealed.record), signature: toBase64Url(sealed.signature) };
}

/** The device's next Z report (after `sales` sales), as an upload item. */
function z(sales = 2): ReportItem {
  for (let i = 0; i < sales; i++) device.seal("CASHIER-1");
  const { report, sealed } = device.zReport(ISF);
  return itemOf("Z_REPORT", report.number, sealed);
}

const hashOf = (item: ReportItem) => toBase64Url(sha256(fromBase64Url(item.record)));

function upload(reports: ReportItem[], batch = "r1", d: SyntheticDevice = device, bearer = credential) {
  return client.uploadReports(bearer, d.deviceId, { batch_id: batch, reports });
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
  dir = mkdtempSync(join(tmpdir(), "stalela-cloud-reports-"));
  cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
  client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 1_000, allowInsecureLoopback: true });
  device = new SyntheticDevice("SYN-DEF-1", SHOP);
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("cloud emulator: report uploads", () => {
  it("accepts signed Z and A reports, lists them, and answers a re-sent identical one as a duplicate", async () => {
    await activated();
    const z1 = z();
    const a: AReport = {
      kind: "A_REPORT",
      v: 1,
      device_id: device.deviceId,
      ...SHOP,
      isf: ISF,
      issued_at: Date.now(),
      after_fiscal_number: 2,
      prev_hash: new Uint8Array(32),
      first_fiscal_number: 1,
      last_fiscal_number: 2,
      article_count: 0,
      articles_hash: articlesHash([]),
    };
    const a1 = itemOf("A_REPORT", 1, device.signReport(a));
    const answer = await upload([z1, a1]);
    expect(answer.acks).toEqual([
      {
        device_id: device.deviceId,
        kind: "Z_REPORT",
        number: 1,
        record_hash: hashOf(z1),
        outcome: "accepted",
      },
      {
        device_id: device.deviceId,
        kind: "A_REPORT",
        number: 1,
        record_hash: hashOf(a1),
        outcome: "accepted",
      },
    ]);
    expect(cloud.reports(device.deviceId)).toEqual([
      expect.objectContaining({ kind: "A_REPORT", number: 1, first_fiscal_number: 1, last_fiscal_number: 2 }),
      expect.objectContaining({
        kind: "Z_REPORT",
        number: 1,
        after_fiscal_number: 2,
        period: null,
        record_hash: hashOf(z1),
      }),
    ]);
    const again = await upload([z1], "r2");
    expect(again.acks).toEqual([expect.objectContaining({ outcome: "duplicate", record_hash: hashOf(z1) })]);
    expect(cloud.reports()).toHaveLength(2);
    expect(cloud.reportCounters).toEqual({ accepted: 2, duplicate: 1, rejected: 0, uploads: 2 });
    // The invoices' counters and listing are not the reports'.
    expect(cloud.counters.uploads).toBe(0);
    expect(cloud.invoices()).toEqual([]);

    const listed = await fetch(`${cloud.url}/admin/reports?kind=Z_REPORT`);
    expect(((await listed.json()) as { items: { number: number }[] }).items.map((r) => r.number)).toEqual([
      1,
    ]);
    const stats = (await (await fetch(`${cloud.url}/admin/stats`)).json()) as Record<string, unknown>;
    expect(stats.reports).toEqual({ accepted: 2, duplicate: 1, rejected: 0, uploads: 2, stored: 2 });
  });

  it("refuses a report whose signature does not verify with the registered key", async () => {
    await activated();
    const good = z();
    const forged = { ...good, signature: toBase64Url(new Uint8Array(64).fill(1)) };
    const stranger = new SyntheticDevice(device.deviceId, SHOP);
    stranger.activate(new Uint8Array(8));
    stranger.seal("CASHIER-1");
    const { report, sealed } = stranger.zReport(ISF);
    const otherKey = itemOf("Z_REPORT", report.number, sealed);
    const answer = await upload([forged, otherKey]);
    expect(answer.acks.map((a) => [a.outcome, a.record_hash])).toEqual([
      ["rejected", hashOf(forged)],
      ["rejected", hashOf(otherKey)],
    ]);
    for (const ack of answer.acks) expect(ack.reason).toContain("signature does not verify");
    expect(cloud.reports()).toEqual([]);
    // The honest one is still taken afterwards.
    expect((await upload([good], "r2")).acks[0]!.outcome).toBe("accepted");
  });

  it("refuses other bytes under a stored (kind, number), and keeps the first", async () => {
    await activated();
    device.seal("CASHIER-1");
    const { report, sealed } = device.zReport(ISF);
    const first = itemOf("Z_REPORT", 1, sealed);
    expect((await upload([first])).acks[0]!.outcome).toBe("accepted");
    const other = itemOf("Z_REPORT", 1, device.signReport({ ...report, issued_at: report.issued_at + 1 }));
    const answer = await upload([other], "r2");
    expect(answer.acks[0]).toMatchObject({ outcome: "rejected", record_hash: hashOf(other) });
    expect(answer.acks[0]!.reason).toContain("another report is already stored under this kind and number");
    expect(cloud.reports()).toEqual([expect.objectContaining({ number: 1, record_hash: hashOf(first) })]);
    // The same bytes as the first are still a duplicate.
    expect((await upload([first], "r3")).acks[0]!.outcome).toBe("duplicate");
  });

  it("refuses a report whose kind, number or device is not what its bytes say, or bytes that are not a report", async () => {
    await activated();
    const good = z();
    const wrongKind = { ...good, kind: "MONTH_CLOSURE" as const };
    const wrongNumber = { ...good, number: 7 };
    const { sealed: invoice } = device.seal("CASHIER-1");
    const notReport = {
      kind: "Z_REPORT" as const,
      number: 9,
      record: toBase64Url(invoice.record),
      signature: toBase64Url(invoice.signature),
    };
    const garbage = { ...good, number: 10, record: "%%%" };
    const answer = await upload([wrongKind, wrongNumber, notReport, garbage]);
    expect(answer.acks.map((a) => a.outcome)).toEqual(["rejected", "rejected", "rejected", "rejected"]);
    expect(answer.acks[0]!.reason).toBe("the report is a Z_REPORT, not a MONTH_CLOSURE");
    expect(answer.acks[1]!.reason).toBe("the report is number 1, not 7");
    expect(answer.acks[2]!.reason).toContain("the report does not decode");
    expect(answer.acks[3]!.reason).toContain("the report does not decode");

    // Another device's report, under this device's path: signed by the other key, naming the other.
    const other = new SyntheticDevice("SYN-DEF-2", SHOP);
    await activated(other);
    other.seal("CASHIER-1");
    const theirs = other.zReport(ISF);
    const misplaced = await upload([itemOf("Z_REPORT", 1, theirs.sealed)], "r2");
    expect(misplaced.acks[0]!.reason).toBe("the report names another device");
    expect(cloud.reports()).toEqual([]);
  });

  it("refuses the request for another device's path, a bad credential, or a body off the schema", async () => {
    await activated();
    const other = new SyntheticDevice("SYN-DEF-2", SHOP);
    await activated(other);
    const good = z();
    expect(await errorOf(upload([good], "r1", other))).toBe("ACTIVATION_WRONG_DEVICE");
    expect(await errorOf(upload([good], "r2", device, "stc_wrong_credential_000"))).toBe(
      "CLOUD_CREDENTIAL_INVALID",
    );
    const post = (body: unknown) =>
      fetch(`${cloud.url}/cloud/v1/devices/${device.deviceId}/reports`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
        body: JSON.stringify(body),
      });
    const xReport = await post({ batch_id: "x1", reports: [{ ...good, kind: "X_REPORT" }] });
    expect(xReport.status).toBe(400);
    expect(await xReport.json()).toEqual({
      error: { code: "BAD_REQUEST", message: expect.stringContaining("/reports/0/kind") },
    });
    const extra = await post({ batch_id: "x2", reports: [{ ...good, admin: true }] });
    expect(extra.status).toBe(400);
    const tooMany = await post({ batch_id: "x3", reports: Array.from({ length: 101 }, () => good) });
    expect(tooMany.status).toBe(400);
    expect(cloud.reports()).toEqual([]);
  });

  it("applies the generic faults to report uploads: 500s, drops, lost acks, outages", async () => {
    await activated();
    const one = z();
    cloud.setFaults({ fail_next: 1 });
    expect(await errorOf(upload([one], "f1"))).toBe("CLOUD_REJECTED");
    cloud.setFaults({ drop_next: 1 });
    expect(await errorOf(upload([one], "f2"))).toBe("CLOUD_UNREACHABLE");
    expect(cloud.reports()).toEqual([]);
    cloud.setFaults({ lose_ack_next: 1 });
    expect(await errorOf(upload([one], "f3"))).toBe("CLOUD_UNREACHABLE");
    expect(cloud.reports()).toHaveLength(1);
    cloud.setFaults({ down: true });
    expect(await errorOf(upload([one], "f4"))).toBe("CLOUD_UNREACHABLE");
    cloud.setFaults({ down: false });
    expect((await upload([one], "f5")).acks[0]!.outcome).toBe("duplicate");
  });

  it("keeps the reports it received across a restart", async () => {
    await activated();
    const one = z();
    await upload([one, z()]);
    await cloud.close();
    cloud = await startCloudEmulator({ stateDir: dir, port: 0 });
    client = new CloudClient({ endpoint: cloud.url, requestTimeoutMs: 1_000, allowInsecureLoopback: true });
    expect(cloud.reports().map((r) => r.number)).toEqual([1, 2]);
    expect((await upload([one], "r2")).acks[0]!.outcome).toBe("duplicate");
  });
});
