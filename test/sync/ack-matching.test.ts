/**
 * An ack is taken only for a record the daemon sent: (device_id, fiscal_number) of an item of that
 * batch AND the SHA-256 of the record bytes sent. A fake cloud that acks with a wrong hash, another
 * fiscal number, a repeated ack or an unknown outcome gets nothing ACKED or SYNCED: the mismatch is
 * logged at error with CLOUD_ACK_MISMATCH, counted, and the rows stay PENDING for a retry.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../daemon/store/cloud-credential.js";
import { type Db, openDatabase } from "../../daemon/store/database.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { SyncAttemptLog } from "../../daemon/store/sync-log.js";
import { SyncQueue } from "../../daemon/store/sync-queue.js";
import { SyncAgent } from "../../daemon/sync/agent.js";
import { resolveSyncConfig } from "../../daemon/sync/config.js";
import type { UploadAck, UploadItem, UploadRequest, UploadResponse } from "../../daemon/sync/contract.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { fromBase64Url, sha256, toBase64Url } from "../../protocol/index.js";
import { SHOP, UploadOnlyCloud } from "./fixtures.js";

const config = resolveSyncConfig({ backoffBaseMs: 1_000, backoffMaxMs: 8_000, maxAttempts: 3 });

/** The hash an honest cloud puts in an ack, computed here independently of the daemon's code. */
function hashOf(item: UploadItem): string {
  return toBase64Url(sha256(fromBase64Url(item.record)));
}

function honest(item: UploadItem): UploadAck {
  return {
    device_id: item.device_id,
    fiscal_number: item.fiscal_number,
    record_hash: hashOf(item),
    outcome: "accepted",
    dgi_status: "QUEUED_FOR_DGI",
  };
}

/** A cloud whose acks the test writes from the items it received. */
class LyingCloud extends UploadOnlyCloud {
  requests: UploadRequest[] = [];
  acks: (items: readonly UploadItem[]) => unknown[] = (items) => items.map(honest);
  async upload(_c: string, req: UploadRequest): Promise<UploadResponse> {
    this.requests.push(req);
    return { acks: this.acks(req.items) } as UploadResponse;
  }
}

let dir: string;
let db: Db;
let store: InvoiceStore;
let queue: SyncQueue;
let attempts: SyncAttemptLog;
let cloud: LyingCloud;
let agent: SyncAgent;
let lines: Record<string, unknown>[];

/** Seals `n` records and marks them DELIVERED, so a taken ack would also make them SYNCED. */
function seal(n: number): string[] {
  const device = new SyntheticDevice("SYN-DEF-9", SHOP);
  device.activate(new Uint8Array(8));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { record, sealed } = device.seal("CASHIER-1");
    const row = store.importRecord(record, sealed);
    store.transition(row.id, "FISCALIZED", "DELIVERED", { note: "test" });
    ids.push(row.id);
  }
  return ids;
}

function statesOf(ids: readonly string[]): string[] {
  return ids.map((id) => store.byId(id)!.state);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  dir = mkdtempSync(join(tmpdir(), "stalela-acks-"));
  db = openDatabase(join(dir, "d.sqlite"));
  const audit = new AuditLog(db);
  const credentials = new CloudCredentialStore(db, audit);
  credentials.replace("SYN-DEF-9", "stc_test_credential_0001", "test");
  store = new InvoiceStore(db);
  queue = new SyncQueue(db, store);
  attempts = new SyncAttemptLog(db);
  cloud = new LyingCloud();
  lines = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  agent = new SyncAgent({
    queue,
    attempts,
    credentials,
    cloud,
    config,
    logger: pino({ level: "info" }, sink),
    random: () => 0.5,
  });
});
afterEach(async () => {
  await agent.stop();
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Error lines carrying CLOUD_ACK_MISMATCH (pino writes synchronously to a Writable it is given). */
function mismatchLines(): Record<string, unknown>[] {
  return lines.filter((l) => l.level === 50 && l.code === "CLOUD_ACK_MISMATCH");
}

describe("ack matching", () => {
  it("takes honest acks: ACKED and SYNCED", async () => {
    const ids = seal(3);
    expect(await agent.drain()).toEqual({ kind: "uploaded", items: 3 });
    expect(queue.summary()).toMatchObject({ acked: 3, pending: 0 });
    expect(statesOf(ids)).toEqual(["SYNCED", "SYNCED", "SYNCED"]);
  });

  it("refuses an ack whose record_hash is not the hash of the record sent", async () => {
    const ids = seal(3);
    const other = toBase64Url(sha256(new TextEncoder().encode("another record")));
    cloud.acks = (items) => items.map((i) => ({ ...honest(i), record_hash: other }));
    const step = await agent.drain();
    expect(step).toMatchObject({ kind: "failed", outcome: "cloud-error" });
    expect(queue.summary()).toMatchObject({ acked: 0, pending: 3, failed: 0 });
    expect(statesOf(ids)).toEqual(["DELIVERED", "DELIVERED", "DELIVERED"]);
    const rows = queue.list("PENDING", 0, 10);
    expect(rows.map((r) => r.cloud_failures)).toEqual([1, 1, 1]);
    expect(rows[0]!.last_error).toContain("CLOUD_ACK_MISMATCH");
    expect(agent.counters.ackMismatches).toBe(3);
    expect(agent.health().ackMismatches).toBe(3);
    expect(agent.conditions().find((c) => c.code === "CLOUD_ACK_MISMATCH")).toMatchObject({
      severity: "error",
    });
    const logged = mismatchLines();
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({
      errorCode: 507,
      item: { reason: "hash-mismatch", fiscal_number: 1, record_hash: other },
    });
    expect(attempts.latest(1)[0]).toMatchObject({ outcome: "cloud-error", accepted: 0 });
    expect(attempts.latest(1)[0]!.error).toContain("E507 CLOUD_ACK_MISMATCH");
  });

  it("refuses an ack for a fiscal number that was not in the batch", async () => {
    const ids = seal(2);
    cloud.acks = (items) => items.map((i) => ({ ...honest(i), fiscal_number: i.fiscal_number + 100 }));
    await agent.drain();
    expect(queue.summary()).toMatchObject({ acked: 0, pending: 2 });
    expect(statesOf(ids)).toEqual(["DELIVERED", "DELIVERED"]);
    expect(mismatchLines().map((l) => (l.item as { reason: string }).reason)).toEqual([
      "not-in-batch",
      "not-in-batch",
    ]);
    expect(agent.counters.ackMismatches).toBe(2);
  });

  it('refuses an ack with an outcome outside the contract, such as "ok"', async () => {
    const ids = seal(2);
    cloud.acks = (items) => items.map((i) => ({ ...honest(i), outcome: "ok" }));
    await agent.drain();
    expect(queue.summary()).toMatchObject({ acked: 0, pending: 2, failed: 0 });
    expect(statesOf(ids)).toEqual(["DELIVERED", "DELIVERED"]);
    expect(agent.counters.ackMismatches).toBe(2);
  });

  it("takes neither of two acks for the same item, and still takes the honest ack of another", async () => {
    const ids = seal(2);
    cloud.acks = (items) => [
      honest(items[0]!),
      honest(items[1]!),
      { ...honest(items[1]!), outcome: "rejected" },
    ];
    await agent.drain();
    expect(statesOf(ids)).toEqual(["SYNCED", "DELIVERED"]);
    expect(queue.summary()).toMatchObject({ acked: 1, pending: 1, failed: 0 });
    expect(mismatchLines().map((l) => (l.item as { reason: string }).reason)).toEqual([
      "repeated",
      "repeated",
    ]);
  });

  it("retries the refused rows after the backoff and takes an honest answer then", async () => {
    const ids = seal(2);
    const honestAcks = cloud.acks;
    cloud.acks = (items) => items.map((i) => ({ ...honest(i), fiscal_number: 999 }));
    agent.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(cloud.requests).toHaveLength(1);
    // First backoff step with jitter 0.5 and random 0.5: 750 ms; nothing is sent before.
    await vi.advanceTimersByTimeAsync(700);
    expect(cloud.requests).toHaveLength(1);
    cloud.acks = honestAcks;
    await vi.advanceTimersByTimeAsync(100);
    expect(cloud.requests).toHaveLength(2);
    expect(statesOf(ids)).toEqual(["SYNCED", "SYNCED"]);
    expect(agent.conditions().map((c) => c.code)).not.toContain("CLOUD_ACK_MISMATCH");
  });
});
