/**
 * `stalela verify-qr` on QR v2 (records v2, the Code DEF/DGI) and QR v1 (records sealed before),
 * run in process through commander so the test needs no build. Records are sealed with a fixed key.
 */
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type QrVerification, registerVerifyQrCommand } from "../../cli/commands/verify-qr.js";
import { setReaderLang } from "../../cli/lang.js";
import {
  canonicaliseInvoice,
  encodeCanonical,
  type FiscalRecordV1,
  type FiscalRecordV2,
  invoiceHash,
  keyPairFromSeed,
  type SealedRecord,
  sealRecord,
  sha256,
  toHex,
} from "../../protocol/index.js";

const device = keyPairFromSeed(sha256(new TextEncoder().encode("verify-qr test device")));
const pubkey = toHex(device.publicKey);
const ISSUED_AT = Date.UTC(2026, 10, 23, 9, 0, 59, 999);

const v2: FiscalRecordV2 = {
  kind: "INVOICE",
  v: 2,
  device_id: "DEF-00000001",
  fiscal_number: 41,
  type_number: 3,
  invoice_type: "EXPORT",
  dgi_type: "EV",
  fiscal_year: 2026,
  year_number: 40,
  issued_at: ISSUED_AT,
  payload_hash: sha256(encodeCanonical({ stand_in: true })),
  prev_hash: new Uint8Array(32),
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-1",
  fiscal_authority_id: "FA-1",
  isf: "ISF-1",
  rn: "POS-1",
  cashier_id: "CASHIER-1",
  client_ref: "R-1",
  currency: "CDF",
  price_mode: "TTC",
  totals: {
    total: 250_075,
    tax_total: 0,
    specific_tax_total: 0,
    groups: [{ group: "E", rate_bp: 0, base: 250_075, tax: 0, total: 250_075 }],
  },
  tax_table: "RDC-2026.2",
};

const invoiceV1 = canonicaliseInvoice(
  {
    type: "SALE",
    currency: "USD",
    items: [{ name: "Airtime", kind: "SERVICE", quantity: 1, unit_price: 500, tax_group: "B" }],
    payments: [{ method: "CARD", amount: 500 }],
  },
  { cashierId: "C-1", defaultClientRef: "R-1" },
);
const v1: FiscalRecordV1 = {
  kind: "INVOICE",
  v: 1,
  device_id: "DEF-00000001",
  fiscal_number: 7,
  type_number: 7,
  invoice_type: "SALE",
  issued_at: ISSUED_AT,
  payload_hash: invoiceHash(invoiceV1),
  prev_hash: new Uint8Array(32),
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-1",
  fiscal_authority_id: "FA-1",
  cashier_id: "C-1",
  client_ref: "R-1",
  currency: "USD",
  totals: invoiceV1.totals,
  tax_table: invoiceV1.tax_table,
};

const sealedV2: SealedRecord = sealRecord(v2, device.seed);
const sealedV1: SealedRecord = sealRecord(v1, device.seed);

/** Runs `stalela verify-qr ARGS` in this process: its exit code and stdout. */
async function verifyQr(args: readonly string[]): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const program = new Command().exitOverride();
    registerVerifyQrCommand(program);
    await program.parseAsync(["verify-qr", ...args], { from: "user" });
  } finally {
    write.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout };
}

// A French reader in Kinshasa (the defaults), whatever the machine running the tests has set.
beforeEach(() => {
  setReaderLang(undefined);
  vi.stubEnv("LC_ALL", undefined);
  vi.stubEnv("LC_MESSAGES", undefined);
  vi.stubEnv("LANG", "C.UTF-8");
  vi.stubEnv("STALELA_TIME_ZONE", undefined);
});
afterEach(() => {
  process.exitCode = undefined;
  setReaderLang(undefined);
  vi.unstubAllEnvs();
});

describe("stalela verify-qr, QR v2", () => {
  it("verifies with the device key and prints every v2 field in JSON", async () => {
    const run = await verifyQr([sealedV2.qr, "--pubkey", pubkey, "--json"]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as QrVerification;
    expect(result).toEqual({
      valid: true,
      reason: null,
      payload: {
        version: 2,
        device_id: "DEF-00000001",
        code_def: sealedV2.auth_code,
        merchant_nif: "A1234567B",
        issued_at: "20261123090059",
        fiscal_number: 41,
        dgi_type: "EV",
        dgi_label: "FACTURE EXPORTATION",
        total: 250_075,
        tax_total: 0,
        signature: sealedV2.qr.split(";")[9],
      },
    });
    expect(sealedV2.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
  });

  it("prints the Code DEF/DGI, the DGI type and the amounts in CDF for a person", async () => {
    const run = await verifyQr([sealedV2.qr, "--pubkey", pubkey]);
    expect(run.code).toBe(0);
    // French by default, the time in Kinshasa's zone (09:00:59 UTC is 10:00:59 there).
    expect(run.stdout).toContain("QR VÉRIFIÉ : signé par la clé de l'appareil fiscal");
    expect(run.stdout).toContain(
      "QR v2 : appareil fiscal DEF-00000001, n° fiscal 41, EV (FACTURE EXPORTATION), " +
        "émise le 23/11/2026 10:00:59 (UTC+01:00)",
    );
    expect(run.stdout).toContain(
      "total 250075 centimes = 2500,75 CDF (taxe 0,00 CDF), NIF du commerçant A1234567B",
    );
    expect(run.stdout).toContain(`Code DEF/DGI ${sealedV2.auth_code}`);
    vi.stubEnv("LANG", "en_US.UTF-8");
    vi.stubEnv("STALELA_TIME_ZONE", "Africa/Lubumbashi");
    const english = await verifyQr([sealedV2.qr, "--pubkey", pubkey]);
    expect(english.stdout).toContain("QR VERIFIED: signed by the device key");
    expect(english.stdout).toContain(
      "QR v2: device DEF-00000001, fiscal number 41, EV (FACTURE EXPORTATION), " +
        "issued 23/11/2026 11:00:59 (UTC+02:00)",
    );
    expect(english.stdout).toContain(
      "total 250075 centimes = 2500,75 CDF (tax 0,00 CDF), merchant NIF A1234567B",
    );
  });

  it("says plainly that nothing was verified without --pubkey, in the reader's language", async () => {
    const run = await verifyQr([sealedV2.qr]);
    expect(run.code).toBe(5);
    expect(run.stdout).toContain("QR NON VÉRIFIÉ : aucune --pubkey donnée");
    expect(run.stdout).toContain(
      "Seule la clé publique de l'appareil fiscal prouve qu'un reçu est authentique : " +
        "passez --pubkey HEX, ou --parse-only.",
    );
    const parsed = await verifyQr([sealedV2.qr, "--parse-only"]);
    expect(parsed.code).toBe(0);
    expect(parsed.stdout).toMatch(/^QR LU \(signature non vérifiée\)\n/);
  });

  it("exits 5 for a forged total or another device's key, 0 for --parse-only without a key", async () => {
    const fields = sealedV2.qr.split(";");
    fields[7] = "1";
    const forged = await verifyQr([fields.join(";"), "--pubkey", pubkey, "--json"]);
    expect(forged.code).toBe(5);
    expect(JSON.parse(forged.stdout)).toMatchObject({ valid: false, payload: { version: 2, total: 1 } });
    const other = toHex(keyPairFromSeed(new Uint8Array(32).fill(9)).publicKey);
    expect((await verifyQr([sealedV2.qr, "--pubkey", other])).code).toBe(5);
    const parsed = await verifyQr([sealedV2.qr, "--parse-only", "--json"]);
    expect(parsed.code).toBe(0);
    expect(JSON.parse(parsed.stdout)).toMatchObject({ valid: null, payload: { version: 2, dgi_type: "EV" } });
  });

  it("exits 5 with QR INVALID for a 10-field payload that is not of the v2 format", async () => {
    const fields = sealedV2.qr.split(";");
    fields[2] = "not-a-code";
    const run = await verifyQr([fields.join(";"), "--pubkey", pubkey]);
    expect(run.code).toBe(5);
    expect(run.stdout).toMatch(/^QR INVALIDE : E\d{3} /);
    expect(run.stdout).toContain("Code DEF/DGI");
  });
});

describe("stalela verify-qr, QR v1 (records sealed before v2)", () => {
  it("verifies and prints the v1 fields, with the dashed auth code", async () => {
    const run = await verifyQr([sealedV1.qr, "--pubkey", pubkey, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: true,
      reason: null,
      payload: {
        version: 1,
        device_id: "DEF-00000001",
        fiscal_number: 7,
        invoice_type: "SALE",
        issued_at: "20261123T090059Z",
        total: 500,
        currency: "USD",
        tax_total: 69, // round_half_up(500 × 1600 / 11600) = round(68.97)
        merchant_nif: "A1234567B",
        auth_code: sealedV1.auth_code,
        signature: sealedV1.qr.split(";")[10],
      },
    });
    expect(sealedV1.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    const text = await verifyQr([sealedV1.qr, "--pubkey", pubkey]);
    expect(text.stdout).toContain(
      "QR v1 : appareil fiscal DEF-00000001, n° fiscal 7, SALE, émise le 23/11/2026 10:00:59 (UTC+01:00)",
    );
    expect(text.stdout).toContain("total 500 USD en unités mineures (taxe 69), NIF du commerçant A1234567B");
    expect(text.stdout).toContain(`code d'authentification ${sealedV1.auth_code}`);
  });

  it("exits 5 for a forged v1 amount and for text that is neither layout", async () => {
    const fields = sealedV1.qr.split(";");
    fields[5] = "1";
    expect((await verifyQr([fields.join(";"), "--pubkey", pubkey])).code).toBe(5);
    const garbage = await verifyQr(["RDCDEF01;a;b", "--parse-only"]);
    expect(garbage.code).toBe(5);
    expect(garbage.stdout).toMatch(/^QR INVALIDE : /);
    expect(garbage.stdout).toContain("expected 10 (v2) or 11 (v1) fields, found 3");
  });
});
