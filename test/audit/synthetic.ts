/**
 * Journals signed with a test key, record by record, for the verifier cases a correct device never
 * produces (a skipped type counter, a clock going back, a wrong prev_hash, a tax off by one, a credit
 * larger than its sale) yet a faulty or forged one could: every record here is genuinely signed and
 * chained, so only the targeted check can catch it.
 */
import {
  type ActivationRecord,
  type CanonicalInvoice,
  type CanonicalInvoiceV2,
  EXPORT_FORMAT,
  EXPORT_FORMAT_V1,
  type ExportedRecord,
  encodeInvoice,
  exportedDeviceOf,
  exportedRecordOf,
  type FiscalRecord,
  type FiscalRecordV1,
  type FiscalRecordV2,
  generateKeyPair,
  genesisHash,
  type JournalExport,
  recordHash,
  sealRecord,
  sha256,
  signActivationRecord,
} from "../../protocol/index.js";

/** The device the synthetic journals belong to. */
export const SYNTH_DEVICE_ID = "DEF-SYNTH-1";
/** Its activation identity: the test fixtures' seller NIF, so v2 invoices built by them belong here. */
const IDENTITY = { merchant_nif: "A1234567B", outlet_id: "OUTLET-1", fiscal_authority_id: "DGI-KIN-01" };
const ACTIVATED_AT = Date.UTC(2026, 0, 1);
/** Device time between two records, in ms. */
const STEP_MS = 60_000;

/** A signed journal and its device key. */
export interface SyntheticJournal {
  readonly doc: JournalExport;
  readonly publicKey: Uint8Array;
}

/**
 * One v2 record of a synthetic journal: derived from `invoice` as the device derives it, then
 * `record` overrides (a tamper, signed all the same). The entry carries `invoiceBytes` when given,
 * else the invoice's canonical bytes; none with `omitInvoice`.
 */
export interface SyntheticV2 {
  readonly invoice: CanonicalInvoiceV2;
  readonly record?: Partial<FiscalRecordV2> | Record<string, unknown>;
  readonly invoiceBytes?: Uint8Array;
  readonly omitInvoice?: boolean;
}

/** Where each record's chain position comes from. */
interface Position {
  readonly fiscal_number: number;
  readonly type_number: number;
  readonly issued_at: number;
  readonly prev_hash: Uint8Array;
}

function signJournal(
  count: number,
  build: (
    i: number,
    at: (type: string, override?: number) => Position,
  ) => {
    record: FiscalRecord;
    invoice?: Uint8Array;
  },
  format: JournalExport["format"],
): SyntheticJournal {
  const keys = generateKeyPair();
  const activationRecord: ActivationRecord = {
    kind: "ACTIVATION",
    v: 1,
    device_id: SYNTH_DEVICE_ID,
    public_key: keys.publicKey,
    ...IDENTITY,
    bundle_hash: new Uint8Array(32),
    activated_at: ACTIVATED_AT,
  };
  const activation = signActivationRecord(activationRecord, keys.seed);
  let prev = genesisHash(activation.bytes);
  const typeCounters = new Map<string, number>();
  const records: ExportedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = (type: string, override?: number): Position => {
      const typeNumber = override ?? (typeCounters.get(type) ?? 0) + 1;
      typeCounters.set(type, typeNumber);
      return {
        fiscal_number: i + 1,
        type_number: typeNumber,
        issued_at: ACTIVATED_AT + (i + 1) * STEP_MS,
        prev_hash: prev,
      };
    };
    const { record, invoice } = build(i, at);
    // An override of `undefined` removes the field (a credit note without its reference).
    for (const [k, v] of Object.entries(record))
      if (v === undefined) delete (record as Record<string, unknown>)[k];
    const sealed = sealRecord(record, keys.seed, invoice);
    prev = recordHash(sealed.record);
    records.push(exportedRecordOf(record.fiscal_number, sealed));
  }
  const doc: JournalExport = {
    format,
    exported_at: new Date(ACTIVATED_AT).toISOString(),
    device: exportedDeviceOf({
      device_id: SYNTH_DEVICE_ID,
      public_key: keys.publicKey,
      model: "SYNTHETIC",
      firmware: "test",
      activation,
    }),
    range: { from: 1, to: count, last_on_device: count },
    ...(format === EXPORT_FORMAT ? { reports: [] } : {}),
    records,
  };
  return { doc, publicKey: keys.publicKey };
}

/**
 * Signs one v1 record per entry of `overrides` (format /1, no invoices); unset fields chain and count
 * as a correct device would: a SALE of 11.60 in group B (16 %), base 10.00, tax 1.60.
 */
export function syntheticJournal(overrides: readonly Partial<FiscalRecordV1>[]): SyntheticJournal {
  return signJournal(
    overrides.length,
    (i, at) => {
      const override = overrides[i]!;
      const record: FiscalRecordV1 = {
        kind: "INVOICE",
        v: 1,
        device_id: SYNTH_DEVICE_ID,
        ...at(override.invoice_type ?? "SALE", override.type_number),
        invoice_type: "SALE",
        payload_hash: new Uint8Array(32).fill(i + 1),
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
      return { record };
    },
    EXPORT_FORMAT_V1,
  );
}

/** The v2 record a device seals for `invoice` at `position` (PROTOCOL §8.2). */
export function recordV2Of(
  invoice: CanonicalInvoiceV2,
  position: Position,
  payloadHash: Uint8Array,
): FiscalRecordV2 {
  const ref = invoice.reference;
  return {
    kind: "INVOICE",
    v: 2,
    device_id: SYNTH_DEVICE_ID,
    ...position,
    invoice_type: invoice.type,
    dgi_type: invoice.dgi_type,
    // The calendar year at UTC+01:00, computed here independently of the protocol code.
    fiscal_year: new Date(position.issued_at + 3_600_000).getUTCFullYear(),
    year_number: position.fiscal_number,
    payload_hash: payloadHash,
    ...IDENTITY,
    isf: invoice.isf,
    rn: invoice.rn,
    cashier_id: invoice.operator.id,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    price_mode: invoice.price_mode,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
    ...(ref === undefined
      ? {}
      : {
          reference:
            ref.nature === "RRR"
              ? { nature: "RRR" as const }
              : {
                  nature: ref.nature,
                  device_id: ref.device_id ?? SYNTH_DEVICE_ID,
                  fiscal_number: ref.fiscal_number!,
                },
        }),
  };
}

/** Signs one v2 record per spec (format /2, with the invoice bytes in each entry). */
export function syntheticJournalV2(specs: readonly SyntheticV2[]): SyntheticJournal {
  return signJournal(
    specs.length,
    (i, at) => {
      const spec = specs[i]!;
      const bytes = encodeInvoice(spec.invoice);
      const override = (spec.record ?? {}) as Partial<FiscalRecordV2>;
      const position = at(override.invoice_type ?? spec.invoice.type, override.type_number);
      const record = { ...recordV2Of(spec.invoice, position, sha256(bytes)), ...override } as FiscalRecordV2;
      return { record, invoice: spec.omitInvoice === true ? undefined : (spec.invoiceBytes ?? bytes) };
    },
    EXPORT_FORMAT,
  );
}

/**
 * Signs one v1 record per v1 canonical invoice, as a v1 device sealed them, in a /2 export whose
 * entries carry the invoice bytes (a device that kept them); `record` overrides apply to every record.
 */
export function syntheticJournalV1WithInvoices(
  invoices: readonly CanonicalInvoice[],
  record: Partial<FiscalRecordV1> = {},
): SyntheticJournal {
  return signJournal(
    invoices.length,
    (i, at) => {
      const inv = invoices[i]!;
      const bytes = encodeInvoice(inv);
      const ref = inv.reference;
      const sealed: FiscalRecordV1 = {
        kind: "INVOICE",
        v: 1,
        device_id: SYNTH_DEVICE_ID,
        ...at(inv.type),
        invoice_type: inv.type,
        payload_hash: sha256(bytes),
        ...IDENTITY,
        cashier_id: inv.cashier_id,
        client_ref: inv.client_ref,
        currency: inv.currency,
        totals: inv.totals,
        tax_table: inv.tax_table,
        ...(ref === undefined
          ? {}
          : {
              reference: {
                device_id: ref.device_id ?? SYNTH_DEVICE_ID,
                fiscal_number: ref.fiscal_number,
                kind: ref.kind,
              },
            }),
        ...record,
      };
      return { record: sealed, invoice: bytes };
    },
    EXPORT_FORMAT,
  );
}
