/**
 * Journals signed with a test key, record by record, for the verifier cases a correct device never
 * produces (a skipped type counter, a clock going back, a wrong prev_hash) yet a faulty or forged one
 * could: every record here is genuinely signed, so only the targeted check can catch it.
 */
import {
  type ActivationRecord,
  EXPORT_FORMAT,
  type ExportedRecord,
  exportedDeviceOf,
  exportedRecordOf,
  type FiscalRecord,
  generateKeyPair,
  genesisHash,
  type JournalExport,
  recordHash,
  sealRecord,
  signActivationRecord,
} from "../../protocol/index.js";

const DEVICE_ID = "DEF-SYNTH-1";
const IDENTITY = { merchant_nif: "A1234567B", outlet_id: "OUTLET-1", fiscal_authority_id: "DGI-KIN-01" };
const ACTIVATED_AT = Date.UTC(2026, 0, 1);
/** Device time between two records, in ms. */
const STEP_MS = 60_000;

/** A signed journal and its device key. */
export interface SyntheticJournal {
  readonly doc: JournalExport;
  readonly publicKey: Uint8Array;
}

/** Signs one record per entry of `overrides`; unset fields chain and count as a correct device would. */
export function syntheticJournal(overrides: readonly Partial<FiscalRecord>[]): SyntheticJournal {
  const keys = generateKeyPair();
  const activationRecord: ActivationRecord = {
    kind: "ACTIVATION",
    v: 1,
    device_id: DEVICE_ID,
    public_key: keys.publicKey,
    ...IDENTITY,
    bundle_hash: new Uint8Array(32),
    activated_at: ACTIVATED_AT,
  };
  const activation = signActivationRecord(activationRecord, keys.seed);
  let prev = genesisHash(activation.bytes);
  const typeCounters = new Map<string, number>();
  const records: ExportedRecord[] = overrides.map((override, i) => {
    const type = override.invoice_type ?? "SALE";
    const typeNumber = override.type_number ?? (typeCounters.get(type) ?? 0) + 1;
    typeCounters.set(type, typeNumber);
    const record: FiscalRecord = {
      kind: "INVOICE",
      v: 1,
      device_id: DEVICE_ID,
      fiscal_number: i + 1,
      type_number: typeNumber,
      invoice_type: type,
      issued_at: ACTIVATED_AT + (i + 1) * STEP_MS,
      payload_hash: new Uint8Array(32).fill(i + 1),
      prev_hash: prev,
      ...IDENTITY,
      cashier_id: "CASHIER-1",
      client_ref: `SYN-${i + 1}`,
      currency: "CDF",
      totals: {
        total: 1_160,
        tax_total: 160,
        groups: [{ group: "B", rate_bp: 1_600, base: 1_000, tax: 160 }],
      },
      tax_table: "RDC-2026.1",
      ...override,
    };
    const sealed = sealRecord(record, keys.seed);
    prev = recordHash(sealed.record);
    return exportedRecordOf(record.fiscal_number, sealed);
  });
  const last = records.length;
  const doc: JournalExport = {
    format: EXPORT_FORMAT,
    exported_at: new Date(ACTIVATED_AT).toISOString(),
    device: exportedDeviceOf({
      device_id: DEVICE_ID,
      public_key: keys.publicKey,
      model: "SYNTHETIC",
      firmware: "test",
      activation,
    }),
    range: { from: 1, to: last, last_on_device: last },
    records,
  };
  return { doc, publicKey: keys.publicKey };
}
