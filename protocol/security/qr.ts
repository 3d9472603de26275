/**
 * The receipt QR payload, in the `RDCDEF01;` family used by DRC DEF clients (docs/PROTOCOL.md §8.4):
 *
 *   RDCDEF01;<device_id>;<fiscal_number>;<invoice_type>;<issued_at>;<total>;<currency>;
 *   <tax_total>;<merchant_nif>;<auth_code>;<signature>
 *
 * `issued_at` is UTC in ISO 8601 basic format (`20261123T085012Z`), amounts are integer minor units,
 * and `signature` is base64url (no padding) of the device's Ed25519 signature, under the QR context,
 * over everything before it (the body, which ends with `;`). Anyone with the device's public key can
 * verify a printed receipt offline.
 */
import { fromBase64Url, toBase64Url } from "../bytes.js";
import { FiscalError } from "../errors.js";
import { SignContext, signWith, verifyWith } from "./ed25519.js";

/** First field of every payload: family and version. */
export const QR_PREFIX = "RDCDEF01";
const FIELD_COUNT = 11;

/** The record fields the QR carries. */
export interface QrRecordFields {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_type: string;
  readonly issued_at: number;
  readonly totals: { readonly total: number; readonly tax_total: number };
  readonly currency: string;
  readonly merchant_nif: string;
}

/** A parsed QR payload. */
export interface QrPayload {
  readonly deviceId: string;
  readonly fiscalNumber: number;
  readonly invoiceType: string;
  readonly issuedAt: string;
  readonly total: number;
  readonly currency: string;
  readonly taxTotal: number;
  readonly merchantNif: string;
  readonly authCode: string;
  readonly signature: Uint8Array;
  /** The signed part: everything up to and including the last `;`. */
  readonly body: string;
}

/** Formats ms since the epoch as `YYYYMMDDTHHMMSSZ`. */
export function qrTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * Builds the payload for a record. With `deviceSeed` null it returns only the body (used when
 * checking that a QR agrees with its record).
 */
export function buildQrPayload(
  record: QrRecordFields,
  authCode: string,
  deviceSeed: Uint8Array | null,
): string {
  const body = `${[
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
  ].join(";")};`;
  if (deviceSeed === null) return body;
  return body + toBase64Url(signWith(deviceSeed, SignContext.QR, new TextEncoder().encode(body)));
}

/** Parses a payload without verifying it. Throws FIELD_TYPE for anything not of the format. */
export function parseQrPayload(text: string): QrPayload {
  const fields = text.split(";");
  const bad = (why: string): FiscalError =>
    new FiscalError("FIELD_TYPE", `not a ${QR_PREFIX} payload: ${why}`);
  if (fields.length !== FIELD_COUNT) throw bad(`expected ${FIELD_COUNT} fields, found ${fields.length}`);
  const [prefix, deviceId, fn, type, time, total, currency, taxTotal, nif, authCode, sig] = fields;
  if (prefix !== QR_PREFIX) throw bad(`prefix is ${prefix}`);
  const int = (s: string | undefined, name: string): number => {
    if (s === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(s)) throw bad(`${name} is not an integer`);
    return Number(s);
  };
  if (!/^\d{8}T\d{6}Z$/.test(time ?? "")) throw bad("issued_at is not YYYYMMDDTHHMMSSZ");
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(sig ?? "");
  } catch {
    throw bad("signature is not base64url");
  }
  if (signature.length !== 64) throw bad("signature is not 64 bytes");
  return {
    deviceId: deviceId!,
    fiscalNumber: int(fn, "fiscal_number"),
    invoiceType: type!,
    issuedAt: time!,
    total: int(total, "total"),
    currency: currency!,
    taxTotal: int(taxTotal, "tax_total"),
    merchantNif: nif!,
    authCode: authCode!,
    signature,
    body: text.slice(0, text.length - sig!.length),
  };
}

/** Parses and verifies a payload with the device's public key. Throws SIGNATURE_INVALID if forged. */
export function verifyQrPayload(text: string, devicePublicKey: Uint8Array): QrPayload {
  const qr = parseQrPayload(text);
  if (!verifyWith(devicePublicKey, SignContext.QR, new TextEncoder().encode(qr.body), qr.signature)) {
    throw new FiscalError("SIGNATURE_INVALID", `QR of record ${qr.fiscalNumber}: signature does not verify`);
  }
  return qr;
}
