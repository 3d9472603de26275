/**
 * The fiscal record the DEF signs at COMMIT, its hash chain, and the sealed form that travels on the
 * wire (docs/PROTOCOL.md §8). The record holds identifiers, counters, the device timestamp, the
 * payload hash, the totals and the previous record's hash; it does not hold the invoice lines, which
 * the payload hash binds (a sealed record may carry the canonical invoice bytes next to it).
 *
 * Two versions: v2, the one the device seals (invoice v2, the DGI's SFE fields, the Code DEF/DGI and
 * QR v2), and v1, the records sealed before, which stay readable and verifiable forever.
 */
import Type, { type Static } from "typebox";
import { BytesSchema } from "../bytes.js";
import { bytesEqual, decodeCanonical, encodeCanonical } from "../cbor.js";
import { ERRORS, type FieldIssue, FiscalError } from "../errors.js";
import { sha256 } from "../invoice/canonical.js";
import { ID_PATTERN, MAX_INVOICE_BYTES, REF_PATTERN, TotalsSchema } from "../invoice/schema.js";
import { type CanonicalInvoiceV2, TotalsV2Schema } from "../invoice/schema-v2.js";
import { CREDIT_TYPES, CURRENCIES, INVOICE_TYPES, type InvoiceType, TAX_TABLE } from "../invoice/tables.js";
import {
  CREDITABLE_TYPES_V2,
  DGI_TYPES,
  INVOICE_TYPES_V2,
  type InvoiceTypeV2,
  PRICE_MODES,
  TAX_TABLE_V2,
} from "../invoice/tables-v2.js";
import { fiscalYearOf } from "../invoice/totals-v2.js";
import { compileChecker } from "../schema-issues.js";
import { AUTH_CODE_PATTERN, authCodeOf, CODE_DEF_PATTERN, codeDefOf } from "./auth-code.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";
import { buildQrPayload, verifyQrPayload } from "./qr.js";

/** The tax table versions a record v1 may name: the v1 table only (its totals have the v1 shape). */
export const RECORD_V1_TAX_TABLES = [TAX_TABLE.version] as const;
/** The tax table versions a record v2 may name: the v2 tables (one so far). */
export const RECORD_V2_TAX_TABLES = [TAX_TABLE_V2.version] as const;

const Counter = Type.Integer({ minimum: 1, maximum: 4_294_967_295 });
const Id = Type.String({ pattern: ID_PATTERN });
const Ref = Type.String({ pattern: REF_PATTERN });
const IssuedAt = Type.Integer({
  minimum: 0,
  maximum: Number.MAX_SAFE_INTEGER,
  description: "device time, ms since the Unix epoch (UTC)",
});
const Closed = { additionalProperties: false } as const;
/** One of `versions`, typed as text (invoices carry their table version as text). */
const TaxTableOf = (versions: readonly string[]) =>
  Type.String({ pattern: `^(${versions.map((v) => v.replace(/[.]/g, "\\.")).join("|")})$` });

/** Schema of a record v1 (records sealed before v2). A post-check adds what a schema cannot say. */
export const FiscalRecordV1Schema = Type.Object(
  {
    kind: Type.Literal("INVOICE"),
    v: Type.Literal(1),
    device_id: Id,
    fiscal_number: Counter,
    type_number: Counter,
    invoice_type: Type.Enum([...INVOICE_TYPES]),
    issued_at: IssuedAt,
    payload_hash: BytesSchema(32),
    prev_hash: BytesSchema(32),
    merchant_nif: Id,
    outlet_id: Id,
    fiscal_authority_id: Id,
    cashier_id: Ref,
    client_ref: Ref,
    currency: Type.Enum(Object.keys(CURRENCIES)),
    totals: TotalsSchema,
    tax_table: TaxTableOf(RECORD_V1_TAX_TABLES),
    /** Credit notes only (post-check). */
    reference: Type.Optional(
      Type.Object(
        { device_id: Id, fiscal_number: Type.Integer({ minimum: 1 }), kind: Type.Enum(["VOID", "REFUND"]) },
        Closed,
      ),
    ),
  },
  Closed,
);
/** A decoded record v1. */
export type FiscalRecordV1 = Static<typeof FiscalRecordV1Schema>;

/** A record v2's reference: the original (COR, RAN, RAM), or none for a rebate (RRR). */
const RecordReferenceV2Schema = Type.Union([
  Type.Object({ nature: Type.Enum(["COR", "RAN", "RAM"]), device_id: Id, fiscal_number: Counter }, Closed),
  Type.Object({ nature: Type.Literal("RRR") }, Closed),
]);

/** Schema of a record v2, the one the device seals. A post-check adds what a schema cannot say. */
export const FiscalRecordV2Schema = Type.Object(
  {
    kind: Type.Literal("INVOICE"),
    v: Type.Literal(2),
    device_id: Id,
    fiscal_number: Counter,
    type_number: Counter,
    invoice_type: Type.Enum([...INVOICE_TYPES_V2]),
    /** DGI_TYPES[invoice_type].code (post-check). */
    dgi_type: Type.Enum(Object.values(DGI_TYPES).map((t) => t.code)),
    /** Calendar year of issued_at at UTC+01:00 (post-check). */
    fiscal_year: Type.Integer({ minimum: 1970, maximum: 9999 }),
    /** 1, 2, 3 … within the fiscal year, per device, without gaps. */
    year_number: Counter,
    issued_at: IssuedAt,
    payload_hash: BytesSchema(32),
    prev_hash: BytesSchema(32),
    merchant_nif: Id,
    outlet_id: Id,
    fiscal_authority_id: Id,
    isf: Id,
    rn: Ref,
    cashier_id: Ref,
    client_ref: Ref,
    currency: Type.Literal("CDF"),
    price_mode: Type.Enum([...PRICE_MODES]),
    totals: TotalsV2Schema,
    tax_table: TaxTableOf(RECORD_V2_TAX_TABLES),
    /** Credit notes only (post-check). */
    reference: Type.Optional(RecordReferenceV2Schema),
  },
  Closed,
);
/** A decoded record v2. */
export type FiscalRecordV2 = Static<typeof FiscalRecordV2Schema>;

/** The fields of a record v2 that are the sealed invoice's own (§8.2: "from the invoice"). */
export type RecordFieldsOfInvoice = Pick<
  FiscalRecordV2,
  | "invoice_type"
  | "dgi_type"
  | "isf"
  | "rn"
  | "cashier_id"
  | "client_ref"
  | "currency"
  | "price_mode"
  | "totals"
  | "tax_table"
  | "reference"
>;

/**
 * The record fields a DEF copies from the invoice it seals, written once for every sealer (the
 * emulator's device, the cloud emulator's synthetic device): an original sealed by this device is
 * named with `ownDeviceId`, and an RRR credit note references nothing.
 */
export function recordFieldsOfInvoice(
  invoice: CanonicalInvoiceV2,
  ownDeviceId: string,
): RecordFieldsOfInvoice {
  const ref = invoice.reference;
  return {
    invoice_type: invoice.type,
    dgi_type: invoice.dgi_type,
    isf: invoice.isf,
    rn: invoice.rn,
    cashier_id: invoice.operator.id,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    price_mode: invoice.price_mode,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
    ...(ref !== undefined && {
      reference:
        ref.nature === "RRR" || ref.fiscal_number === undefined
          ? { nature: "RRR" as const }
          : { nature: ref.nature, device_id: ref.device_id ?? ownDeviceId, fiscal_number: ref.fiscal_number },
    }),
  };
}

/** A decoded fiscal record of either version; `v` tells them apart. */
export type FiscalRecord = FiscalRecordV1 | FiscalRecordV2;

/** Schema of a fiscal record of either version (the post-checks of decodeRecord come on top). */
export const FiscalRecordSchema = Type.Union([FiscalRecordV1Schema, FiscalRecordV2Schema]);

/** The fiscal response on the wire: record bytes, signature, and what the receipt prints. */
export interface SealedRecord {
  /** Canonical CBOR of the FiscalRecord: exactly the bytes that were signed and hashed. */
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  /** v1: the auth code (`XXXX-XXXX-XXXX-XXXX`); v2: the Code DEF/DGI (24 characters). */
  readonly auth_code: string;
  readonly qr: string;
  /** The canonical invoice bytes, when the sender has them: SHA-256 of them is the record's payload_hash. */
  readonly invoice?: Uint8Array;
}

/** Schema of a SealedRecord as carried in messages. */
export const SealedRecordSchema = Type.Object(
  {
    record: BytesSchema(undefined, 4096),
    signature: BytesSchema(64),
    auth_code: Type.Union([
      Type.String({ pattern: AUTH_CODE_PATTERN }),
      Type.String({ pattern: CODE_DEF_PATTERN }),
    ]),
    qr: Type.String({ minLength: 1, maxLength: 512 }),
    invoice: Type.Optional(BytesSchema(undefined, MAX_INVOICE_BYTES)),
  },
  Closed,
);

const v1Checker = compileChecker(FiscalRecordV1Schema);
const v2Checker = compileChecker(FiscalRecordV2Schema);

/** Canonical bytes of a record. */
export function encodeRecord(record: FiscalRecord): Uint8Array {
  return encodeCanonical(record as never);
}

/** The chain hash of a record: SHA-256 of its canonical bytes. */
export function recordHash(recordBytes: Uint8Array): Uint8Array {
  return sha256(recordBytes);
}

function issue(name: keyof typeof ERRORS, path: string, message: string): FieldIssue {
  return { path, code: ERRORS[name].code, message };
}

/** The reference rule of §8.2: credit notes carry one, other types never do. */
function referenceIssues(isCredit: boolean, hasReference: boolean): FieldIssue[] {
  if (isCredit && !hasReference) return [issue("REFERENCE_REQUIRED", "/reference", "a credit note has one")];
  if (!isCredit && hasReference)
    return [issue("REFERENCE_FORBIDDEN", "/reference", "only credit notes have one")];
  return [];
}

/** What the schema of a record v2 cannot say. */
function postCheckV2(record: FiscalRecordV2): FieldIssue[] {
  const issues = referenceIssues(
    CREDITABLE_TYPES_V2[record.invoice_type as InvoiceTypeV2] !== undefined,
    record.reference !== undefined,
  );
  const dgi = DGI_TYPES[record.invoice_type as InvoiceTypeV2].code;
  if (record.dgi_type !== dgi) {
    issues.push(issue("FIELD_RANGE", "/dgi_type", `must be ${dgi}, the DGI code of ${record.invoice_type}`));
  }
  const year = fiscalYearOf(record.issued_at);
  if (record.fiscal_year !== year) {
    issues.push(issue("FIELD_RANGE", "/fiscal_year", `must be ${year}, the year of issued_at at UTC+01:00`));
  }
  return issues;
}

/**
 * Decodes and checks record bytes of either version: canonical CBOR, the schema of its `v`, and the
 * rules of §8.2 a schema cannot say (a reference exactly on credit notes; for v2 the DGI type code and
 * the fiscal year). Throws JOURNAL_CORRUPT, with the issues, when they are not a record.
 */
export function decodeRecord(recordBytes: Uint8Array): FiscalRecord {
  const value = decodeCanonical(recordBytes) as { readonly v?: unknown };
  const version = typeof value === "object" && value !== null ? value.v : undefined;
  let issues: FieldIssue[];
  if (version === 2) {
    issues = v2Checker.issues(value);
    if (issues.length === 0) issues = postCheckV2(value as FiscalRecordV2);
  } else if (version === 1) {
    issues = v1Checker.issues(value);
    if (issues.length === 0) {
      const record = value as FiscalRecordV1;
      issues = referenceIssues(
        CREDIT_TYPES.has(record.invoice_type as InvoiceType),
        record.reference !== undefined,
      );
    }
  } else {
    issues = [issue("FIELD_RANGE", "/v", "must be 1 or 2")];
  }
  if (issues.length > 0) {
    throw new FiscalError(
      "JOURNAL_CORRUPT",
      `not a fiscal record: ${issues[0]!.path} ${issues[0]!.message}`,
      { issues },
    );
  }
  return value as unknown as FiscalRecord;
}

/** The code a receipt prints for a signature: v1 auth code, or v2 Code DEF/DGI. */
export function recordCodeOf(version: FiscalRecord["v"], signature: Uint8Array): string {
  return version === 2 ? codeDefOf(signature) : authCodeOf(signature);
}

/**
 * Signs a record with the device key and derives its code (v1 auth code, v2 Code DEF/DGI) and QR
 * payload (v1 or v2 layout). `invoice`, the canonical invoice bytes, travels along when given.
 */
export function sealRecord(record: FiscalRecord, deviceSeed: Uint8Array, invoice?: Uint8Array): SealedRecord {
  const bytes = encodeRecord(record);
  const signature = signWith(deviceSeed, SignContext.RECORD, bytes);
  const auth_code = recordCodeOf(record.v, signature);
  const qr = buildQrPayload(record, auth_code, deviceSeed);
  return invoice === undefined
    ? { record: bytes, signature, auth_code, qr }
    : { record: bytes, signature, auth_code, qr, invoice };
}

/**
 * Verifies a sealed record offline with the device's public key: the record signature, the code
 * (auth code or Code DEF/DGI, by the record's version), the QR's own signature and its agreement with
 * the record, and, when the invoice bytes travel along, that they hash to the payload_hash. Returns
 * the decoded record. Throws SIGNATURE_INVALID naming what failed (JOURNAL_CORRUPT for bytes that are
 * not a record).
 */
export function openSealedRecord(sealed: SealedRecord, devicePublicKey: Uint8Array): FiscalRecord {
  const record = decodeRecord(sealed.record);
  const which = `record ${record.fiscal_number}`;
  if (!verifyWith(devicePublicKey, SignContext.RECORD, sealed.record, sealed.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", `${which}: signature does not verify`);
  }
  if (recordCodeOf(record.v, sealed.signature) !== sealed.auth_code) {
    const code = record.v === 2 ? "Code DEF/DGI" : "auth code";
    throw new FiscalError("SIGNATURE_INVALID", `${which}: ${code} does not match the signature`);
  }
  const qr = verifyQrPayload(sealed.qr, devicePublicKey);
  if (qr.body !== buildQrPayload(record, sealed.auth_code, null)) {
    throw new FiscalError("SIGNATURE_INVALID", `${which}: QR payload does not match the record`);
  }
  if (sealed.invoice !== undefined && !bytesEqual(sha256(sealed.invoice), record.payload_hash)) {
    throw new FiscalError("SIGNATURE_INVALID", `${which}: the invoice bytes do not hash to payload_hash`);
  }
  return record;
}
