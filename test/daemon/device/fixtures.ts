/**
 * Shared set-up for the device-link suites: a real emulated DEF (temp state directory) on a PTY, a TCP
 * listener or an in-memory pair; canonical invoices built with the protocol code; activation with a
 * bundle signed by the development cloud root; and a journal audit read back over the wire.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createFiscalDevice,
  type DeviceSessionConfig,
  type FiscalDevice,
} from "../../../daemon/device/index.js";
import type { Transport } from "../../../daemon/transport/index.js";
import { DEV_CLOUD_ROOT_SEED } from "../../../emulator/dev-keys.js";
import { type Emulator, startEmulator } from "../../../emulator/emulator.js";
import type { FaultPatch } from "../../../emulator/faults.js";
import { createMemoryLinkPair, type MemoryHostEnd } from "../../../emulator/link/memory.js";
import { openPtyLink, type PtyLink } from "../../../emulator/link/pty.js";
import {
  type CanonicalInvoiceV2,
  canonicaliseInvoiceV2,
  decodeRecord,
  type FiscalRecord,
  JOURNAL_PAGE_MAX,
  signActivationBundle,
} from "../../../protocol/index.js";

/** Session timings for tests: short enough that lost replies cost little, long enough for a busy CI box. */
export const FAST_SESSION: Partial<DeviceSessionConfig> = {
  replyTimeoutMs: 300,
  maxRetransmits: 6,
  reconnectInitialDelayMs: 20,
  reconnectMaxDelayMs: 200,
  resolveDeadlineMs: 20_000,
  resolveRetryDelayMs: 20,
};

/** A sale whose canonical form is unique per `i`. */
export function saleInvoice(i: number, prefix = "INV"): CanonicalInvoiceV2 {
  const amount = 1_000 + (i % 9_000);
  return canonicaliseInvoiceV2(
    {
      type: "SALE",
      client_ref: `${prefix}-${i}`,
      currency: "CDF",
      operator: { name: "Mireille Kabeya" },
      items: [{ name: "Sac de riz 25 kg", kind: "BIE", quantity: 2, unit_price: amount, tax_group: "B" }],
      payments: [{ method: "CASH", amount: amount * 2 }],
    },
    {
      cashierId: "CASHIER-1",
      isf: "ISF-TEST-0001",
      // The NIF the test bundle activates the device for (activate() below).
      seller: { nif: "A1234567B", name: "Boutique d'essai", address: "1, avenue de l'Essai, Kinshasa" },
    },
  );
}

/** An emulated DEF in a temp directory, and how to tear it down. */
export interface TestDef {
  readonly emulator: Emulator;
  readonly stateDir: string;
  stop(): Promise<void>;
}

/** Starts an emulator (no links yet) with a fixed fault seed, so a failure reproduces. */
export async function startDef(faultSeed = 4242, device: { maxPending?: number } = {}): Promise<TestDef> {
  const stateDir = await mkdtemp(join(tmpdir(), "stalela-devlink-"));
  const emulator = await startEmulator({
    stateDir,
    faultSeed,
    device: { journalCapacity: 100_000, ...device },
  });
  return {
    emulator,
    stateDir,
    async stop() {
      await emulator.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Serves the emulator on a fresh PTY; returns the link and its symlink path. */
export async function servePty(def: TestDef): Promise<PtyLink> {
  const link = await openPtyLink({ path: join(def.stateDir, "ttyDEF0") });
  def.emulator.attach(link);
  return link;
}

/** Serves the emulator on an in-memory pair; returns the host end. */
export function serveMemory(def: TestDef): MemoryHostEnd {
  const pair = createMemoryLinkPair();
  def.emulator.attach(pair.device);
  return pair.host;
}

/** Builds and opens a FiscalDevice on `device`, waiting until the link is up. */
export async function openDevice(
  device: string | Transport,
  config: Partial<DeviceSessionConfig> = FAST_SESSION,
): Promise<FiscalDevice> {
  const fiscal = createFiscalDevice(device, { config });
  await fiscal.open();
  await fiscal.session.waitConnected(5_000);
  return fiscal;
}

/** Activates the emulated device over the wire with a development-root bundle. */
export async function activate(device: FiscalDevice, deviceId: string): Promise<void> {
  const bundle = signActivationBundle(
    {
      kind: "ACTIVATION_BUNDLE",
      v: 1,
      bundle_id: "BUNDLE-DEVLINK",
      device_id: deviceId,
      merchant_nif: "A1234567B",
      outlet_id: "OUTLET-1",
      fiscal_authority_id: "DGI-KIN-01",
      issued_at: Date.UTC(2026, 0, 1),
    },
    DEV_CLOUD_ROOT_SEED,
  );
  await device.activate(bundle);
}

/** Applies faults to the emulator. */
export function setFaults(def: TestDef, patch: FaultPatch): void {
  def.emulator.faults.update(patch);
}

/** Reads the whole journal back over the wire (faults off first) and decodes every record. */
export async function readWholeJournal(device: FiscalDevice): Promise<FiscalRecord[]> {
  const records: FiscalRecord[] = [];
  let from: number | null = 1;
  while (from !== null) {
    const page = await device.readJournal(from, JOURNAL_PAGE_MAX);
    for (const entry of page.entries) records.push(decodeRecord(entry.record));
    from = page.next;
  }
  return records;
}

/** Throws unless fiscal numbers are exactly 1…n, each once, and each payload hash appears once. */
export function auditJournal(records: readonly FiscalRecord[]): {
  count: number;
  duplicates: number;
  gaps: number;
} {
  const numbers = new Set(records.map((r) => r.fiscal_number));
  const hashes = new Set(records.map((r) => Buffer.from(r.payload_hash).toString("hex")));
  let gaps = 0;
  for (let n = 1; n <= records.length; n++) if (!numbers.has(n)) gaps++;
  return { count: records.length, duplicates: records.length - Math.min(numbers.size, hashes.size), gaps };
}
