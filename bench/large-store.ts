/**
 * bench/large-store: a daemon store seeded with 1,000,000 sealed invoices, then the daemon started on
 * it as a real process. Measures start-up to "listening" and to the first `GET /v1/health` 200,
 * `GET /v1/status` latency (the first `--calls` after ready, then as many again once warm: the target
 * is for the warm ones) and `GET /v1/invoices/{id}` latency (by id and by Idempotency-Key).
 *
 * The records are real: a synthetic device (emulator/cloud/synthetic.ts) seals each with protocol's
 * `sealRecord` and a fresh Ed25519 key, in one hash chain, and `InvoiceStore.importRecord` stores them
 * with their transition and outbox entry, many per immediate transaction. The device is bound in the
 * store. The daemon is pointed at `serial:/nonexistent`, where no device answers: start-up must not
 * wait for the device (the daemon serves at once and connects when the device appears), so this is
 * the start-up a shop sees after a power cut when the device is slower to come back than the PC.
 *
 * The generated store is kept in `$TMPDIR/stalela-bench-large-store-<N>/` and reused while present.
 * Flags: `--invoices N` (default 1,000,000), `--calls N` (default 1,000), `--regenerate`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { STORE_FILE } from "../daemon/daemon.js";
import { AuditLog } from "../daemon/store/audit.js";
import { openDatabase } from "../daemon/store/database.js";
import { DeviceBindingStore } from "../daemon/store/device-binding.js";
import { InvoiceStore } from "../daemon/store/invoice-store.js";
import { SyntheticDevice } from "../emulator/cloud/synthetic.js";
import { numberFlag } from "./flags.js";
import { fmt, isMain, msSince, type Percentiles, percentiles } from "./measure.js";
import { CLI_MAIN } from "./processes.js";

const run = promisify(execFile);
/** Invoices in the large store by default. */
export const LARGE_STORE_INVOICES = 1_000_000;
/** Timed calls per endpoint by default. */
export const LARGE_STORE_CALLS = 1_000;
/** Records sealed and stored per immediate transaction while seeding. */
const SEED_CHUNK = 10_000;
/** Target: start-up to ready (first health 200), ms. */
export const STARTUP_TARGET_MS = 2_000;
/** Target: status p99, ms. */
export const STATUS_P99_TARGET_MS = 5;
/** How long the daemon may take to listen before the bench gives up, ms. */
const LISTEN_TIMEOUT_MS = 60_000;
/** Health polling period while waiting for ready, ms. */
const HEALTH_POLL_MS = 5;

const SHOP = { merchant_nif: "A1234567B", outlet_id: "OUTLET-L", fiscal_authority_id: "DGI-KIN-01" };

/** What bench/large-store measures. */
export interface LargeStoreBench {
  readonly invoices: number;
  readonly dbBytes: number;
  /** Seconds spent generating the store in this run (0 when reused). */
  readonly generatedSeconds: number;
  readonly listeningMs: number;
  readonly readyMs: number;
  /** The first `calls` status calls right after ready: JIT warm-up and start-up work included. */
  readonly statusFirst: Percentiles;
  /** The next `calls`, once warm: the steady state a POS sees, which the target is for. */
  readonly status: Percentiles;
  readonly byId: Percentiles;
  readonly byKey: Percentiles;
  readonly daemonRssMiB: number;
}

/** The state directory of the cached large store with `n` invoices. */
export function largeStoreDir(n: number): string {
  return join(tmpdir(), `stalela-bench-large-store-${n}`);
}

/** The file naming the process generating the store, so a concurrent run waits instead of wiping it. */
const GENERATOR_PID_FILE = "GENERATING.pid";
/** Poll period while another process generates the store, ms. */
const GENERATION_POLL_MS = 1_000;

/**
 * Waits while another live process is generating (or measuring) the store with `n` invoices: two
 * daemons on one store would disturb each other's figures, and a half-made store must not be wiped.
 */
export async function awaitOtherGenerator(n: number): Promise<void> {
  const dir = largeStoreDir(n);
  for (;;) {
    let pid = 0;
    try {
      pid = Number(readFileSync(join(dir, GENERATOR_PID_FILE), "utf8"));
      process.kill(pid, 0);
    } catch {
      return; // no generator, or it died: this process generates
    }
    if (pid === process.pid) return;
    await new Promise((r) => setTimeout(r, GENERATION_POLL_MS));
  }
}

/** Generates the store (unless already present); returns the seconds spent. */
export function generateLargeStore(n: number, regenerate = false): number {
  const dir = largeStoreDir(n);
  const done = join(dir, "COMPLETE");
  if (existsSync(done) && !regenerate) return 0;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, GENERATOR_PID_FILE), String(process.pid));
  const t0 = process.hrtime.bigint();
  const db = openDatabase(join(dir, STORE_FILE));
  try {
    const device = new SyntheticDevice("BENCH-DEF-LARGE", SHOP);
    const activation = device.activate(new Uint8Array(32));
    new DeviceBindingStore(db, new AuditLog(db)).bind(
      {
        deviceId: device.deviceId,
        publicKey: device.publicKey,
        merchantNif: SHOP.merchant_nif,
        outletId: SHOP.outlet_id,
        fiscalAuthorityId: SHOP.fiscal_authority_id,
      },
      activation.bytes,
      "bench",
    );
    const store = new InvoiceStore(db);
    for (let done = 0; done < n; done += SEED_CHUNK) {
      db.transaction(() => {
        for (let i = done; i < Math.min(n, done + SEED_CHUNK); i++) {
          const { record, sealed } = device.seal(`CASHIER-${i % 5}`, 1_000 + (i % 50_000));
          store.importRecord(record, sealed);
        }
      }).immediate();
      if ((done / SEED_CHUNK) % 10 === 0) process.stderr.write(`large-store: ${fmt(done)} / ${fmt(n)}\n`);
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  mkdirSync(done);
  return msSince(t0) / 1000;
}

interface Listening {
  readonly child: ChildProcess;
  readonly url: string;
  readonly listeningMs: number;
}

function startDaemon(stateDir: string): Promise<Listening> {
  const t0 = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [
      CLI_MAIN,
      "daemon",
      "--device",
      "serial:/nonexistent",
      "--state",
      stateDir,
      "--port",
      "0",
      "--log-level",
      "info",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let log = "";
    const timer = setTimeout(() => reject(new Error(`daemon not listening:\n${log}`)), LISTEN_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      log += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, listeningMs: msSince(t0) });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`daemon exited (${code}) before listening:\n${log}`)));
  });
}

async function timedGets(url: string, paths: readonly string[], key: string): Promise<Percentiles> {
  const samples: number[] = [];
  for (const path of paths) {
    const t = process.hrtime.bigint();
    const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    samples.push(msSince(t));
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  }
  return percentiles(samples);
}

/** The daemon process's resident set, MiB, from /proc. */
export function processRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** `calls` random invoices' ids and client refs (the key an imported invoice is found by). */
function sampleInvoices(stateDir: string, n: number, calls: number): { ids: string[]; refs: string[] } {
  const db = openDatabase(join(stateDir, STORE_FILE));
  try {
    const byRowid = db.prepare("SELECT id, client_ref FROM invoices WHERE rowid = ?");
    const ids: string[] = [];
    const refs: string[] = [];
    for (let i = 0; i < calls; i++) {
      const row = byRowid.get(1 + Math.floor(Math.random() * n)) as { id: string; client_ref: string };
      ids.push(row.id);
      refs.push(row.client_ref);
    }
    return { ids, refs };
  } finally {
    db.close();
  }
}

/** Generates (or reuses) the store, starts the daemon on it and times it. */
export async function runLargeStoreBench(
  n = LARGE_STORE_INVOICES,
  calls = LARGE_STORE_CALLS,
  regenerate = false,
): Promise<LargeStoreBench> {
  await awaitOtherGenerator(n);
  const generatedSeconds = generateLargeStore(n, regenerate);
  const stateDir = largeStoreDir(n);
  const { ids, refs } = sampleInvoices(stateDir, n, calls);
  const { stdout } = await run(process.execPath, [
    CLI_MAIN,
    "keys",
    "create",
    "--cashier",
    "BENCH",
    "--state",
    stateDir,
    "--json",
  ]);
  const key = (JSON.parse(stdout) as { key: string }).key;
  const t0 = process.hrtime.bigint();
  const daemon = await startDaemon(stateDir);
  try {
    while ((await fetch(`${daemon.url}/v1/health`).catch(() => undefined))?.status !== 200)
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    const readyMs = msSince(t0);
    // Both timed: the first calls after ready pay the JIT's warm-up (client and daemon) and the
    // daemon's start-up work on 2 cores; a POS polls a daemon that has been up for hours.
    const statusFirst = await timedGets(daemon.url, Array(calls).fill("/v1/status"), key);
    const status = await timedGets(daemon.url, Array(calls).fill("/v1/status"), key);
    const byId = await timedGets(
      daemon.url,
      ids.map((id) => `/v1/invoices/${id}`),
      key,
    );
    const byKey = await timedGets(
      daemon.url,
      refs.map((ref) => `/v1/invoices/${ref}`),
      key,
    );
    const db = join(stateDir, STORE_FILE);
    return {
      invoices: n,
      dbBytes: statSync(db).size + (existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0),
      generatedSeconds,
      listeningMs: daemon.listeningMs,
      readyMs,
      statusFirst,
      status,
      byId,
      byKey,
      daemonRssMiB: processRssMiB(daemon.child.pid!),
    };
  } finally {
    daemon.child.kill("SIGTERM");
    await new Promise((r) => daemon.child.once("exit", r));
  }
}

const ms = (p: Percentiles): string => `p50 ${fmt(p.p50, 2)} ms · p99 ${fmt(p.p99, 2)} ms`;

/** Formats the results as a Markdown table. */
export function formatLargeStoreBench(b: LargeStoreBench): string {
  return [
    "| measure | value | target |",
    "| --- | --- | --- |",
    `| store | ${fmt(b.invoices)} sealed invoices, ${fmt(b.dbBytes / 1024 / 1024)} MiB on disk | |`,
    `| start-up to listening | ${fmt(b.listeningMs)} ms | |`,
    `| start-up to first /v1/health 200 | ${fmt(b.readyMs)} ms | < ${fmt(STARTUP_TARGET_MS)} ms |`,
    `| GET /v1/status, first ${fmt(b.statusFirst.count)} calls after ready | ${ms(b.statusFirst)} | |`,
    `| GET /v1/status, next ${fmt(b.status.count)} calls (warm) | ${ms(b.status)} | p99 < ${STATUS_P99_TARGET_MS} ms |`,
    `| GET /v1/invoices/{id}, random ids | ${ms(b.byId)} | |`,
    `| GET /v1/invoices/{key}, random client refs | ${ms(b.byKey)} | |`,
    `| daemon RSS after the calls | ${fmt(b.daemonRssMiB, 1)} MiB | |`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  const r = await runLargeStoreBench(
    numberFlag("invoices", LARGE_STORE_INVOICES),
    numberFlag("calls", LARGE_STORE_CALLS),
    process.argv.includes("--regenerate"),
  );
  if (r.generatedSeconds > 0) console.log(`generated in ${fmt(r.generatedSeconds, 1)} s`);
  console.log(formatLargeStoreBench(r));
}
