/**
 * A synthetic fiscal device for load and contract tests of the cloud: a fresh Ed25519 key, its
 * activation record, and sealed records made with the same protocol code a DEF uses (sealRecord),
 * so the cloud verifies them exactly as it verifies a real device's. No journal, no PREPARE: only
 * what an upload needs, fast enough to make 100,000 records for `bench/sync`. It also signs report
 * records (PROTOCOL §13): `zReport()` closes its day as a DEF would, `signReport` signs any report.
 */
import {
  type ActivationRecord,
  type CanonicalInvoiceV2,
  encodeInvoice,
  type FiscalRecord,
  type FiscalRecordV2,
  figuresOf,
  fiscalYearOf,
  generateKeyPair,
  genesisHash,
  type PeriodEntry,
  type ReportRecord,
  recordFieldsOfInvoice,
  recordHash,
  type SealedRecord,
  type SealedReport,
  type SignedBlob,
  sealRecord,
  sealReport,
  sha256,
  signActivationRecord,
  TAX_TABLE,
  type ZReport,
} from "../../protocol/index.js";
import type { CodeIdentity } from "./store.js";

/** A device that can seal records and prove its activation. */
export class SyntheticDevice {
  private readonly keys = generateKeyPair();
  private prevHash: Uint8Array = new Uint8Array(32);
  private next = 1;
  /** The open day, for its Z: the records v2 with their invoices, and how many records v1. */
  private dayV2: PeriodEntry[] = [];
  private dayV1 = 0;
  private dayFirst: { fiscalNumber: number; at: number } | undefined;
  private lastZ = 0;
  private lastZHash: Uint8Array = new Uint8Array(32);

  constructor(
    readonly deviceId: string,
    readonly identity: CodeIdentity,
  ) {}

  get publicKey(): Uint8Array {
    return this.keys.publicKey;
  }

  /** Signs the activation record for `bundleBytes` and chains the journal to it. */
  activate(bundleBytes: Uint8Array, at = Date.now()): SignedBlob {
    const record: ActivationRecord = {
      kind: "ACTIVATION",
      v: 1,
      device_id: this.deviceId,
      public_key: this.keys.publicKey,
      ...this.identity,
      bundle_hash: sha256(bundleBytes),
      activated_at: at,
    };
    const blob = signActivationRecord(record, this.keys.seed);
    this.prevHash = genesisHash(blob.bytes);
    this.lastZHash = this.prevHash;
    return blob;
  }

  /** Seals the next record: a one-line sale of `amount` minor units in tax group B (16 %). */
  seal(cashierId: string, amount = 11_600, at = Date.now()): { record: FiscalRecord; sealed: SealedRecord } {
    const base = Math.round((amount * 10_000) / 11_600);
    const record: FiscalRecord = {
      kind: "INVOICE",
      v: 1,
      device_id: this.deviceId,
      fiscal_number: this.next,
      type_number: this.next,
      invoice_type: "SALE",
      issued_at: at,
      payload_hash: sha256(new TextEncoder().encode(`synthetic-${this.deviceId}-${this.next}`)),
      prev_hash: this.prevHash,
      ...this.identity,
      cashier_id: cashierId,
      client_ref: `SYN-${this.next}`,
      currency: "CDF",
      totals: {
        total: amount,
        tax_total: amount - base,
        groups: [{ group: "B", rate_bp: 1_600, base, tax: amount - base }],
      },
      tax_table: TAX_TABLE.version,
    };
    this.next++;
    const sealed = sealRecord(record, this.keys.seed);
    this.prevHash = recordHash(sealed.record);
    this.dayV1++;
    this.dayFirst ??= { fiscalNumber: record.fiscal_number, at };
    return { record, sealed };
  }

  /**
   * Seals the next record v2 for a canonical invoice v2, as a DEF does at COMMIT (PROTOCOL §8.2): the
   * sealed form carries the invoice bytes, whose SHA-256 is the record's payload_hash. The year
   * counter is the fiscal number (a synthetic device lives within one year).
   */
  sealV2(invoice: CanonicalInvoiceV2, at = Date.now()): { record: FiscalRecordV2; sealed: SealedRecord } {
    const bytes = encodeInvoice(invoice);
    const record: FiscalRecordV2 = {
      kind: "INVOICE",
      v: 2,
      device_id: this.deviceId,
      fiscal_number: this.next,
      type_number: this.next,
      fiscal_year: fiscalYearOf(at),
      year_number: this.next,
      issued_at: at,
      payload_hash: sha256(bytes),
      prev_hash: this.prevHash,
      ...this.identity,
      ...recordFieldsOfInvoice(invoice, this.deviceId),
    };
    this.next++;
    const sealed = sealRecord(record, this.keys.seed, bytes);
    this.prevHash = recordHash(sealed.record);
    this.dayV2.push({ record, invoice });
    this.dayFirst ??= { fiscalNumber: record.fiscal_number, at };
    return { record, sealed };
  }

  /**
   * Closes the day as a DEF does (PROTOCOL §13.2): the next Z report over the records sealed since the
   * last one, journaled (the next record names its hash). No closures: a synthetic device lives
   * within one month.
   */
  zReport(isf: string, at = Date.now()): { report: ZReport; sealed: SealedReport } {
    const last = this.next - 1;
    const report: ZReport = {
      kind: "Z_REPORT",
      v: 1,
      device_id: this.deviceId,
      ...this.identity,
      isf,
      issued_at: at,
      after_fiscal_number: last,
      prev_hash: this.prevHash,
      number: this.lastZ + 1,
      period_from: this.dayFirst?.at ?? null,
      first_fiscal_number: this.dayFirst?.fiscalNumber ?? null,
      last_fiscal_number: this.dayFirst === undefined ? null : last,
      incomplete: 0,
      figures: { ...figuresOf(this.dayV2), v1_records: this.dayV1 },
      prev_report_hash: this.lastZHash,
    };
    const sealed = this.signReport(report);
    this.lastZ = report.number;
    this.lastZHash = recordHash(sealed.record);
    this.prevHash = this.lastZHash;
    this.dayV2 = [];
    this.dayV1 = 0;
    this.dayFirst = undefined;
    return { report, sealed };
  }

  /** Signs any report record with the device key, as it stands (the chain is not moved). */
  signReport(report: ReportRecord): SealedReport {
    return sealReport(report, this.keys.seed);
  }
}
