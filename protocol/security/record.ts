/**
 * The fiscal record the DEF signs at COMMIT, its hash chain, and the sealed form that travels on the
 * wire (docs/PROTOCOL.md §8). The record holds identifiers, counters, the device timestamp, the
 * payload hash, the totals and the previous record's hash; it does not hold the invoice lines, which
 * the payload hash binds.
 */
import Type, { type Static } from "typebox";
import { BytesSchema } from "../bytes.js";
import { decodeCanonical, encodeCanonical } from "../cbor.js";
import { FiscalError } from "../errors.js";
import { sha256 } from "../invoice/canonical.js";
import { ID_PATTERN, REF_PATTERN, TotalsSchema } from "../invoice/schema.js";
import { INVOICE_TYPES } from "../invoice/tables.js";
import { compileChecker } from "../schema-issues.js";
import { authCodeOf } from "./auth-code.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";
import { buildQrPayload, verifyQrPayload } from "./qr.js";

/** Schema of the signed fiscal record. */
export const FiscalRecordSchema = Type.Object(
  {
    kind: Type.Literal("INVOICE"),
    v: Type.Literal(1),
    device_id: Type.String({ pattern: ID_PATTERN }),
    fiscal_number: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    type_number: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
    invoice_type: Type.Enum([...INVOICE_TYPES]),
    issued_at: Type.Integer({ minimum: 0, description: "device time, ms since the Unix epoch (UTC)" }),
    payload_hash: BytesSchema(32),
    prev_hash: BytesSchema(32),
    merchant_nif: Type.String({ pattern: ID_PATTERN }),
    outlet_id: Type.String({ pattern: ID_PATTERN }),
    fiscal_authority_id: Type.String({ pattern: ID_PATTERN }),
    cashier_id: Type.String({ pattern: REF_PATTERN }),
    client_ref: Type.String({ pattern: REF_PATTERN }),
    currency: Type.String({ pattern: "^[A-Z]{3}$" }),
    totals: TotalsSchema,
    tax_table: Type.String({ minLength: 1, maxLength: 32 }),
    reference: Type.Optional(
      Type.Object(
        {
          device_id: Type.String({ pattern: ID_PATTERN }),
          fiscal_number: Type.Integer({ minimum: 1 }),
          kind: Type.Enum(["VOID", "REFUND"]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
/** A decoded fiscal record. */
export type FiscalRecord = Static<typeof FiscalRecordSchema>;

/** The fiscal response on the wire: record bytes, signature, and what the receipt prints. */
export interface SealedRecord {
  /** Canonical CBOR of the FiscalRecord: exactly the bytes that were signed and hashed. */
  readonly record: Uint8Array;
  readonly signature: Uint8Array;
  readonly auth_code: string;
  readonly qr: string;
}

/** Schema of a SealedRecord as carried in messages. */
export const SealedRecordSchema = Type.Object(
  {
    record: BytesSchema(undefined, 4096),
    signature: BytesSchema(64),
    auth_code: Type.String({ pattern: "^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$" }),
    qr: Type.String({ minLength: 1, maxLength: 512 }),
  },
  { additionalProperties: false },
);

const recordChecker = compileChecker(FiscalRecordSchema);

/** Canonical bytes of a record. */
export function encodeRecord(record: FiscalRecord): Uint8Array {
  return encodeCanonical(record as never);
}

/** The chain hash of a record: SHA-256 of its canonical bytes. */
export function recordHash(recordBytes: Uint8Array): Uint8Array {
  return sha256(recordBytes);
}

/** Decodes and schema-checks record bytes. Throws JOURNAL_CORRUPT when they are not a record. */
export function decodeRecord(recordBytes: Uint8Array): FiscalRecord {
  const value = decodeCanonical(recordBytes);
  const issues = recordChecker.issues(value);
  if (issues.length > 0) {
    throw new FiscalError(
      "JOURNAL_CORRUPT",
      `not a fiscal record: ${issues[0]!.path} ${issues[0]!.message}`,
      {
        issues,
      },
    );
  }
  return value as unknown as FiscalRecord;
}

/** Signs a record with the device key and derives its auth code and QR payload. */
export function sealRecord(record: FiscalRecord, deviceSeed: Uint8Array): SealedRecord {
  const bytes = encodeRecord(record);
  const signature = signWith(deviceSeed, SignContext.RECORD, bytes);
  const auth_code = authCodeOf(signature);
  return { record: bytes, signature, auth_code, qr: buildQrPayload(record, auth_code, deviceSeed) };
}

/**
 * Verifies a sealed record offline with the device's public key: the record signature, the auth
 * code, and the QR's own signature and its agreement with the record. Returns the decoded record.
 * Throws SIGNATURE_INVALID naming what failed (JOURNAL_CORRUPT for bytes that are not a record).
 */
export function openSealedRecord(sealed: SealedRecord, devicePublicKey: Uint8Array): FiscalRecord {
  const record = decodeRecord(sealed.record);
  if (!verifyWith(devicePublicKey, SignContext.RECORD, sealed.record, sealed.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", `record ${record.fiscal_number}: signature does not verify`);
  }
  if (authCodeOf(sealed.signature) !== sealed.auth_code) {
    throw new FiscalError(
      "SIGNATURE_INVALID",
      `record ${record.fiscal_number}: auth code does not match the signature`,
    );
  }
  const qr = verifyQrPayload(sealed.qr, devicePublicKey);
  const expected = buildQrPayload(record, sealed.auth_code, null);
  if (qr.body !== expected) {
    throw new FiscalError(
      "SIGNATURE_INVALID",
      `record ${record.fiscal_number}: QR payload does not match the record`,
    );
  }
  return record;
}
