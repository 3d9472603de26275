/**
 * `stalela verify-qr PAYLOAD [--pubkey HEX] [--parse-only] [--json]`: checks a receipt's QR offline
 * (docs/PROTOCOL.md §8.4), version 2 (10 fields, with the Code DEF/DGI) or version 1 (11 fields,
 * records sealed before). Only the device's public key can tell a real receipt from a forged one, so
 * without --pubkey the command parses, says plainly that nothing was verified, and exits 5 unless
 * --parse-only asks for parsing alone.
 */
import type { Command } from "commander";
import { type Lang, t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import {
  DGI_TYPES,
  FiscalError,
  isFiscalError,
  parseQrPayload,
  type QrPayload,
  toBase64Url,
  verifyQrPayload,
} from "../../protocol/index.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
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
    .description("help.verify-qr")
    .argument("<payload>", "help.verify-qr.payload")
    .option("--pubkey <hex>", "help.verify-qr.pubkey")
    .option("--parse-only", "help.verify-qr.parse-only")
    .option("--json", "help.verify-qr.json")
    .addHelpText("after", afterHelp("help.verify-qr.after"))
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

/**
 * A QR time, UTC (`20260101083100` in v2, `20260101T083100Z` in v1), in the shop's zone with its
 * offset; as written when it is not one (the signature check says whether the payload is genuine).
 */
function issuedText(issuedAt: string, lang: Lang): string {
  const m = /^(\d{4})(\d{2})(\d{2})T?(\d{2})(\d{2})(\d{2})Z?$/.exec(issuedAt);
  if (m === null) return issuedAt;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return Number.isNaN(ms) ? issuedAt : formatLocalTime(ms, readerTimeZone(), lang);
}

/** Centimes as CDF with two decimals: 9950 → `99,50 CDF`. */
function cdfText(centimes: number): string {
  return `${Math.floor(centimes / 100)},${String(centimes % 100).padStart(2, "0")} CDF`;
}

function payloadLines(p: QrFieldsV1 | QrFieldsV2, lang: Lang): string[] {
  const say = (key: string, values?: Record<string, string>): string =>
    t(lang, `cli.verify_qr.${key}`, values);
  const head = { device: p.device_id, number: String(p.fiscal_number), when: issuedText(p.issued_at, lang) };
  if (p.version === 2) {
    return [
      say("v2", { ...head, type: p.dgi_label === null ? p.dgi_type : `${p.dgi_type} (${p.dgi_label})` }),
      say("v2_total", {
        total: String(p.total),
        amount: cdfText(p.total),
        tax: cdfText(p.tax_total),
        nif: p.merchant_nif,
      }),
      say("v2_code", { code: p.code_def }),
    ];
  }
  return [
    say("v1", { ...head, type: p.invoice_type }),
    say("v1_total", {
      total: String(p.total),
      currency: p.currency,
      tax: String(p.tax_total),
      nif: p.merchant_nif,
    }),
    say("v1_code", { code: p.auth_code }),
  ];
}

/** The readable lines `verify-qr` prints for a result, in `lang` (the reader's language unless given). */
export function qrVerificationLines(
  r: QrVerification,
  parseOnly: boolean,
  lang: Lang = readerLang(),
): string[] {
  const say = (key: string, values?: Record<string, string>): string =>
    t(lang, `cli.verify_qr.${key}`, values);
  const lines: string[] = [];
  if (r.valid === true) lines.push(say("verified"));
  else if (r.valid === null) lines.push(say(parseOnly ? "parsed" : "not_verified"));
  else lines.push(say("invalid", { reason: r.reason ?? "" }));
  if (r.payload !== null) lines.push(...payloadLines(r.payload, lang));
  if (r.valid === null && !parseOnly) lines.push(say("key_needed"));
  return lines;
}
