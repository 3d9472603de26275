/**
 * The agent's timing and failure rules against a scripted cloud, with fake timers: exponential
 * backoff with jitter, FAILED after the configured number of cloud errors, an unreachable cloud never
 * failing an invoice, and the status conditions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../daemon/store/cloud-credential.js";
import { type Db, openDatabase } from "../../daemon/store/database.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { SyncAttemptLog } from "../../daemon/store/sync-log.js";
import { SyncQueue } from "../../daemon/store/sync-queue.js";
import { SyncAgent } from "../../daemon/sync/agent.js";
import { backoffDelayMs } from "../../daemon/sync/backoff.js";
import { syncConditions } from "../../daemon/sync/conditions.js";
import { resolveSyncConfig } from "../../daemon/sync/config.js";
import type { UploadRequest, UploadResponse } from "../../daemon/sync/contract.js";
import { recordHashOf } from "../../daemon/sync/upload-items.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { FiscalError, fromBase64Url } from "../../protocol/index.js";
import { SHOP, UploadOnlyCloud } from "./fixtures.js";

const config = resolveSyncConfig({
  backoffBaseMs: 1_000,
  backoffMaxMs: 8_000,
  backoffJitter: 0.5,
  maxAttempts: 3,
  pollIntervalMs: 500,
});

/** A cloud whose answers the test scripts; it records when each upload arrived. */
class ScriptedCloud extends UploadOnlyCloud {
  calls: number[] = [];
  answer: (req: UploadRequest) => UploadResponse = (req) => ({
    acks: req.items.map((i) => ({
      device_id: i.device_id,
      fiscal_number: i.fiscal_number,
      record_hash: recordHashOf(fromBase64Url(i.record)),
      outcome: "accepted",
      dgi_status: null,
    })),
  });
  async upload(_c: string, req: UploadRequest): Promise<UploadResponse> {
    this.calls.push(Date.now());
    return this.answer(req);
  }
}

let dir: string;
let db: Db;
let queue: SyncQueue;
let cloud: ScriptedCloud;
let agent: SyncAgent;

function seal(n: number): void {
  const store = new InvoiceStore(db);
  const device = new SyntheticDevice("SYN-DEF-9", SHOP);
  device.activate(new Uint8Array(8));
  for (let i = 0; i < n; i++) {
    const { record, sealed } = device.seal("CASHIER-1");
    store.importRecord(record, sealed);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  dir = mkdtempSync(join(tmpdir(), "stalela-agent-"));
  db = openDatabase(join(dir, "d.sqlite"));
  const audit = new AuditLog(db);
  const credentials = new CloudCredentialStore(db, audit);
  credentials.replace("SYN-DEF-9", "stc_test", "test");
  queue = new SyncQueue(db, new InvoiceStore(db));
  cloud = new ScriptedCloud();
  agent = new SyncAgent({
    queue,
    attempts: new SyncAttemptLog(db),
    credentials,
    cloud,
    config,
    logger: pino({ level: "silent" }),
    random: () => 0.5,
  });
});
afterEach(async () => {
  await agent.stop();
  vi.useRealTimers();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("backoff", () => {
  it("doubles from the base up to the cap, with the configured jitter share", () => {
    const p = { backoffBaseMs: 1_000, backoffMaxMs: 8_000, backoffJitter: 0.5 };
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelayMs(p, n, () => 0))).toEqual([
      1_000, 2_000, 4_000, 8_000, 8_000, 8_000,
    ]);
    expect(backoffDelayMs(p, 3, () => 0.999_999)).toBe(2_000);
    expect(backoffDelayMs({ ...p, backoffJitter: 0 }, 3, () => 0.7)).toBe(4_000);
  });

  it("retries a failing cloud at base·2^k·(1 − jitter·r) and marks the batch FAILED after maxAttempts", async () => {
    seal(5);
    cloud.answer = () => {
      throw new FiscalError("CLOUD_REJECTED", "HTTP 500", { status: 500 });
    };
    const t0 = Date.now();
    agent.start();
    await vi.advanceTimersByTimeAsync(20_000);
    // delays with random 0.5 and jitter 0.5: 750, 1500 ms; the third error makes the rows FAILED.
    expect(cloud.calls.map((t) => t - t0)).toEqual([0, 750, 2_250]);
    expect(queue.summary()).toMatchObject({ pending: 0, failed: 5 });
    expect(agent.conditions().map((c) => c.code)).toContain("SYNC_FAILED");
    expect(queue.list("FAILED", 0, 10)[0]).toMatchObject({
      attempts: 3,
      cloud_failures: 3,
      last_error: expect.stringContaining("HTTP 500"),
    });
  });

  it("never fails an invoice while the cloud is merely unreachable, and drains when it is back", async () => {
    seal(3);
    let down = true;
    const accept = cloud.answer;
    cloud.answer = (req) => {
      if (down) throw new FiscalError("CLOUD_UNREACHABLE", "ECONNREFUSED", { kind: "unreachable" });
      return accept(req);
    };
    agent.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cloud.calls.length).toBeGreaterThan(5);
    expect(queue.summary()).toMatchObject({ pending: 3, failed: 0 });
    expect(agent.conditions().map((c) => c.code)).toContain("CLOUD_UNREACHABLE");
    down = false;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(queue.summary()).toMatchObject({ pending: 0, acked: 3 });
    expect(agent.conditions().map((c) => c.code)).not.toContain("CLOUD_UNREACHABLE");
  });
});

describe("pipelined drain", () => {
  /** A cloud that answers each upload one macrotask later, counting how many are open at once. */
  class SlowCloud extends ScriptedCloud {
    open = 0;
    maxOpen = 0;
    numbers: number[] = [];
    override async upload(c: string, req: UploadRequest): Promise<UploadResponse> {
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      this.numbers.push(...req.items.map((i) => i.fiscal_number));
      try {
        await new Promise((r) => setImmediate(r));
        return await super.upload(c, req);
      } finally {
        this.open--;
      }
    }
  }

  function agentWith(slow: ScriptedCloud, inFlight: number): SyncAgent {
    const credentials = new CloudCredentialStore(db, new AuditLog(db));
    return new SyncAgent({
      queue,
      attempts: new SyncAttemptLog(db),
      credentials,
      cloud: slow,
      config: { ...config, batchSize: 10, inFlight },
      logger: pino({ level: "silent" }),
      random: () => 0.5,
    });
  }

  it.each([1, 2, 3])(
    "keeps at most %i uploads open and sends every invoice exactly once",
    async (inFlight) => {
      seal(95);
      const slow = new SlowCloud();
      const drained = await agentWith(slow, inFlight).drain();
      expect(drained).toEqual({ kind: "uploaded", items: 95 });
      expect(slow.maxOpen).toBe(inFlight);
      expect(slow.calls).toHaveLength(10);
      expect([...slow.numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
      expect(queue.summary()).toMatchObject({ pending: 0, acked: 95 });
      expect(new SyncAttemptLog(db).totals()).toMatchObject({ attempts: 10, accepted: 95 });
    },
  );

  it("stops sending when a batch fails, records the batch in flight too, and steps the backoff once", async () => {
    seal(40);
    const slow = new SlowCloud();
    slow.answer = () => {
      throw new FiscalError("CLOUD_UNREACHABLE", "ECONNREFUSED", { kind: "unreachable" });
    };
    const pipelined = agentWith(slow, 2);
    // Both batches open together fail together: one backoff step (750 ms), not two (1,500 ms).
    expect(await pipelined.drain()).toEqual({ kind: "failed", outcome: "unreachable", waitMs: 750 });
    expect(slow.calls).toHaveLength(2);
    expect(queue.list("PENDING", 0, 100).filter((r) => r.attempts === 1)).toHaveLength(20);
    expect(await pipelined.drain()).toMatchObject({ kind: "waiting" });
    await vi.advanceTimersByTimeAsync(750);
    expect(await pipelined.drain()).toEqual({ kind: "failed", outcome: "unreachable", waitMs: 1_500 });
  });

  it("applies the acks of the batch that succeeded next to one that failed", async () => {
    seal(40);
    const slow = new SlowCloud();
    const accept = slow.answer;
    let call = 0;
    slow.answer = (req) => {
      if (call++ === 0) throw new FiscalError("CLOUD_REJECTED", "HTTP 500", { status: 500 });
      return accept(req);
    };
    expect(await agentWith(slow, 2).drain()).toMatchObject({ kind: "failed", outcome: "cloud-error" });
    expect(slow.calls).toHaveLength(2);
    expect(queue.summary()).toMatchObject({ acked: 10, pending: 30, failed: 0 });
    expect(queue.list("PENDING", 0, 100).filter((r) => r.cloud_failures === 1)).toHaveLength(10);
  });

  it("reads both answers when two uploads settle in the same tick", async () => {
    seal(40);
    const held: (() => void)[] = [];
    const gated = new ScriptedCloud();
    const scripted = gated.answer;
    gated.answer = (req) => {
      if (gated.calls.length === 2)
        throw new FiscalError("CLOUD_UNREACHABLE", "reset", { kind: "unreachable" });
      return scripted(req);
    };
    const upload = gated.upload.bind(gated);
    gated.upload = async (c, req) => {
      await new Promise<void>((release) => held.push(release));
      return upload(c, req);
    };
    const drained = agentWith(gated, 2).drain();
    while (held.length < 2) await new Promise((r) => setImmediate(r));
    for (const release of held.splice(0)) release();
    // The second answer is a failure: the drain must see it and send nothing more.
    expect(await drained).toMatchObject({ kind: "failed", outcome: "unreachable" });
    expect(gated.calls).toHaveLength(2);
    expect(queue.summary()).toMatchObject({ acked: 10, pending: 30 });
  });

  it("sends no new batch after stop(), and the batches in flight still land", async () => {
    seal(60);
    const slow = new SlowCloud();
    const pipelined = agentWith(slow, 2);
    const drained = pipelined.drain();
    await pipelined.stop();
    expect(await drained).toEqual({ kind: "uploaded", items: 20 });
    expect(slow.calls).toHaveLength(2);
    expect(queue.summary()).toMatchObject({ acked: 20, pending: 40 });
  });
});

describe("backlog in status", () => {
  it("shows the backlog that waits while the daemon has no cloud credential, at once", async () => {
    const unactivated = new SyncAgent({
      queue,
      attempts: new SyncAttemptLog(db),
      credentials: { current: () => undefined, replace: () => {} },
      cloud,
      config,
      logger: pino({ level: "silent" }),
    });
    expect(unactivated.conditions()).toEqual([]);
    seal(3);
    expect(unactivated.health().summary.pending).toBe(3);
    expect(unactivated.conditions().map((c) => c.code)).toEqual(["CLOUD_NOT_ACTIVATED"]);
    expect(await unactivated.drain()).toEqual({ kind: "idle" });
    expect(cloud.calls).toEqual([]);
  });
});

describe("status conditions", () => {
  const base = {
    startedAt: 0,
    lastContactAt: undefined,
    unreachableSince: undefined,
    credentialRefusedAt: undefined,
    hasCredential: true,
    cloudConfigured: true,
    ackMismatchSince: undefined,
    ackMismatches: 0,
    summary: { pending: 0, failed: 0, acked: 0, oldestPendingAt: null },
  };
  const thresholds = { pendingWarnMs: 3_600_000, offlineWarnDays: 7 };
  const day = 86_400_000;

  it("warns for uploads pending longer than the configured age", () => {
    const summary = { ...base.summary, pending: 4, oldestPendingAt: 0 };
    expect(
      syncConditions({ ...base, lastContactAt: 0, summary }, thresholds, 3_600_001).map((c) => c.code),
    ).toEqual(["SYNC_PENDING_TOO_LONG"]);
    expect(syncConditions({ ...base, lastContactAt: 0, summary }, thresholds, 3_599_000)).toEqual([]);
  });

  it("warns after N days without a successful cloud contact", () => {
    expect(syncConditions({ ...base, lastContactAt: day }, thresholds, 8 * day).map((c) => c.code)).toEqual([
      "CLOUD_OFFLINE_DAYS",
    ]);
    expect(syncConditions({ ...base, lastContactAt: 2 * day }, thresholds, 8 * day)).toEqual([]);
  });

  it("warns when invoices wait but the daemon has no cloud credential", () => {
    const summary = { ...base.summary, pending: 1, oldestPendingAt: 0 };
    const codes = syncConditions({ ...base, hasCredential: false, summary }, thresholds, 1_000).map(
      (c) => c.code,
    );
    expect(codes).toEqual(["CLOUD_NOT_ACTIVATED"]);
  });
});

describe("sync configuration", () => {
  it("has working defaults and refuses values out of range with a coded error", () => {
    expect(resolveSyncConfig()).toMatchObject({
      batchSize: 100,
      inFlight: 3,
      maxAttempts: 10,
      offlineWarnDays: 7,
    });
    expect(() => resolveSyncConfig({ batchSize: 0 })).toThrow(/E303 FIELD_RANGE/);
    expect(() => resolveSyncConfig({ inFlight: 9 })).toThrow(/E303 FIELD_RANGE/);
    expect(() => resolveSyncConfig({ endpoint: "ftp://x" })).toThrow(/E302 FIELD_TYPE/);
    expect(() => resolveSyncConfig({ backoffBaseMs: 5_000, backoffMaxMs: 2_000 })).toThrow(/FIELD_RANGE/);
  });
});
