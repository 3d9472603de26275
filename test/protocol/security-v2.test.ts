/**
 * Record v2, the Code DEF/DGI and QR v2 (docs/PROTOCOL.md §8), and the rules of §8.2 that decodeRecord
 * enforces on both record versions. Expected values are computed here independently: the Code DEF/DGI
 * from a bit string of SHA-256(signature), the QR fields by hand, signatures with tweetnacl.
 */
import { createHash } from "node:crypto";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import {
  type CborValue,
  canonicaliseInvoice,
  codeDefOf,
  decodeRecord,
  encodeCanonical,
  FiscalError,
  type FiscalRecordV1,
  type FiscalRecordV2,
  fromBase64Url,
  generateKeyPair,
  invoiceHash,
  openSealedRecord,
  parseQrPayload,
  SignContext,
  sealRecord,
  sha256,
  signedMessage,
  verifyQrPayload,
} from "../../protocol/index.js";

const device = generateKeyPair();
/** Stands in for the canonical invoice: only its hash is bound here. */
const invoiceBytes = encodeCanonical({ v: 2, stand_in: "canonical invoice bytes" });
const ISSUED_AT = Date.UTC(2026, 10, 23, 9, 0, 59, 999);

function recordV2(overrides: Partial<FiscalRecordV2> = {}): FiscalRecordV2 {
  return {
    kind: "INVOICE",
    v: 2,
    device_id: "DEF-00000001",
    fiscal_number: 41,
    type_number: 40,
    invoice_type: "SALE",
    dgi_type: "FV",
    fiscal_year: 2026,
    year_number: 12,
    issued_at: ISSUED_AT,
    payload_hash: sha256(invoiceBytes),
    prev_hash: new Uint8Array(32).fill(7),
    merchant_nif: "A1234567B",
    outlet_id: "OUTLET-1",
    fiscal_authority_id: "FA-1",
    isf: "ISF-0001",
    rn: "POS-77",
    cashier_id: "CASHIER-1",
    client_ref: "R-1",
    currency: "CDF",
    price_mode: "TTC",
    // 116,00 CDF TTC in B at 16 %: base = 11600 × 10000 / 11600 = 10000, tax = 1600.
    totals: {
      total: 11600,
      tax_total: 1600,
      specific_tax_total: 0,
      groups: [{ group: "B", rate_bp: 1600, base: 10000, tax: 1600, total: 11600 }],
    },
    tax_table: "RDC-2026.2",
    ...overrides,
  };
}

function recordV1(overrides: Partial<FiscalRecordV1> = {}): FiscalRecordV1 {
  const invoice = canonicaliseInvoice(
    {
      type: "SALE",
      currency: "CDF",
      items: [{ name: "Savon", kind: "GOODS", quantity: 3, unit_price: 1500, tax_group: "B" }],
      payments: [{ method: "CASH", amount: 4500 }],
    },
    { cashierId: "CASHIER-1", defaultClientRef: "R-1" },
  );
  return {
    kind: "INVOICE",
    v: 1,
    device_id: "DEF-00000001",
    fiscal_number: 41,
    type_number: 40,
    invoice_type: "SALE",
    issued_at: ISSUED_AT,
    payload_hash: invoiceHash(invoice),
    prev_hash: new Uint8Array(32).fill(7),
    merchant_nif: "A1234567B",
    outlet_id: "OUTLET-1",
    fiscal_authority_id: "FA-1",
    cashier_id: "CASHIER-1",
    client_ref: "R-1",
    currency: "CDF",
    totals: invoice.totals,
    tax_table: invoice.tax_table,
    ...overrides,
  };
}

/** The Code DEF/DGI computed independently: the first 120 bits of SHA-256 as a bit string, 5 at a time. */
function expectedCodeDef(signature: Uint8Array): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const digest = createHash("sha256").update(signature).digest();
  const bits = [...digest.subarray(0, 15)].map((b) => b.toString(2).padStart(8, "0")).join("");
  let out = "";
  for (let i = 0; i < 120; i += 5) out += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

describe("record v2 sealed with the Code DEF/DGI", () => {
  const rec = recordV2();
  const sealed = sealRecord(rec, device.seed, invoiceBytes);

  it("seals and opens offline, with the invoice bytes, and tweetnacl verifies the record signature", () => {
    expect(openSealedRecord(sealed, device.publicKey)).toEqual(rec);
    expect(sealed.invoice).toEqual(invoiceBytes);
    const message = signedMessage(SignContext.RECORD, sealed.record);
    expect(nacl.sign.detached.verify(message, sealed.signature, device.publicKey)).toBe(true);
    const { invoice: _dropped, ...withoutInvoice } = sealed;
    expect(openSealedRecord(withoutInvoice, device.publicKey)).toEqual(rec);
  });

  it("derives a 24-character Crockford Code DEF/DGI from 120 bits of SHA-256(signature), no dashes", () => {
    expect(sealed.auth_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{24}$/);
    expect(sealed.auth_code).toBe(expectedCodeDef(sealed.signature));
    expect(codeDefOf(sealed.signature)).toBe(expectedCodeDef(sealed.signature));
  });

  it("refuses a wrong Code DEF/DGI, and a v1-style auth code on a v2 record", () => {
    const wrong = sealed.auth_code.startsWith("0")
      ? `1${sealed.auth_code.slice(1)}`
      : `0${sealed.auth_code.slice(1)}`;
    expect(() => openSealedRecord({ ...sealed, auth_code: wrong }, device.publicKey)).toThrow(
      /E215 .*Code DEF\/DGI/,
    );
    const v1Style = sealed.auth_code.slice(0, 16).match(/.{4}/g)!.join("-");
    expect(() => openSealedRecord({ ...sealed, auth_code: v1Style }, device.publicKey)).toThrow(/E215/);
  });

  it("refuses invoice bytes that do not hash to the record's payload_hash", () => {
    const tampered = invoiceBytes.slice();
    tampered[tampered.length - 1]! ^= 0x01;
    expect(() => openSealedRecord({ ...sealed, invoice: tampered }, device.publicKey)).toThrow(
      /E215 .*payload_hash/,
    );
  });
});

describe("QR v2", () => {
  const rec = recordV2();
  const sealed = sealRecord(rec, device.seed);

  it("has the 10-field layout, the MCF's five first, field by field", () => {
    const fields = sealed.qr.split(";");
    expect(fields).toHaveLength(10);
    expect(fields.slice(0, 9)).toEqual([
      "RDCDEF01",
      "DEF-00000001",
      expectedCodeDef(sealed.signature),
      "A1234567B",
      "20261123090059", // UTC, seconds truncated: 09:00:59.999
      "41",
      "FV",
      "11600",
      "1600",
    ]);
    const body = `${fields.slice(0, 9).join(";")};`;
    const signature = fromBase64Url(fields[9]!);
    expect(
      nacl.sign.detached.verify(
        signedMessage(SignContext.QR, Buffer.from(body)),
        signature,
        device.publicKey,
      ),
    ).toBe(true);
  });

  it("parses as version 2 and verifies with the device key", () => {
    const qr = verifyQrPayload(sealed.qr, device.publicKey);
    expect(qr).toMatchObject({
      version: 2,
      deviceId: "DEF-00000001",
      authCode: sealed.auth_code,
      merchantNif: "A1234567B",
      issuedAt: "20261123090059",
      fiscalNumber: 41,
      dgiType: "FV",
      total: 11600,
      taxTotal: 1600,
    });
  });

  it("refuses a forged payload: any character changed", () => {
    for (let i = 0; i < sealed.qr.length; i++) {
      const c = sealed.qr[i] === "1" ? "2" : "1";
      const forged = sealed.qr.slice(0, i) + c + sealed.qr.slice(i + 1);
      expect(() => verifyQrPayload(forged, device.publicKey)).toThrow(/E(215|302)/);
    }
  });

  it("refuses a QR v2 signed by the device for another record, and the v1 QR of the same device", () => {
    const other = sealRecord(recordV2({ fiscal_number: 42, year_number: 13 }), device.seed);
    expect(() => openSealedRecord({ ...sealed, qr: other.qr }, device.publicKey)).toThrow(/E215 .*QR/);
    const v1 = sealRecord(recordV1(), device.seed);
    expect(() => openSealedRecord({ ...sealed, qr: v1.qr }, device.publicKey)).toThrow(/E215/);
  });

  it("refuses a 10-field payload whose fields are not of the v2 format", () => {
    const fields = sealed.qr.split(";");
    const bad = (i: number, value: string) =>
      parseQrPayload(fields.map((f, j) => (j === i ? value : f)).join(";"));
    expect(() => bad(2, sealed.auth_code.slice(1))).toThrow(/E302 .*Code DEF/);
    expect(() => bad(2, `I${sealed.auth_code.slice(1)}`)).toThrow(/E302 .*Code DEF/);
    expect(() => bad(4, "2026-11-23T09")).toThrow(/E302 .*DT/);
    expect(() => bad(6, "SALE")).toThrow(/E302 .*dgi_type/);
    expect(() => bad(7, "01")).toThrow(/E302 .*total/);
    expect(() => bad(0, "RDCDEF02")).toThrow(/E302 .*prefix/);
  });

  it("still parses a v1 payload (11 fields) as version 1", () => {
    const v1 = sealRecord(recordV1(), device.seed);
    expect(verifyQrPayload(v1.qr, device.publicKey)).toMatchObject({
      version: 1,
      invoiceType: "SALE",
      currency: "CDF",
    });
  });
});

describe("decodeRecord enforces §8.2 on both versions", () => {
  /** The JOURNAL_CORRUPT refusal of a record: its first issue's path and code. */
  function refusal(value: object): { path: string; code: number } {
    try {
      decodeRecord(encodeCanonical(value as CborValue));
    } catch (err) {
      if (!(err instanceof FiscalError)) throw err;
      expect(err.code).toBe(401);
      const issue = err.details!.issues![0]!;
      return { path: issue.path, code: issue.code };
    }
    throw new Error("the record was accepted");
  }
  const rrr = { nature: "RRR" } as const;
  const cor = { nature: "COR", device_id: "DEF-00000001", fiscal_number: 3 } as const;

  it("accepts v2 credit notes with a COR or an RRR reference", () => {
    for (const reference of [cor, rrr]) {
      const credit = recordV2({ invoice_type: "CREDIT", dgi_type: "FA", reference });
      expect(decodeRecord(encodeCanonical(credit as unknown as CborValue))).toEqual(credit);
    }
  });

  it("refuses a v2 SALE with a reference (310) and a v2 CREDIT without one (309)", () => {
    expect(refusal(recordV2({ reference: cor }))).toEqual({ path: "/reference", code: 310 });
    expect(refusal(recordV2({ invoice_type: "CREDIT", dgi_type: "FA" }))).toEqual({
      path: "/reference",
      code: 309,
    });
  });

  it("refuses a v2 record naming an unknown tax table, or the v1 table", () => {
    expect(refusal(recordV2({ tax_table: "RDC-2027.1" })).path).toBe("/tax_table");
    expect(refusal(recordV2({ tax_table: "RDC-2026.1" })).path).toBe("/tax_table");
  });

  it("refuses a v2 record whose dgi_type is not its type's, or whose fiscal year is not UTC+01:00's", () => {
    expect(refusal(recordV2({ dgi_type: "FA" }))).toEqual({ path: "/dgi_type", code: 303 });
    // 2026-12-31T23:30Z is 00:30 on 1 January 2027 in Kinshasa.
    const newYear = Date.UTC(2026, 11, 31, 23, 30);
    expect(refusal(recordV2({ issued_at: newYear, fiscal_year: 2026 }))).toEqual({
      path: "/fiscal_year",
      code: 303,
    });
    const ok = recordV2({ issued_at: newYear, fiscal_year: 2027 });
    expect(decodeRecord(encodeCanonical(ok as unknown as CborValue))).toEqual(ok);
  });

  it("refuses a v2 record in another currency than CDF", () => {
    expect(refusal({ ...recordV2(), currency: "USD" }).path).toBe("/currency");
  });

  it("refuses a v1 record with a currency outside the v1 list, and accepts one inside it", () => {
    expect(refusal(recordV1({ currency: "XYZ" })).path).toBe("/currency");
    const usd = recordV1({ currency: "USD" });
    expect(decodeRecord(encodeCanonical(usd as unknown as CborValue))).toEqual(usd);
  });

  it("refuses a v1 SALE with a reference, a v1 CREDIT without one, and an unknown v1 tax table", () => {
    const reference = { device_id: "DEF-00000001", fiscal_number: 3, kind: "REFUND" } as const;
    expect(refusal(recordV1({ reference }))).toEqual({ path: "/reference", code: 310 });
    expect(refusal(recordV1({ invoice_type: "CREDIT" }))).toEqual({ path: "/reference", code: 309 });
    expect(refusal(recordV1({ tax_table: "RDC-2025.9" })).path).toBe("/tax_table");
    expect(refusal(recordV1({ tax_table: "RDC-2026.2" })).path).toBe("/tax_table");
  });

  it("refuses a record of an unknown version", () => {
    expect(refusal({ ...recordV1(), v: 3 })).toEqual({ path: "/v", code: 303 });
  });
});
