/**
 * `stalela verify-qr PAYLOAD [--pubkey HEX] [--parse-only] [--json]`: checks a receipt's QR offline
 * (docs/PROTOCOL.md §8.4), version 2 (10 fields, with the Code DEF/DGI) or version 1 (11 fields,
 * records sealed before). Only the device's public key can tell a real receipt from a forged one, so
 * without --pubkey the command parses, says plainly that nothing was verified, and exits 5 unless
 * --parse-only asks for parsing alone.
 */
import type { Command } from "commander";
import {
  DGI_TYPES,
  FiscalError,
  isFiscalError,
  parseQrPayload,
  type QrPayload,
  toBase64Url,
  verifyQrPayload,
} from "../../protocol/index.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import { pinnedKeyOf } from "./verify.js";

interface VerifyQrOptions extends OutputOptions {
  readonly pubkey?: string;
  readonly parseOnly?: boolean;
}

/** The fields of a version-1 QR (records v1), as `verify-qr --json` prints them. */
export interface QrFieldsV1 {
  readonly version: 1;
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly invoice_type: string;
  /** UTC, `YYYYMMDDTHHMMSSZ`. */
  readonly issued_at: string;
  /** Minor units of `currency`. */
  readonly total: number;
  readonly currency: string;
  readonly tax_total: number;
  readonly merchant_nif: string;
  readonly auth_code: string;
  readonly signature: string;
}

/** The fields of a version-2 QR (records v2), as `verify-qr --json` prints them. */
export interface QrFieldsV2 {
  readonly version: 2;
  readonly device_id: string;
  /** The Code DEF/DGI: 24 Crockford base32 characters. */
  readonly code_def: string;
  readonly merchant_nif: string;
  /** DT: UTC, `YYYYMMDDHHMMSS`. */
  readonly issued_at: string;
  readonly fiscal_number: number;
  /** The DGI type code (FV FT FA EV ET EA) and what a receipt prints for it. */
  readonly dgi_type: string;
  readonly dgi_label: string | null;
  /** CDF centimes (a record v2 is always in CDF). */
  readonly total: number;
  readonly tax_total: number;
  readonly signature: string;
}

/** What `verify-qr --json` prints. */
export interface QrVerification {
  /** True: signature verified; false: it did not or the payload is malformed; null: not checked. */
  readonly valid: boolean | null;
  readonly reason: string | null;
  readonly payload: QrFieldsV1 | QrFieldsV2 | null;
}

/** Registers `verify-qr`. */
export function registerVerifyQrCommand(program: Command): void {
  program
    .command("verify-qr")
    .description(
      "parse a receipt QR payload (RDCDEF01;…, v1 or v2) and verify its signature with the device key",
    )
    .argument("<payload>", "the scanned QR text (quote it: it contains ';')")
    .option("--pubkey <hex>", "the device's public key (hex); without it nothing can be verified")
    .option("--parse-only", "only parse; exit 0 for a well-formed payload")
    .option("--json", "machine-readable result on stdout")
    .addHelpText(
      "after",
      "\nExit codes: 0 verified (or parsed with --parse-only), 5 not verified, 2 bad --pubkey.",
    )
    .action((text: string, opts: VerifyQrOptions) =>
      runAction(opts, () => {
        const key = pinnedKeyOf(opts.pubkey);
        const result = checkQr(text, key);
        const verified = result.valid === true || (result.valid === null && opts.parseOnly === true);
        printResult(opts, result, () => qrVerificationLines(result, opts.parseOnly === true));
        process.exitCode = verified ? EXIT.OK : EXIT.VERIFICATION;
      }),
    );
}

/** The printed fields of a parsed payload, by its version. */
function fieldsOf(qr: QrPayload): QrFieldsV1 | QrFieldsV2 {
  const signature = toBase64Url(qr.signature);
  if (qr.version === 2) {
    const type = Object.values(DGI_TYPES).find((t) => t.code === qr.dgiType);
    return {
      version: 2,
      device_id: qr.deviceId,
      code_def: qr.authCode,
      merchant_nif: qr.merchantNif,
      issued_at: qr.issuedAt,
      fiscal_number: qr.fiscalNumber,
      dgi_type: qr.dgiType,
      dgi_label: type?.label ?? null,
      total: qr.total,
      tax_total: qr.taxTotal,
      signature,
    };
  }
  return {
    version: 1,
    device_id: qr.deviceId,
    fiscal_number: qr.fiscalNumber,
    invoice_type: qr.invoiceType,
    issued_at: qr.issuedAt,
    total: qr.total,
    currency: qr.currency,
    tax_total: qr.taxTotal,
    merchant_nif: qr.merchantNif,
    auth_code: qr.authCode,
    signature,
  };
}

/** Parses `text` and, with a key, verifies it: the result `verify-qr` prints. */
export function checkQr(text: string, key: Uint8Array | undefined): QrVerification {
  let payload: QrFieldsV1 | QrFieldsV2;
  try {
    payload = fieldsOf(parseQrPayload(text.trim()));
  } catch (err) {
    return { valid: false, reason: reasonOf(err), payload: null };
  }
  if (key === undefined) {
    return { valid: null, reason: "no --pubkey given: the signature was not checked", payload };
  }
  try {
    verifyQrPayload(text.trim(), key);
    return { valid: true, reason: null, payload };
  } catch (err) {
    return { valid: false, reason: reasonOf(err), payload };
  }
}

function reasonOf(err: unknown): string {
  if (isFiscalError(err)) return err.message;
  return new FiscalError("SIGNATURE_INVALID", (err as Error).message).message;
}

/** `20260101083100` → `2026-01-01 08:31:00 UTC`. */
function dtText(dt: string): string {
  return `${dt.slice(0, 4)}-${dt.slice(4, 6)}-${dt.slice(6, 8)} ${dt.slice(8, 10)}:${dt.slice(10, 12)}:${dt.slice(12, 14)} UTC`;
}

/** Centimes as CDF with two decimals: 9950 → `99,50 CDF`. */
function cdfText(centimes: number): string {
  return `${Math.floor(centimes / 100)},${String(centimes % 100).padStart(2, "0")} CDF`;
}

function payloadLines(p: QrFieldsV1 | QrFieldsV2): string[] {
  if (p.version === 2) {
    return [
      `  QR v2: device ${p.device_id}, fiscal number ${p.fiscal_number}, ${p.dgi_type}${p.dgi_label === null ? "" : ` (${p.dgi_label})`}, issued ${dtText(p.issued_at)}`,
      `  total ${p.total} centimes = ${cdfText(p.total)} (tax ${cdfText(p.tax_total)}), merchant NIF ${p.merchant_nif}`,
      `  Code DEF/DGI ${p.code_def}`,
    ];
  }
  return [
    `  QR v1: device ${p.device_id}, fiscal number ${p.fiscal_number}, ${p.invoice_type}, issued ${p.issued_at}`,
    `  total ${p.total} ${p.currency} minor units (tax ${p.tax_total}), merchant NIF ${p.merchant_nif}`,
    `  auth code ${p.auth_code}`,
  ];
}

/** The readable lines `verify-qr` prints for a result. */
export function qrVerificationLines(r: QrVerification, parseOnly: boolean): string[] {
  const lines: string[] = [];
  if (r.valid === true) lines.push("QR VERIFIED: signed by the device key");
  else if (r.valid === null) {
    lines.push(parseOnly ? "QR PARSED (signature not checked)" : "QR NOT VERIFIED: no --pubkey given");
  } else lines.push(`QR INVALID: ${r.reason}`);
  if (r.payload !== null) lines.push(...payloadLines(r.payload));
  if (r.valid === null && !parseOnly) {
    lines.push(
      "  Only the device's public key proves a receipt genuine: pass --pubkey HEX, or --parse-only.",
    );
  }
  return lines;
}
