/**
 * The I/O half of `stalela doctor`: looks at this machine and collects DoctorObservations for the pure
 * judgement in report.ts. Every probe is bounded by a timeout and turns its failure into an
 * observation, so one broken part never hides the others.
 */
import { constants, existsSync } from "node:fs";
import { access, statfs } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { SCHEMA_VERSION } from "../../daemon/store/database.js";
import { parseDeviceAddress } from "../../daemon/transport/address.js";
import { STORE_FILE } from "../state.js";
import type { DeviceObservation, DoctorObservations } from "./report.js";

/** Where udev rules are installed: the admin's directory, then the package's. */
export const UDEV_RULE_PATHS = [
  "/etc/udev/rules.d/99-stalela-def.rules",
  "/lib/udev/rules.d/99-stalela-def.rules",
];
/** How long the doctor waits for the device link, in ms. */
export const DOCTOR_DEVICE_TIMEOUT_MS = 3_000;
/** How long it waits for the daemon's and the cloud's HTTP answers, in ms. */
export const DOCTOR_HTTP_TIMEOUT_MS = 3_000;

/** What to look at. */
export interface DoctorTargets {
  readonly deviceUri: string;
  readonly stateDir: string;
  readonly daemonUrl: string;
  readonly cloudUrl: string | null;
  readonly deviceTimeoutMs?: number;
  readonly httpTimeoutMs?: number;
  readonly udevRulePaths?: readonly string[];
}

/** Runs every probe. The device is opened only when no daemon answers (it would hold the port). */
export async function observe(t: DoctorTargets): Promise<DoctorObservations> {
  const httpTimeout = t.httpTimeoutMs ?? DOCTOR_HTTP_TIMEOUT_MS;
  const [daemon, cloud, disk, database] = await Promise.all([
    probeDaemon(t.daemonUrl, httpTimeout),
    probeCloud(t.cloudUrl, httpTimeout),
    probeDisk(t.stateDir),
    Promise.resolve(probeDatabase(join(t.stateDir, STORE_FILE))),
  ]);
  const { device, deviceClock } = await probeDevice(
    t.deviceUri,
    daemon.version !== undefined,
    t.deviceTimeoutMs ?? DOCTOR_DEVICE_TIMEOUT_MS,
  );
  return {
    device,
    udevRule: (t.udevRulePaths ?? UDEV_RULE_PATHS).find((p) => existsSync(p)) ?? null,
    hostNow: Date.now(),
    deviceClock,
    disk,
    database,
    daemon,
    cloud,
  };
}

async function probeDevice(
  uri: string,
  daemonRunning: boolean,
  timeoutMs: number,
): Promise<{ device: DeviceObservation; deviceClock?: DoctorObservations["deviceClock"] }> {
  let path: string | undefined;
  try {
    const address = parseDeviceAddress(uri);
    if (address.kind === "serial") path = address.path;
  } catch (err) {
    return { device: { uri, error: (err as Error).message } };
  }
  if (path !== undefined) {
    if (!existsSync(path)) return { device: { uri, path, exists: false } };
    try {
      await access(path, constants.R_OK | constants.W_OK);
    } catch (err) {
      return {
        device: { uri, path, exists: true, accessError: (err as NodeJS.ErrnoException).code ?? String(err) },
      };
    }
  }
  if (daemonRunning)
    return { device: { uri, path, exists: path === undefined ? undefined : true, heldByDaemon: true } };
  const device = createFiscalDevice(uri);
  try {
    await device.open();
    await device.session.waitConnected(timeoutMs);
    const info = await device.info();
    const status = await device.status();
    const before = Date.now();
    const clock = await device.timeGet();
    const hostMid = Math.round((before + Date.now()) / 2);
    return {
      device: {
        uri,
        path,
        exists: path === undefined ? undefined : true,
        answer: { deviceId: info.device_id, state: info.state, warnings: status.warnings },
      },
      // Expressed at the doctor's hostNow (taken just after), so the report compares like with like.
      deviceClock: { now: clock.now + (Date.now() - hostMid), valid: clock.valid },
    };
  } catch (err) {
    return {
      device: { uri, path, exists: path === undefined ? undefined : true, error: (err as Error).message },
    };
  } finally {
    await device.close();
  }
}

async function probeDisk(stateDir: string): Promise<DoctorObservations["disk"]> {
  // Before the first start the directory may not exist: measure the disk it will be created on.
  let path = resolve(stateDir);
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    const s = await statfs(path);
    return { path, freeBytes: s.bavail * s.bsize };
  } catch (err) {
    return { path, error: (err as Error).message };
  }
}

/** Opens the store read-only (the doctor never migrates or creates it) and checks it. */
export function probeDatabase(path: string): DoctorObservations["database"] {
  const base = { path, expectedVersion: SCHEMA_VERSION };
  if (!existsSync(path)) return { ...base, exists: false };
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma("quick_check") as { quick_check: string }[];
    return {
      ...base,
      exists: true,
      quickCheck: rows.map((r) => r.quick_check).join("; "),
      schemaVersion: db.pragma("user_version", { simple: true }) as number,
    };
  } catch (err) {
    return { ...base, exists: true, error: (err as Error).message };
  } finally {
    db?.close();
  }
}

async function probeDaemon(url: string, timeoutMs: number): Promise<DoctorObservations["daemon"]> {
  try {
    const res = await fetch(new URL("/v1/health", url), { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { status?: string; version?: string };
    if (res.ok && body.status === "ok") return { url, version: body.version ?? "?" };
    return { url, error: `HTTP ${res.status}` };
  } catch (err) {
    return { url, error: causeOf(err) };
  }
}

async function probeCloud(url: string | null, timeoutMs: number): Promise<DoctorObservations["cloud"]> {
  if (url === null) return { url };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { url, status: res.status };
  } catch (err) {
    return { url, error: causeOf(err) };
  }
}

/** fetch hides the socket error in `cause`; that is the part a technician can act on. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
