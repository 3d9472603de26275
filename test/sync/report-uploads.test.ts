/**
 * Report uploads (docs/CLOUD_API.md §Report upload): the Z and A reports DayReports makes on the
 * emulated DEF and stores reach the cloud emulator and are marked uploaded when their ack verifies; a
 * lost ack is settled by a re-send the cloud answers as a duplicate; an outage only delays them; a
 * cloud that lies about a report (an ack for another number, or another report's hash) is
 * CLOUD_ACK_MISMATCH and the report stays pending; a rejected report is set aside until a manual
 * retry; and invoices flow whatever happens to the reports, a hung report request included.
 *
 * The deterministic cases drive their own agent (injected clock, fixed jitter) with drain() and
 * drainReports(), the harness's agent stopped once the device is activated.
 */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DayReports } from "../../daemon/reports/day-reports.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../daemon/store/cloud-credential.js";
import { FiscalReports } from "../../daemon/store/fiscal-reports.js";
import { SyncAttemptLog } from "../../daemon/store/sync-log.js";
import { SyncQueue } from "../../daemon/store/sync-queue.js";
import { SyncAgent } from "../../daemon/sync/agent.js";
import { backoffDelayMs } from "../../daemon/sync/backoff.js";
import { CloudClient } from "../../daemon/sync/client.js";
import { resolveSyncConfig } from "../../daemon/sync/config.js";
import type {
  ReportAck,
  ReportUploadRequest,
  ReportUploadResponse,
  UploadedReportKind,
  UploadRequest,
  UploadResponse,
} from "../../daemon/sync/contract.js";
import { UPLOADED_REPORT_KINDS } from "../../daemon/sync/contract.js";
import { FiscalError, sha256, toBase64Url } from "../../protocol/index.js";
import { TEST_SFE } from "../daemon/fiscal/harness.js";
import { FAST_SYNC, SyncHarness, UploadOnlyCloud } from "./fixtures.js";

const config = resolveSyncConfig({ ...FAST_SYNC, maxAttempts: 3 });
const delay = (failures: number) => backoffDelayMs(config, failures, () => 0.5);

/**
 * The cloud emulator through the daemon's client, with report answers the test may rewrite, refuse,
 * or hold (a report request that never answers until released).
 */
class ReportCloud extends UploadOnlyCloud {
  reportRequests: ReportUploadRequest[] = [];
  rewrite: (acks: ReportAck[]) => ReportAck[] = (acks) => acks;
  refuse: (() => Error) | undefined;
  hold = false;
  private held: (() => void)[] = [];

  constructor(readonly real: CloudClient) {
    super();
  }

  upload(credential: string, request: UploadRequest): Promise<UploadResponse> {
    return this.real.upload(credential, request);
  }

  async uploadReports(
    credential: string,
    deviceId: string,
    request: ReportUploadRequest,
  ): Promise<ReportUploadResponse> {
    this.reportRequests.push(request);
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.refuse !== undefined) throw this.refuse();
    const answer = await this.real.uploadReports(credential, deviceId, request);
    return { acks: this.rewrite(answer.acks) };
  }

  /** Lets the held report requests go on (to `refuse`, when set). */
  release(): void {
    this.hold = false;
    for (const go of this.held.splice(0)) go();
  }
}

let h: SyncHarness;
let day: DayReports;
let reports: FiscalReports;
let cloud: ReportCloud;
let agent: SyncAgent;
let clock: number;
let lines: Record<string, unknown>[];

function recordingLogger(): Logger {
  lines = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return pino({ level: "info" }, sink);
}

/** An agent of the test's own on the harness's store and cloud, on `now` (the test's clock by default). */
function agentOn(now: () => number = () => clock): SyncAgent {
  return new SyncAgent({
    queue: new SyncQueue(h.db, h.store),
    attempts: new SyncAttemptLog(h.db),
    credentials: new CloudCredentialStore(h.db, new AuditLog(h.db)),
    cloud,
    reports,
    config,
    logger: recordingLogger(),
    now,
    random: () => 0.5,
  });
}

function pending(): string[] {
  return reports
    .pendingUpload(h.device.deviceId, UPLOADED_REPORT_KINDS, 100)
    .map((r) => `${r.kind} ${r.number}`);
}

function stored(kind: UploadedReportKind, number: number) {
  return reports.get(h.device.deviceId, kind, number)!;
}

const hashOf = (record: Uint8Array) => toBase64Url(sha256(record));

/** Sells `sales` and closes the day: DayReports makes the next Z on the device and stores it. */
async function closeDay(sales: number): Promise<void> {
  await h.sell(sales);
  await day.closeDay("test");
}

beforeEach(async () => {
  h = await new SyncHarness().start();
  await h.activate();
  reports = new FiscalReports(h.db);
  day = new DayReports({
    reports,
    invoices: h.store,
    device: h.port,
    identity: h.identity,
    isf: () => TEST_SFE.isf,
    audit: new AuditLog(h.db),
  });
  cloud = new ReportCloud(
    new CloudClient({ endpoint: h.cloud.url, requestTimeoutMs: 2_000, allowInsecureLoopback: true }),
  );
  clock = 1_800_000_000_000;
});
afterEach(async () => {
  cloud?.release();
  await agent?.stop();
  await h?.stop();
});

describe("report uploads", () => {
  it("uploads the Z and A reports the day makes, oldest first, and marks them uploaded on a verified ack", async () => {
    // The harness's own agent (CloudSync reads the store's reports itself) does it in the background.
    await closeDay(3);
    await closeDay(2);
    const a = await day.articles("test");
    await h.until(() => h.cloud.reports().length === 3 && h.cloud.invoices().length === 5);
    await h.until(() => pending().length === 0);
    const deviceId = h.device.deviceId;
    expect(h.cloud.reports(deviceId).map((r) => [r.kind, r.number, r.record_hash])).toEqual([
      ["A_REPORT", a.number, hashOf(stored("A_REPORT", 1).sealed.record)],
      ["Z_REPORT", 1, hashOf(stored("Z_REPORT", 1).sealed.record)],
      ["Z_REPORT", 2, hashOf(stored("Z_REPORT", 2).sealed.record)],
    ]);
    expect(h.cloud.reports(deviceId, "Z_REPORT")[1]).toMatchObject({
      after_fiscal_number: 5,
      first_fiscal_number: 4,
      last_fiscal_number: 5,
    });
    for (const r of [stored("Z_REPORT", 1), stored("Z_REPORT", 2), stored("A_REPORT", 1)]) {
      expect(r.uploadedAt).not.toBeNull();
    }
    expect(h.cloud.reportCounters).toMatchObject({ accepted: 3, duplicate: 0, rejected: 0 });
    expect(h.sync.parts.agent.counters).toMatchObject({ reportsAccepted: 3, reportsRejected: 0 });
  });

  describe("with the test's own agent", () => {
    beforeEach(async () => {
      await h.sync.stop();
      agent = agentOn();
    });

    it("sends them oldest first in one request and marks uploaded_at with the agent's clock", async () => {
      await closeDay(1);
      await closeDay(1);
      await day.articles("test");
      expect(pending()).toEqual(["Z_REPORT 1", "Z_REPORT 2", "A_REPORT 1"]);
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 3 });
      expect(cloud.reportRequests.map((r) => r.reports.map((i) => `${i.kind} ${i.number}`))).toEqual([
        ["Z_REPORT 1", "Z_REPORT 2", "A_REPORT 1"],
      ]);
      expect(pending()).toEqual([]);
      expect(stored("Z_REPORT", 2).uploadedAt).toBe(clock);
      expect(await agent.drainReports()).toEqual({ kind: "idle" });
      expect(cloud.reportRequests).toHaveLength(1);
    });

    it("settles a lost ack by a re-send the cloud answers as a duplicate: one report, not two", async () => {
      await closeDay(2);
      h.cloud.setFaults({ lose_ack_next: 1 });
      expect(await agent.drainReports()).toEqual({
        kind: "failed",
        outcome: "unreachable",
        waitMs: delay(1),
      });
      expect(h.cloud.reports()).toHaveLength(1);
      expect(pending()).toEqual(["Z_REPORT 1"]);
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({
        attempts: 1,
        cloudFailures: 0,
        setAside: false,
      });
      // Not before its retry time.
      expect(await agent.drainReports()).toEqual({ kind: "waiting", waitMs: delay(1) });
      clock += delay(1);
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 1 });
      expect(h.cloud.reports()).toHaveLength(1);
      expect(h.cloud.reportCounters).toMatchObject({ accepted: 1, duplicate: 1, rejected: 0 });
      expect(agent.counters).toMatchObject({
        reportsAccepted: 0,
        reportsDuplicate: 1,
        failedReportAttempts: 1,
      });
      expect(pending()).toEqual([]);
      expect(agent.reportState("Z_REPORT", 1)).toBeUndefined();
    });

    it("delivers them once a cloud that was down is back, with the backoff stepping meanwhile", async () => {
      await closeDay(1);
      h.cloud.setFaults({ down: true });
      for (let k = 1; k <= 4; k++) {
        expect(await agent.drainReports()).toEqual({
          kind: "failed",
          outcome: "unreachable",
          waitMs: delay(k),
        });
        clock += delay(k);
      }
      expect(agent.conditions().map((c) => c.code)).toContain("CLOUD_UNREACHABLE");
      // An unreachable cloud never gives a report up, whatever maxAttempts says.
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({
        attempts: 4,
        cloudFailures: 0,
        setAside: false,
      });
      expect(pending()).toEqual(["Z_REPORT 1"]);
      h.cloud.setFaults({ down: false });
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 1 });
      expect(h.cloud.reports().map((r) => r.number)).toEqual([1]);
      expect(pending()).toEqual([]);
      expect(agent.conditions().map((c) => c.code)).not.toContain("CLOUD_UNREACHABLE");
    });

    it("takes no ack for another number: CLOUD_ACK_MISMATCH, logged and counted, the report stays pending", async () => {
      await closeDay(1);
      cloud.rewrite = (acks) => acks.map((a) => ({ ...a, number: a.number + 1 }));
      expect(await agent.drainReports()).toEqual({
        kind: "failed",
        outcome: "cloud-error",
        waitMs: delay(1),
      });
      expect(pending()).toEqual(["Z_REPORT 1"]);
      expect(stored("Z_REPORT", 1).uploadedAt).toBeNull();
      expect(agent.counters.ackMismatches).toBe(1);
      expect(agent.conditions().find((c) => c.code === "CLOUD_ACK_MISMATCH")).toMatchObject({
        severity: "error",
        params: { count: 1 },
      });
      const logged = lines.filter((l) => l.level === 50 && l.code === "CLOUD_ACK_MISMATCH");
      expect(logged).toEqual([
        expect.objectContaining({
          errorCode: 507,
          item: expect.objectContaining({ reason: "not-in-batch", kind: "Z_REPORT", number: 2 }),
        }),
      ]);
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({ cloudFailures: 1, setAside: false });
    });

    it("takes no ack carrying another report's hash; an honest answer then clears the condition", async () => {
      await closeDay(1);
      await closeDay(1);
      // Each ack names its report but carries the other one's hash.
      cloud.rewrite = (acks) => acks.map((a, i) => ({ ...a, record_hash: acks[1 - i]!.record_hash }));
      expect(await agent.drainReports()).toMatchObject({ kind: "failed", outcome: "cloud-error" });
      expect(pending()).toEqual(["Z_REPORT 1", "Z_REPORT 2"]);
      expect(agent.counters.ackMismatches).toBe(2);
      const reasons = lines
        .filter((l) => l.code === "CLOUD_ACK_MISMATCH")
        .map((l) => (l.item as { reason: string }).reason);
      expect(reasons).toEqual(["hash-mismatch", "hash-mismatch"]);
      expect(agent.reportState("Z_REPORT", 2)!.lastError).toContain("E507 CLOUD_ACK_MISMATCH");
      // The cloud stored them: honest again, it answers duplicates, which are taken.
      cloud.rewrite = (acks) => acks;
      clock += delay(1);
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 2 });
      expect(pending()).toEqual([]);
      expect(agent.conditions().map((c) => c.code)).not.toContain("CLOUD_ACK_MISMATCH");
    });

    it("sets a rejected report aside, sends the next one, and sends it again after a manual retry", async () => {
      await closeDay(1);
      await closeDay(1);
      cloud.rewrite = (acks) =>
        acks.map((a) => (a.number === 1 ? { ...a, outcome: "rejected", reason: "not today" } : a));
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 2 });
      expect(pending()).toEqual(["Z_REPORT 1"]);
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({
        setAside: true,
        lastError: "rejected by the cloud: not today",
      });
      expect(agent.counters).toMatchObject({ reportsRejected: 1, reportsAccepted: 1 });
      // Set aside: not sent again, and it holds nothing back.
      await closeDay(1);
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 1 });
      expect(cloud.reportRequests.at(-1)!.reports.map((r) => r.number)).toEqual([3]);
      expect(await agent.drainReports()).toEqual({ kind: "idle" });
      cloud.rewrite = (acks) => acks;
      expect(agent.retry()).toBe(1);
      expect(await agent.drainReports()).toEqual({ kind: "uploaded", items: 1 });
      expect(pending()).toEqual([]);
    });

    it("sets a report aside after maxAttempts cloud errors", async () => {
      await closeDay(1);
      cloud.refuse = () => new FiscalError("CLOUD_REJECTED", "answered 500: injected");
      for (let k = 1; k <= config.maxAttempts; k++) {
        expect(await agent.drainReports()).toMatchObject({ kind: "failed", outcome: "cloud-error" });
        clock += delay(k);
      }
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({ cloudFailures: 3, setAside: true });
      expect(await agent.drainReports()).toEqual({ kind: "idle" });
      expect(cloud.reportRequests).toHaveLength(config.maxAttempts);
      expect(pending()).toEqual(["Z_REPORT 1"]);
    });

    it("keeps invoices flowing while every report upload fails", async () => {
      await closeDay(2);
      cloud.refuse = () => new FiscalError("CLOUD_REJECTED", "answered 500: injected");
      expect(await agent.drainReports()).toMatchObject({ kind: "failed", outcome: "cloud-error" });
      await h.sell(3);
      // The invoice lane has its own backoff: a report failure does not make it wait.
      expect(await agent.drain()).toEqual({ kind: "uploaded", items: 5 });
      expect(await agent.drainReports()).toMatchObject({ kind: "waiting" });
      expect(new SyncQueue(h.db, h.store).summary()).toMatchObject({ pending: 0, acked: 5 });
      expect(h.cloud.invoices()).toHaveLength(5);
      expect(h.cloud.reports()).toEqual([]);
      expect(pending()).toEqual(["Z_REPORT 1"]);
      // The invoice attempts log has the invoice batches only.
      expect(new SyncAttemptLog(h.db).latest().map((a) => a.outcome)).toEqual(["ok"]);
    });

    it("keeps invoices flowing while a report request hangs (the running agent's two loops)", async () => {
      await h.sell(1);
      await day.closeDay("test");
      cloud.hold = true;
      agent = agentOn(Date.now);
      agent.start();
      await h.until(() => cloud.reportRequests.length === 1);
      await h.sell(4);
      await h.until(() => h.cloud.invoices().length === 5);
      expect(cloud.reportRequests).toHaveLength(1);
      expect(pending()).toEqual(["Z_REPORT 1"]);
      cloud.refuse = () => new FiscalError("CLOUD_UNREACHABLE", "timeout");
      cloud.release();
      await agent.stop();
      expect(agent.reportState("Z_REPORT", 1)).toMatchObject({ setAside: false });
      expect(pending()).toEqual(["Z_REPORT 1"]);
    });
  });
});
