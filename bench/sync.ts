/**
 * bench/sync: drain rate of a large outbox backlog to the cloud emulator on loopback, and the sync
 * process's RSS while draining next to its idle RSS. The cloud emulator runs as its own process
 * (`stalela cloud-emulator`, from dist/) so its memory is not counted; this process holds the daemon
 * store and the sync agent only. The backlog is real sealed records (protocol's sealRecord, signed
 * by a synthetic device the cloud knows), so the cloud verifies every signature as in production.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { AuditLog } from "../daemon/store/audit.js";
import { CloudCredentialStore } from "../daemon/store/cloud-credential.js";
import { openDatabase } from "../daemon/store/database.js";
import { InvoiceStore } from "../daemon/store/invoice-store.js";
import { SyncAttemptLog } from "../daemon/store/sync-log.js";
import { SyncQueue } from "../daemon/store/sync-queue.js";
import { SyncAgent } from "../daemon/sync/agent.js";
import { CloudClient, type CloudPort } from "../daemon/sync/client.js";
import { DEFAULT_SYNC_CONFIG, resolveSyncConfig } from "../daemon/sync/config.js";
import { SyntheticDevice } from "../emulator/cloud/synthetic.js";
import { fromBase64Url, toBase64Url } from "../protocol/index.js";
import { fmt, isMain } from "./measure.js";
import { CLI_MAIN } from "./processes.js";

/** Backlog size by default. */
export const SYNC_BENCH_INVOICES = 100_000;
/** Batch size by default (the daemon's default). */
export const SYNC_BENCH_BATCH = 100;
/** Upload requests in flight by default (the daemon's default). */
export const SYNC_BENCH_IN_FLIGHT = DEFAULT_SYNC_CONFIG.inFlight;
/** Records sealed per seeding transaction. */
const SEED_CHUNK = 2_000;
/** Cloud emulator threads verifying signatures besides its main thread (the host has 2 cores). */
const VERIFY_THREADS = 1;
/** RSS sampling period during the drain, ms. */
const RSS_SAMPLE_MS = 50;

/** What bench/sync measures. */
export interface SyncBench {
  readonly invoices: number;
  readonly batchSize: number;
  readonly inFlight: number;
  readonly drainSeconds: number;
  readonly invoicesPerSecond: number;
  /** RSS after seeding and a GC, before the drain, MiB. */
  readonly idleRssMiB: number;
  /** Highest RSS sampled during the drain, MiB. */
  readonly peakRssMiB: number;
  /** RSS when 10 % and 90 % of the backlog had drained, MiB: equal when memory does not grow with it. */
  readonly rssAt10PercentMiB: number;
  readonly rssAt90PercentMiB: number;
  /** Live JS heap after a full GC at 10 % and 90 % drained, MiB (needs --expose-gc; 0 without). */
  readonly heapAt10PercentMiB: number;
  readonly heapAt90PercentMiB: number;
  readonly seedSeconds: number;
  /** Share of the drain with an upload open, waiting for the cloud (its verification and storage, HTTP, JSON). */
  readonly cloudShare: number;
}

const SHOP = { merchant_nif: "A1234567B", outlet_id: "OUTLET-B", fiscal_authority_id: "DGI-KIN-01" };
const MiB = 1024 * 1024;

async function spawnCloud(stateDir: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      "cloud-emulator",
      "--port",
      "0",
      "--state",
      stateDir,
      "--verify-threads",
      String(VERIFY_THREADS),
      "--issue-code",
      `BENCH-CODE:${SHOP.merchant_nif}:${SHOP.outlet_id}:${SHOP.fiscal_authority_id}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`cloud emulator exited with ${code}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}

/** Seeds `n` sealed invoices, then drains them; returns the measurements. */
export async function runSyncBench(
  n = SYNC_BENCH_INVOICES,
  batchSize = SYNC_BENCH_BATCH,
  inFlight = SYNC_BENCH_IN_FLIGHT,
): Promise<SyncBench> {
  const dir = mkdtempSync(join(tmpdir(), "stalela-bench-sync-"));
  const cloud = await spawnCloud(join(dir, "cloud"));
  const db = openDatabase(join(dir, "daemon.sqlite"));
  try {
    const client = new CloudClient({
      endpoint: cloud.url,
      requestTimeoutMs: 30_000,
      allowInsecureLoopback: true,
    });
    const device = new SyntheticDevice("BENCH-DEF-1", SHOP);
    const claim = await client.claim({
      activation_code: "BENCH-CODE",
      device_id: device.deviceId,
      device_public_key: toBase64Url(device.publicKey),
    });
    const activation = device.activate(fromBase64Url(claim.bundle.bytes));
    await client.registerActivation(claim.credential, device.deviceId, {
      activation: { bytes: toBase64Url(activation.bytes), signature: toBase64Url(activation.signature) },
    });
    const audit = new AuditLog(db);
    const credentials = new CloudCredentialStore(db, audit);
    credentials.replace(device.deviceId, claim.credential, "bench");
    const store = new InvoiceStore(db);
    const seedStart = performance.now();
    for (let done = 0; done < n; done += SEED_CHUNK) {
      db.transaction(() => {
        for (let i = done; i < Math.min(n, done + SEED_CHUNK); i++) {
          const { record, sealed } = device.seal(`CASHIER-${i % 5}`);
          // Delivered to the POS, as a sale normally is, so each ack also pays the move to SYNCED.
          const row = store.importRecord(record, sealed);
          store.transition(row.id, "FISCALIZED", "DELIVERED", { note: "bench" });
        }
      }).immediate();
    }
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const queue = new SyncQueue(db, store);
    const config = resolveSyncConfig({ endpoint: cloud.url, batchSize, inFlight, pollIntervalMs: 50 });
    // Time with at least one upload open: overlapping requests are counted once.
    let cloudMs = 0;
    let open = 0;
    let openedAt = 0;
    const timed: CloudPort = {
      claim: (r) => client.claim(r),
      registerActivation: (c, d, r) => client.registerActivation(c, d, r),
      rotate: (c) => client.rotate(c),
      upload: async (c, r) => {
        if (open++ === 0) openedAt = performance.now();
        try {
          return await client.upload(c, r);
        } finally {
          if (--open === 0) cloudMs += performance.now() - openedAt;
        }
      },
    };
    const agent = new SyncAgent({
      queue,
      attempts: new SyncAttemptLog(db),
      credentials,
      cloud: timed,
      config,
      logger: pino({ level: "silent" }),
    });
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 200));
    const idle = process.memoryUsage().rss;
    let peak = idle;
    let at10 = 0;
    let at90 = 0;
    let heap10 = 0;
    let heap90 = 0;
    const gc = (globalThis as { gc?: () => void }).gc;
    const liveHeap = (): number => {
      if (gc === undefined) return 0;
      gc();
      return process.memoryUsage().heapUsed;
    };
    const sampler = setInterval(() => {
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      const sent = agent.counters.accepted + agent.counters.duplicate;
      if (at10 === 0 && sent >= n * 0.1) {
        at10 = rss;
        heap10 = liveHeap();
      }
      if (at90 === 0 && sent >= n * 0.9) {
        at90 = rss;
        heap90 = liveHeap();
      }
    }, RSS_SAMPLE_MS);
    const start = performance.now();
    // The agent's own drain (its loop without the timers): every due batch, `inFlight` at a time.
    const drained = await agent.drain();
    if (drained.kind !== "uploaded") throw new Error(`the drain ended ${JSON.stringify(drained)}`);
    const drainSeconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    const acked = queue.summary().acked;
    if (acked !== n) throw new Error(`only ${acked} of ${n} invoices were acknowledged`);
    return {
      invoices: n,
      batchSize,
      inFlight,
      drainSeconds,
      invoicesPerSecond: n / drainSeconds,
      idleRssMiB: idle / MiB,
      peakRssMiB: peak / MiB,
      rssAt10PercentMiB: (at10 || peak) / MiB,
      rssAt90PercentMiB: (at90 || peak) / MiB,
      heapAt10PercentMiB: heap10 / MiB,
      heapAt90PercentMiB: heap90 / MiB,
      seedSeconds,
      cloudShare: cloudMs / 1000 / drainSeconds,
    };
  } finally {
    db.close();
    cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  const n = Number(process.argv[2] ?? SYNC_BENCH_INVOICES);
  const batch = Number(process.argv[3] ?? SYNC_BENCH_BATCH);
  const inFlight = Number(process.argv[4] ?? SYNC_BENCH_IN_FLIGHT);
  const r = await runSyncBench(n, batch, inFlight);
  process.stdout.write(
    [
      "| measure | value |",
      "| --- | --- |",
      `| backlog | ${fmt(r.invoices)} sealed invoices, batches of ${r.batchSize}, ${r.inFlight} in flight |`,
      `| drain rate | ${fmt(r.invoicesPerSecond)} invoices/s (${fmt(r.drainSeconds, 1)} s) |`,
      `| RSS idle → peak during drain | ${fmt(r.idleRssMiB, 1)} MiB → ${fmt(r.peakRssMiB, 1)} MiB |`,
      `| RSS at 10 % / 90 % drained | ${fmt(r.rssAt10PercentMiB, 1)} MiB / ${fmt(r.rssAt90PercentMiB, 1)} MiB |`,
      `| live JS heap after GC at 10 % / 90 % drained | ${fmt(r.heapAt10PercentMiB, 1)} MiB / ${fmt(r.heapAt90PercentMiB, 1)} MiB |`,
      `| time with an upload open (waiting for the cloud) | ${fmt(r.cloudShare * 100)} % of the drain |`,
      `| seeding (sealRecord + store, not timed above) | ${fmt(r.seedSeconds, 1)} s |`,
      "",
    ].join("\n"),
  );
}
