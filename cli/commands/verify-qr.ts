/**
 * `stalela verify-qr PAYLOAD [--pubkey HEX] [--parse-only] [--json]`: checks a receipt's QR offline
 * (docs/PROTOCOL.md §8.4). Only the device's public key can tell a real receipt from a forged one, so
 * without --pubkey the command parses, says plainly that nothing was verified, and exits 5 unless
 * --parse-only asks for parsing alone.
 */
import type { Command } from "commander";
import {
  FiscalError,
  isFiscalError,
  parseQrPayload,
  toBase64Url,
  verifyQrPayload,
} from "../../protocol/index.js";
import { EXIT, type OutputOptions, printResult, runAction } from "../output.js";
import { pinnedKeyOf } from "./verify.js";

interface VerifyQrOptions extends OutputOptions {
  readonly pubkey?: string;
  readonly parseOnly?: boolean;
}

/** What `verify-qr --json` prints. */
export interface QrVerification {
  /** True: signature verified; false: it did not or the payload is malformed; null: not checked. */
  readonly valid: boolean | null;
  readonly reason: string | null;
  readonly payload: {
    readonly device_id: string;
    readonly fiscal_number: number;
    readonly invoice_type: string;
    readonly issued_at: string;
    readonly total: number;
    readonly currency: string;
    readonly tax_total: number;
    readonly merchant_nif: string;
    readonly auth_code: string;
    readonly signature: string;
  } | null;
}

/** Registers `verify-qr`. */
export function registerVerifyQrCommand(program: Command): void {
  program
    .command("verify-qr")
    .description("parse a receipt QR payload (RDCDEF01;…) and verify its signature with the device key")
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
        const result = check(text, key);
        const verified = result.valid === true || (result.valid === null && opts.parseOnly === true);
        printResult(opts, result, () => human(result, opts.parseOnly === true));
        process.exitCode = verified ? EXIT.OK : EXIT.VERIFICATION;
      }),
    );
}

function check(text: string, key: Uint8Array | undefined): QrVerification {
  let parsed: ReturnType<typeof parseQrPayload>;
  try {
    parsed = parseQrPayload(text.trim());
  } catch (err) {
    return { valid: false, reason: reasonOf(err), payload: null };
  }
  const payload = {
    device_id: parsed.deviceId,
    fiscal_number: parsed.fiscalNumber,
    invoice_type: parsed.invoiceType,
    issued_at: parsed.issuedAt,
    total: parsed.total,
    currency: parsed.currency,
    tax_total: parsed.taxTotal,
    merchant_nif: parsed.merchantNif,
    auth_code: parsed.authCode,
    signature: toBase64Url(parsed.signature),
  };
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

function human(r: QrVerification, parseOnly: boolean): string[] {
  const lines: string[] = [];
  if (r.valid === true) lines.push("QR VERIFIED: signed by the device key");
  else if (r.valid === null) {
    lines.push(parseOnly ? "QR PARSED (signature not checked)" : "QR NOT VERIFIED: no --pubkey given");
  } else lines.push(`QR INVALID: ${r.reason}`);
  const p = r.payload;
  if (p !== null) {
    lines.push(
      `  device ${p.device_id}, fiscal number ${p.fiscal_number}, ${p.invoice_type}, issued ${p.issued_at}`,
      `  total ${p.total} ${p.currency} (tax ${p.tax_total}), merchant NIF ${p.merchant_nif}`,
      `  auth code ${p.auth_code}`,
    );
  }
  if (r.valid === null && !parseOnly) {
    lines.push(
      "  Only the device's public key proves a receipt genuine: pass --pubkey HEX, or --parse-only.",
    );
  }
  return lines;
}
