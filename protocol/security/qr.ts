/**
 * The receipt QR payload, in the `RDCDEF01;` family DRC DEF clients print (docs/PROTOCOL.md §8.4).
 * Two versions, told apart by their number of `;`-separated fields.
 *
 * Version 2 (10 fields), for records v2:
 *
 *   RDCDEF01;<device_id>;<code_def>;<merchant_nif>;<DT>;<fiscal_number>;<dgi_type>;<total>;
 *   <tax_total>;<signature>
 *
 * The first five fields follow the QR that DGI-homologated MCFs print, `RDCDEF01;{MID};{SIG};{NIF};{DT}`
 * (../shared/DRC-RULES.md §6; M-evidence: third-party integrations, not a DGI text, which leaves the
 * QR to the MCF protocol, EG1.29): MID is the device id, SIG the Code DEF/DGI (24 Crockford base32
 * characters, auth-code.ts), NIF the merchant's, DT the device time. A reader that knows only the MCF
 * layout reads those five. DT is UTC as `YYYYMMDDHHMMSS` (14 digits, seconds truncated), the format
 * the MCF uses for its own dates (C1h, C2h); whether its 38h DT is UTC or local is unconfirmed, so we
 * say UTC. The fields after them keep what lets anyone check the receipt offline with the device's
 * public key: the fiscal number, the DGI type code (FV FT FA EV ET EA), the total and the tax total
 * in minor units (CDF centimes), and the device's Ed25519 signature.
 *
 * Version 1 (11 fields), for records v1 sealed before:
 *
 *   RDCDEF01;<device_id>;<fiscal_number>;<invoice_type>;<issued_at>;<total>;<currency>;
 *   <tax_total>;<merchant_nif>;<auth_code>;<signature>
 *
 * with `issued_at` UTC in ISO 8601 basic format (`20261123T085012Z`).
 *
 * In both, `signature` is base64url (no padding) of the device's Ed25519 signature, under the QR
 * context, over everything before it (the body, which ends with `;`).
 */
import { fromBase64Url, toBase64Url } from "../bytes.js";
import { FiscalError } from "../errors.js";
import { DGI_TYPES } from "../invoice/tables-v2.js";
import { CODE_DEF_PATTERN } from "./auth-code.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";

/** First field of every payload: family and version of the family. */
export const QR_PREFIX = "RDCDEF01";
/** Fields of a version-1 payload. */
export const QR_V1_FIELD_COUNT = 11;
/** Fields of a version-2 payload. */
export const QR_V2_FIELD_COUNT = 10;

/** The record fields a version-1 QR carries (a record v1). */
export interface QrRecordFieldsV1 {
  readonly v?: 1;
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_type: string;
  readonly issued_at: number;
  readonly totals: { readonly total: number; readonly tax_total: number };
  readonly currency: string;
  readonly merchant_nif: string;
}

/** The record fields a version-2 QR carries (a record v2). */
export interface QrRecordFieldsV2 {
  readonly v: 2;
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly dgi_type: string;
  readonly issued_at: number;
  readonly totals: { readonly total: number; readonly tax_total: number };
  readonly merchant_nif: string;
}

/** The record fields the QR carries; `v` picks the layout. */
export type QrRecordFields = QrRecordFieldsV1 | QrRecordFieldsV2;

interface QrPayloadFields {
  readonly deviceId: string;
  readonly fiscalNumber: number;
  /** v1: `YYYYMMDDTHHMMSSZ`; v2: `YYYYMMDDHHMMSS` (both UTC). */
  readonly issuedAt: string;
  readonly total: number;
  readonly taxTotal: number;
  readonly merchantNif: string;
  /** v1: the auth code (`XXXX-XXXX-XXXX-XXXX`); v2: the Code DEF/DGI (24 characters). */
  readonly authCode: string;
  readonly signature: Uint8Array;
  /** The signed part: everything up to and including the last `;`. */
  readonly body: string;
}

/** A parsed version-1 payload. */
export interface QrPayloadV1 extends QrPayloadFields {
  readonly version: 1;
  readonly invoiceType: string;
  readonly currency: string;
}

/** A parsed version-2 payload. */
export interface QrPayloadV2 extends QrPayloadFields {
  readonly version: 2;
  /** The DGI type code: FV FT FA EV ET EA. */
  readonly dgiType: string;
}

/** A parsed QR payload; `version` says which layout it had. */
export type QrPayload = QrPayloadV1 | QrPayloadV2;

/** Formats ms since the epoch as `YYYYMMDDTHHMMSSZ` (the v1 QR time). */
export function qrTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/** Formats ms since the epoch as `YYYYMMDDHHMMSS`, UTC, seconds truncated (the v2 QR's DT). */
export function qrTimeV2(ms: number): string {
  return qrTime(ms).replace("T", "").replace("Z", "");
}

function bodyOf(record: QrRecordFields, authCode: string): string {
  const fields =
    record.v === 2
      ? [
          QR_PREFIX,
          record.device_id,
          authCode,
          record.merchant_nif,
          qrTimeV2(record.issued_at),
          String(record.fiscal_number),
          record.dgi_type,
          String(record.totals.total),
          String(record.totals.tax_total),
        ]
      : [
          QR_PREFIX,
          record.device_id,
          String(record.fiscal_number),
          record.invoice_type,
          qrTime(record.issued_at),
          String(record.totals.total),
          record.currency,
          String(record.totals.tax_total),
          record.merchant_nif,
          authCode,
        ];
  return `${fields.join(";")};`;
}

/**
 * Builds the payload for a record, in the layout of its version (`authCode` is the v1 auth code or
 * the v2 Code DEF/DGI). With `deviceSeed` null it returns only the body (used when checking that a
 * QR agrees with its record).
 */
export function buildQrPayload(
  record: QrRecordFields,
  authCode: string,
  deviceSeed: Uint8Array | null,
): string {
  const body = bodyOf(record, authCode);
  if (deviceSeed === null) return body;
  return body + toBase64Url(signWith(deviceSeed, SignContext.QR, new TextEncoder().encode(body)));
}

const DGI_CODES: ReadonlySet<string> = new Set(Object.values(DGI_TYPES).map((t) => t.code));
const CODE_DEF = new RegExp(CODE_DEF_PATTERN);
const IDENTIFIER = /^[A-Za-z0-9-]{1,32}$/;

function malformed(why: string): FiscalError {
  return new FiscalError("FIELD_TYPE", `not a ${QR_PREFIX} payload: ${why}`);
}

function integerField(s: string, name: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) throw malformed(`${name} is not an integer`);
  return Number(s);
}

function signatureField(s: string): Uint8Array {
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(s);
  } catch {
    throw malformed("signature is not base64url");
  }
  if (signature.length !== 64) throw malformed("signature is not 64 bytes");
  return signature;
}

function parseV1(text: string, fields: readonly string[]): QrPayloadV1 {
  const [, deviceId, fn, type, time, total, currency, taxTotal, nif, authCode, sig] = fields as string[];
  if (!/^\d{8}T\d{6}Z$/.test(time!)) throw malformed("issued_at is not YYYYMMDDTHHMMSSZ");
  return {
    version: 1,
    deviceId: deviceId!,
    fiscalNumber: integerField(fn!, "fiscal_number"),
    invoiceType: type!,
    issuedAt: time!,
    total: integerField(total!, "total"),
    currency: currency!,
    taxTotal: integerField(taxTotal!, "tax_total"),
    merchantNif: nif!,
    authCode: authCode!,
    signature: signatureField(sig!),
    body: text.slice(0, text.length - sig!.length),
  };
}

function parseV2(text: string, fields: readonly string[]): QrPayloadV2 {
  const [, deviceId, codeDef, nif, time, fn, dgiType, total, taxTotal, sig] = fields as string[];
  if (!IDENTIFIER.test(deviceId!)) throw malformed("device_id is not an identifier");
  if (!CODE_DEF.test(codeDef!)) throw malformed("the Code DEF/DGI is not 24 Crockford base32 characters");
  if (!IDENTIFIER.test(nif!)) throw malformed("merchant_nif is not an identifier");
  if (!/^\d{14}$/.test(time!)) throw malformed("DT is not YYYYMMDDHHMMSS");
  if (!DGI_CODES.has(dgiType!)) throw malformed("dgi_type is not a DGI invoice type code");
  return {
    version: 2,
    deviceId: deviceId!,
    authCode: codeDef!,
    merchantNif: nif!,
    issuedAt: time!,
    fiscalNumber: integerField(fn!, "fiscal_number"),
    dgiType: dgiType!,
    total: integerField(total!, "total"),
    taxTotal: integerField(taxTotal!, "tax_total"),
    signature: signatureField(sig!),
    body: text.slice(0, text.length - sig!.length),
  };
}

/**
 * Parses a payload without verifying it: 11 fields are version 1, 10 are version 2. Throws
 * FIELD_TYPE for anything not of either format.
 */
export function parseQrPayload(text: string): QrPayload {
  const fields = text.split(";");
  if (fields.length !== QR_V1_FIELD_COUNT && fields.length !== QR_V2_FIELD_COUNT) {
    throw malformed(
      `expected ${QR_V2_FIELD_COUNT} (v2) or ${QR_V1_FIELD_COUNT} (v1) fields, found ${fields.length}`,
    );
  }
  if (fields[0] !== QR_PREFIX) throw malformed(`prefix is ${fields[0]}`);
  return fields.length === QR_V2_FIELD_COUNT ? parseV2(text, fields) : parseV1(text, fields);
}

/** Parses and verifies a payload with the device's public key. Throws SIGNATURE_INVALID if forged. */
export function verifyQrPayload(text: string, devicePublicKey: Uint8Array): QrPayload {
  const qr = parseQrPayload(text);
  if (!verifyWith(devicePublicKey, SignContext.QR, new TextEncoder().encode(qr.body), qr.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", `QR of record ${qr.fiscalNumber}: signature does not verify`);
  }
  return qr;
}
