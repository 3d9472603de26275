/**
 * A real emulated DEF core (no link), activated with the development bundle, with a journal of sealed
 * records of several types: the source of honest exports for the audit and CLI tests.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandJournalReader, type JournalReader } from "../../daemon/export/journal-export.js";
import { resolveDeviceConfig } from "../../emulator/config.js";
import { FiscalDevice } from "../../emulator/device/fiscal-device.js";
import type {
  CanonicalInvoiceV2,
  ExportedRecord,
  JournalExport,
  ResultOf,
  SealedRecord,
} from "../../protocol/index.js";
import { bundleFor, credit, exportSale, sale } from "../emulator/fixtures.js";

/** Device time between two records, in ms: every record gets its own second. */
const STEP_MS = 1_000;

/** An activated device core and a reader over it. */
export interface TestJournal {
  readonly device: FiscalDevice;
  readonly reader: JournalReader;
  readonly publicKey: Uint8Array;
  /** The sealed records, in fiscal-number order. */
  readonly sealed: SealedRecord[];
  /** Seals one more invoice. */
  seal(invoice: CanonicalInvoiceV2): SealedRecord;
  /** Moves the device's clock to `ms` (UTC ms since the epoch); later seals step on from there. */
  setTime(ms: number): void;
  /** Closes the fiscal day: Z_REPORT with the device's next Z number. */
  closeDay(): ResultOf<"Z_REPORT">;
  close(): void;
}

/** The invoice mix every test journal starts with: sales, an export, an advance and a credit note. */
export function standardInvoices(): CanonicalInvoiceV2[] {
  return [
    sale("S-1", 11_600),
    exportSale("E-1"),
    sale("S-2", 23_200),
    sale("A-1", 5_000, "ADVANCE"),
    credit("C-1", 1, 11_600, { nature: "RAN" }),
    sale("S-3", 1_160),
  ];
}

/** Boots a device core in a temporary directory, activates it and seals `invoices`. */
export function openTestJournal(invoices: readonly CanonicalInvoiceV2[] = standardInvoices()): TestJournal {
  const stateDir = mkdtempSync(join(tmpdir(), "stalela-audit-"));
  let now = Date.UTC(2026, 5, 1, 8, 0, 0);
  const device = new FiscalDevice(stateDir, resolveDeviceConfig({ systemNow: () => now }));
  device.start();
  device.execute("ACTIVATE", { bundle: bundleFor(device.deviceId) });
  const sealed: SealedRecord[] = [];
  const seal = (invoice: CanonicalInvoiceV2): SealedRecord => {
    now += STEP_MS;
    const prepared = device.execute("PREPARE", { invoice: invoice as never });
    const record = device.execute("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    sealed.push(record);
    return record;
  };
  for (const invoice of invoices) seal(invoice);
  let zNumber = 0;
  return {
    device,
    reader: commandJournalReader((cmd, args) => device.execute(cmd, args)),
    publicKey: device.publicKey,
    sealed,
    seal,
    setTime: (ms) => {
      now = ms;
    },
    closeDay: () => {
      now += STEP_MS;
      zNumber += 1;
      return device.execute("Z_REPORT", { isf: "ISF-TEST-1", number: zNumber });
    },
    close() {
      device.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** `count` one-line sales with distinct client references. */
export function manySales(count: number, prefix = "M"): CanonicalInvoiceV2[] {
  return Array.from({ length: count }, (_, i) => sale(`${prefix}-${i + 1}`, 1_000 + i));
}

/** A mutable record entry of an export. */
export type MutableEntry = { -readonly [K in keyof ExportedRecord]: ExportedRecord[K] };

/** A deep, mutable copy of an export for a test to tamper with. */
export function tamperable(doc: JournalExport): Omit<JournalExport, "records" | "device"> & {
  device: { -readonly [K in keyof JournalExport["device"]]: JournalExport["device"][K] };
  records: MutableEntry[];
} {
  return JSON.parse(JSON.stringify(doc));
}
