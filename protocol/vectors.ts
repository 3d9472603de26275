/**
 * Test vectors for docs/PROTOCOL.md §12, computed from fixed inputs by the real code. The test suite
 * compares every vector in the document with this output, so the document cannot drift from the code
 * (`npm run vectors` rewrites the document's vector blocks after a deliberate change). The version-1
 * vectors (invoice v1, record v1) come first and never change; the version-2 ones follow them, then
 * the Z report that closes their day.
 */
import { toHex } from "./bytes.js";
import { encodeFrame, FrameType } from "./frame/frame.js";
import { fragmentFrame } from "./frame/hid.js";
import { canonicaliseInvoice, encodeInvoice, invoiceHash, sha256 } from "./invoice/canonical.js";
import { canonicaliseInvoiceV2, type InvoiceContextV2 } from "./invoice/canonical-v2.js";
import type { CanonicalInvoiceV2 } from "./invoice/schema-v2.js";
import { fiscalYearOf } from "./invoice/totals-v2.js";
import { encodeBusy, encodeNak, encodeRequest, encodeResult } from "./messages/codec.js";
import { figuresOf } from "./reports/figures.js";
import { sealReport } from "./reports/record.js";
import type { ZReport } from "./reports/schema.js";
import { genesisHash, signActivationBundle, signActivationRecord } from "./security/activation.js";
import { keyPairFromSeed } from "./security/ed25519.js";
import {
  encodeRecord,
  type FiscalRecordV1,
  type FiscalRecordV2,
  recordHash,
  type SealedRecord,
  sealRecord,
} from "./security/record.js";

/** One vector: a name the document refers to and its content (hex or text). */
export interface Vector {
  readonly id: string;
  readonly format: "hex" | "text" | "json";
  readonly value: string;
}

const enc = new TextEncoder();
/** Fixed test keys. Never use them for anything but vectors and tests. */
export const VECTOR_DEVICE_SEED = sha256(enc.encode("stalela-vector-device-key"));
export const VECTOR_CLOUD_SEED = sha256(enc.encode("stalela-vector-cloud-root-key"));
/** 2026-01-01T08:30:00.000Z, the fixed device time of the vectors. */
export const VECTOR_TIME_MS = Date.UTC(2026, 0, 1, 8, 30, 0);

/** The device id of the vectors. */
export const VECTOR_DEVICE_ID = "DEF-0A1B2C3D";

/** The POS invoice the vectors canonicalise: two lines in two groups, a fractional quantity. */
export const VECTOR_POS_INVOICE = {
  type: "SALE",
  client_ref: "POS1-000042",
  currency: "CDF",
  items: [
    { code: "SKU-001", name: "Sucre 1 kg", kind: "GOODS", quantity: "2.5", unit_price: 3500, tax_group: "B" },
    { code: "SKU-900", name: "Pain", kind: "GOODS", quantity: 1, unit_price: 1200, tax_group: "A" },
  ],
  payments: [{ method: "CASH", amount: 9950 }],
} as const;

/**
 * The POS invoice of the version-2 vectors: a SALE to a company (PM) client, entered by a named
 * operator, prices TTC, goods in B (16 %) and a levy in L (outside VAT), paid partly in USD at
 * 2850.5 CDF per dollar (3.00 USD = 855150 centimes) and the rest in CDF cash. Amounts are centimes.
 */
export const VECTOR_POS_INVOICE_V2 = {
  type: "SALE",
  client_ref: "POS1-000043",
  rn: "T1-2026-000043",
  price_mode: "TTC",
  operator: { name: "Amani Kabila" },
  client: { type: "PM", name: "Kivu Import SARL", nif: "B7654321C", address: "Avenue du Port 4, Goma" },
  items: [
    { code: "SKU-001", name: "Sucre 1 kg", kind: "BIE", quantity: "2.5", unit_price: 350000, tax_group: "B" },
    {
      code: "TX-PROMO",
      name: "Taxe de promotion",
      kind: "TAX",
      quantity: 1,
      unit_price: 50000,
      tax_group: "L",
    },
  ],
  payments: [
    {
      method: "CASH",
      amount: 855150,
      foreign: { currency: "USD", amount: 300, rate: "2850.5", rate_date: "2026-01-01" },
    },
    { method: "CASH", amount: 69850 },
  ],
} as const;

/** What the daemon adds to the version-2 vector invoice (no reference rates: the device's view). */
export const VECTOR_CONTEXT_V2: InvoiceContextV2 = {
  cashierId: "CASHIER-7",
  isf: "ISF-0001",
  seller: {
    nif: "A1234567B",
    name: "Alimentation Stalela SARL",
    address: "12 avenue du Commerce, Gombe, Kinshasa",
  },
};

/**
 * The version-2 vectors: the invoice, and its record v2 sealed as the next record of the same
 * journal after the v1 record (fiscal number 2, SALE number 2, year number 1, two minutes later).
 */
function vectorsV2(
  identity: { merchant_nif: string; outlet_id: string; fiscal_authority_id: string },
  previous: SealedRecord,
  deviceSeed: Uint8Array,
  hex: (id: string, bytes: Uint8Array) => void,
  text: (id: string, value: string) => void,
  json: (id: string, value: unknown) => void,
): { sealed: SealedRecord; record: FiscalRecordV2; invoice: CanonicalInvoiceV2 } {
  json("invoice-v2-pos-json", VECTOR_POS_INVOICE_V2);
  const invoice = canonicaliseInvoiceV2(VECTOR_POS_INVOICE_V2, VECTOR_CONTEXT_V2);
  const invoiceBytes = encodeInvoice(invoice);
  hex("invoice-v2-canonical-cbor", invoiceBytes);
  const payloadHash = sha256(invoiceBytes);
  hex("invoice-v2-payload-hash", payloadHash);

  const issuedAt = VECTOR_TIME_MS + 120_000;
  const record: FiscalRecordV2 = {
    kind: "INVOICE",
    v: 2,
    device_id: VECTOR_DEVICE_ID,
    fiscal_number: 2,
    type_number: 2,
    invoice_type: invoice.type,
    dgi_type: invoice.dgi_type,
    fiscal_year: fiscalYearOf(issuedAt),
    // Records v1 carry no year number: the year counter starts with the first record v2.
    year_number: 1,
    issued_at: issuedAt,
    payload_hash: payloadHash,
    prev_hash: recordHash(previous.record),
    ...identity,
    isf: invoice.isf,
    rn: invoice.rn,
    cashier_id: invoice.operator.id,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    price_mode: invoice.price_mode,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
  };
  const sealed = sealRecord(record, deviceSeed, invoiceBytes);
  hex("record-v2-cbor", sealed.record);
  hex("record-v2-signature", sealed.signature);
  hex("record-v2-hash", recordHash(sealed.record));
  text("record-v2-code-def", sealed.auth_code);
  text("record-v2-qr", sealed.qr);
  return { sealed, record, invoice };
}

/**
 * The Z report that closes the vectors' day (PROTOCOL.md §12): Z number 1, one hour after T, over
 * the record v1 (counted in v1_records) and the record v2, chained after the record v2.
 */
function vectorsZ(
  identity: { merchant_nif: string; outlet_id: string; fiscal_authority_id: string },
  v1: FiscalRecordV1,
  v2: { sealed: SealedRecord; record: FiscalRecordV2; invoice: CanonicalInvoiceV2 },
  genesis: Uint8Array,
  deviceSeed: Uint8Array,
  hex: (id: string, bytes: Uint8Array) => void,
): void {
  hex("z-report-request-payload", encodeRequest("Z_REPORT", { isf: v2.invoice.isf, number: 1 }));
  const report: ZReport = {
    kind: "Z_REPORT",
    v: 1,
    device_id: VECTOR_DEVICE_ID,
    ...identity,
    isf: v2.invoice.isf,
    issued_at: VECTOR_TIME_MS + 3_600_000,
    after_fiscal_number: 2,
    prev_hash: recordHash(v2.sealed.record),
    number: 1,
    period_from: v1.issued_at,
    first_fiscal_number: 1,
    last_fiscal_number: 2,
    incomplete: 0,
    figures: figuresOf([{ record: v1 }, { record: v2.record, invoice: v2.invoice }]),
    prev_report_hash: genesis,
  };
  const sealed = sealReport(report, deviceSeed);
  hex("z-report-cbor", sealed.record);
  hex("z-report-signature", sealed.signature);
  hex("z-report-hash", recordHash(sealed.record));
}

/** Builds every vector from the fixed inputs. */
export function buildVectors(): Vector[] {
  const out: Vector[] = [];
  const hex = (id: string, bytes: Uint8Array): void => {
    out.push({ id, format: "hex", value: toHex(bytes) });
  };
  const text = (id: string, value: string): void => {
    out.push({ id, format: "text", value });
  };
  const json = (id: string, value: unknown): void => {
    out.push({ id, format: "json", value: JSON.stringify(value, null, 2) });
  };

  const infoRequest = encodeFrame({ type: FrameType.REQUEST, seq: 1, payload: encodeRequest("INFO", {}) });
  hex("frame-info-request", infoRequest);
  hex(
    "frame-time-response",
    encodeFrame({
      type: FrameType.RESPONSE,
      seq: 1,
      payload: encodeResult("TIME_GET", { now: VECTOR_TIME_MS, offset_ms: 0, valid: true }),
    }),
  );
  hex("frame-nak", encodeFrame({ type: FrameType.NAK, seq: 0x0102, payload: encodeNak(200) }));
  hex("frame-busy", encodeFrame({ type: FrameType.BUSY, seq: 2, payload: encodeBusy(20) }));
  hex("hid-report-info-request", fragmentFrame(infoRequest)[0]!);

  json("invoice-pos-json", VECTOR_POS_INVOICE);
  const invoice = canonicaliseInvoice(VECTOR_POS_INVOICE, { cashierId: "CASHIER-7" });
  hex("invoice-canonical-cbor", encodeInvoice(invoice));
  const payloadHash = invoiceHash(invoice);
  hex("invoice-payload-hash", payloadHash);

  const cloud = keyPairFromSeed(VECTOR_CLOUD_SEED);
  const device = keyPairFromSeed(VECTOR_DEVICE_SEED);
  hex("cloud-root-seed", cloud.seed);
  hex("cloud-root-public-key", cloud.publicKey);
  hex("device-seed", device.seed);
  hex("device-public-key", device.publicKey);

  const identity = { merchant_nif: "A1234567B", outlet_id: "OUTLET-01", fiscal_authority_id: "FA-0001" };
  const bundle = signActivationBundle(
    {
      kind: "ACTIVATION_BUNDLE",
      v: 1,
      bundle_id: "B-0001",
      device_id: VECTOR_DEVICE_ID,
      device_public_key: device.publicKey,
      ...identity,
      issued_at: VECTOR_TIME_MS,
    },
    cloud.seed,
  );
  hex("activation-bundle-cbor", bundle.bytes);
  hex("activation-bundle-signature", bundle.signature);
  const activation = signActivationRecord(
    {
      kind: "ACTIVATION",
      v: 1,
      device_id: VECTOR_DEVICE_ID,
      public_key: device.publicKey,
      ...identity,
      bundle_hash: sha256(bundle.bytes),
      activated_at: VECTOR_TIME_MS,
    },
    device.seed,
  );
  hex("activation-record-cbor", activation.bytes);
  hex("activation-record-signature", activation.signature);
  const genesis = genesisHash(activation.bytes);
  hex("genesis-hash", genesis);

  const record: FiscalRecordV1 = {
    kind: "INVOICE",
    v: 1,
    device_id: VECTOR_DEVICE_ID,
    fiscal_number: 1,
    type_number: 1,
    invoice_type: invoice.type,
    issued_at: VECTOR_TIME_MS + 60_000,
    payload_hash: payloadHash,
    prev_hash: genesis,
    ...identity,
    cashier_id: invoice.cashier_id,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
  };
  const sealed = sealRecord(record, device.seed);
  hex("record-cbor", encodeRecord(record));
  hex("record-signature", sealed.signature);
  hex("record-hash", recordHash(sealed.record));
  text("record-auth-code", sealed.auth_code);
  text("record-qr", sealed.qr);
  hex(
    "commit-request-payload",
    encodeRequest("COMMIT", { nonce: new Uint8Array(16).fill(0x11), payload_hash: payloadHash }),
  );
  const v2 = vectorsV2(identity, sealed, device.seed, hex, text, json);
  vectorsZ(identity, record, v2, genesis, device.seed, hex);
  return out;
}
