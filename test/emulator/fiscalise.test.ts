import { afterEach, describe, expect, it } from "vitest";
import {
  type CanonicalInvoiceV2,
  CODE_DEF_PATTERN,
  canonicaliseInvoice,
  decodeRecord,
  ERRORS,
  encodeCanonical,
  MAX_INVOICE_BYTES,
  MAX_PAYLOAD_BYTES,
  openSealedRecord,
  recordHash,
  sha256,
  toHex,
} from "../../protocol/index.js";
import {
  build,
  credit,
  exportSale,
  RICE,
  sale,
  TEST_CONTEXT,
  TEST_IDENTITY,
  TEST_SELLER,
  wideSale,
} from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

async function fiscalise(host: WireHost, invoice: CanonicalInvoiceV2) {
  const prepared = await host.call("PREPARE", { invoice: invoice as never });
  return host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
}

const bytesOf = (invoice: CanonicalInvoiceV2): Uint8Array => encodeCanonical(invoice as never);

describe("PREPARE and COMMIT", () => {
  it("seals a record v2 that verifies, chains and counts per type; PREPARE moves no counter", async () => {
    // 2026-03-15T10:00:00Z is 11:00 on 15 March 2026 in Kinshasa: fiscal year 2026.
    const clock = new ManualClock(Date.UTC(2026, 2, 15, 10));
    const { host, emulator } = await boot({ activate: true, device: { systemNow: clock.now } });
    const invoice = sale("S-1", 23_200);
    const prepared = await host.call("PREPARE", { invoice: invoice as never });
    expect(toHex(prepared.payload_hash)).toBe(toHex(sha256(bytesOf(invoice))));
    expect(prepared.nonce).toHaveLength(16);
    expect(prepared.totals).toEqual(invoice.totals);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(0);
    const sealed = await host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    const record = openSealedRecord(sealed, emulator.publicKey);
    expect(record).toEqual({
      kind: "INVOICE",
      v: 2,
      device_id: emulator.deviceId,
      fiscal_number: 1,
      type_number: 1,
      invoice_type: "SALE",
      dgi_type: "FV",
      fiscal_year: 2026,
      year_number: 1,
      issued_at: Date.UTC(2026, 2, 15, 10),
      payload_hash: prepared.payload_hash,
      prev_hash: expect.any(Uint8Array),
      ...TEST_IDENTITY,
      isf: "ISF-TEST-01",
      rn: "S-1",
      cashier_id: "CASHIER-7",
      client_ref: "S-1",
      currency: "CDF",
      price_mode: "TTC",
      totals: invoice.totals,
      tax_table: "RDC-2026.2",
    });
    // The COMMIT reply carries the canonical invoice the record seals.
    expect(toHex(sealed.invoice!)).toBe(toHex(bytesOf(invoice)));
    expect(sealed.auth_code).toMatch(new RegExp(CODE_DEF_PATTERN));
    expect(sealed.qr.startsWith(`RDCDEF01;${emulator.deviceId};${sealed.auth_code};A1234567B;`)).toBe(true);
    const second = openSealedRecord(await fiscalise(host, exportSale("E-1")), emulator.publicKey);
    expect(second).toMatchObject({
      fiscal_number: 2,
      type_number: 1,
      invoice_type: "EXPORT",
      dgi_type: "EV",
    });
    expect(toHex(second.prev_hash)).toBe(toHex(recordHash(sealed.record)));
    const third = openSealedRecord(await fiscalise(host, sale("S-2")), emulator.publicKey);
    expect(third).toMatchObject({ fiscal_number: 3, type_number: 2, invoice_type: "SALE", year_number: 3 });
    const fourth = openSealedRecord(
      await fiscalise(host, exportSale("EA-1", 10_000, "EXPORT_ADVANCE")),
      emulator.publicKey,
    );
    expect(fourth).toMatchObject({
      fiscal_number: 4,
      type_number: 1,
      invoice_type: "EXPORT_ADVANCE",
      dgi_type: "ET",
    });
    const status = await host.call("STATUS", {});
    expect(status.type_counters).toEqual({
      SALE: 2,
      ADVANCE: 0,
      CREDIT: 0,
      EXPORT: 1,
      EXPORT_ADVANCE: 1,
      EXPORT_CREDIT: 0,
    });
    expect(status.last_fiscal_number).toBe(4);
    expect(toHex(status.last_hash!)).toBe(
      toHex(recordHash((await host.call("GET_RECORD", { fiscal_number: 4 })).record)),
    );
  });

  it("answers a repeated PREPARE of a pending payload with the same nonce", async () => {
    const { host } = await boot({ activate: true });
    const first = await host.call("PREPARE", { invoice: sale("S-1") as never });
    const again = await host.call("PREPARE", { invoice: sale("S-1") as never });
    expect(toHex(again.nonce)).toBe(toHex(first.nonce));
    expect(again.expires_at).toBe(first.expires_at);
    expect((await host.call("LIST_PENDING", {})).pending).toHaveLength(1);
  });

  it("refuses an invoice already fiscalised, by payload or by client_ref", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, sale("S-1"));
    const same = await host.fail("PREPARE", { invoice: sale("S-1") as never });
    expect(same.code).toBe(ERRORS.ALREADY_FISCALIZED.code);
    expect(same.message).toContain("fiscal number 1");
    const sameRef = await host.fail("PREPARE", { invoice: sale("S-1", 5_000) as never });
    expect(sameRef.code).toBe(ERRORS.ALREADY_FISCALIZED.code);
  });

  it("re-validates the invoice and returns the field issues", async () => {
    const { host } = await boot({ activate: true });
    const invoice = sale("S-1");
    const tampered = { ...invoice, totals: { ...invoice.totals, total: invoice.totals.total + 1 } };
    const err = await host.fail("PREPARE", { invoice: tampered as never });
    expect(err.code).toBe(ERRORS.INVOICE_INVALID.code);
    expect(err.details?.issues?.[0]).toMatchObject({ code: ERRORS.TOTALS_MISMATCH.code });
    const badGroup = { ...invoice, items: [{ ...invoice.items[0]!, tax_group: "Z" }] };
    const err2 = await host.fail("PREPARE", { invoice: badGroup as never });
    expect(err2.details?.issues?.[0]).toMatchObject({
      path: "/items/0/tax_group",
      code: ERRORS.TAX_GROUP_UNKNOWN.code,
    });
    const { reference: _dropped, ...unreferenced } = credit("C-NOREF", 1, 1_000);
    const err4 = await host.fail("PREPARE", { invoice: unreferenced as never });
    expect(err4.details?.issues?.[0]).toMatchObject({
      path: "/reference",
      code: ERRORS.REFERENCE_REQUIRED.code,
    });
    const items = Array.from({ length: 150 }, (_, i) => ({
      ...invoice.items[0]!,
      name: `${"x".repeat(120)}${i}`,
    }));
    const huge = sale("S-HUGE");
    const err3 = await host.fail("PREPARE", {
      invoice: { ...huge, items, payments: [{ method: "CASH", amount: 150 * 11_600 }] } as never,
    });
    expect(err3.code).toBe(ERRORS.INVOICE_TOO_LARGE.code);
  });

  it("refuses a version-1 invoice at /v: this device seals version 2", async () => {
    const { host } = await boot({ activate: true });
    const v1 = canonicaliseInvoice(
      {
        type: "SALE",
        client_ref: "V1-1",
        currency: "CDF",
        items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: 11_600, tax_group: "B" }],
        payments: [{ method: "CASH", amount: 11_600 }],
      },
      { cashierId: "CASHIER-7" },
    );
    for (const invoice of [v1, { ...sale("V1-2"), v: 1 }]) {
      const err = await host.fail("PREPARE", { invoice: invoice as never });
      expect(err.code).toBe(ERRORS.INVOICE_INVALID.code);
      expect(err.details?.issues).toEqual([
        { path: "/v", code: ERRORS.FIELD_RANGE.code, message: "this device seals version 2" },
      ]);
    }
    expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
  });

  it("refuses an invoice whose seller is not the merchant it is activated for", async () => {
    const { host } = await boot({ activate: true });
    const other = build(
      {
        type: "SALE",
        client_ref: "NIF-1",
        items: [{ ...RICE, quantity: 1, unit_price: 11_600 }],
        payments: [{ method: "CASH", amount: 11_600 }],
      },
      { ...TEST_CONTEXT, seller: { ...TEST_SELLER, nif: "B7654321C" } },
    );
    const err = await host.fail("PREPARE", { invoice: other as never });
    expect(err.code).toBe(ERRORS.SELLER_MISMATCH.code);
    expect(err.details?.issues?.[0]).toMatchObject({ path: "/seller/nif", code: 335 });
    expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
    // The same sale under the activated merchant's NIF is accepted.
    await fiscalise(host, sale("NIF-1"));
  });
});

describe("reading the journal", () => {
  it("GET_RECORD by fiscal number, payload hash and client_ref, with the invoice; RECORD_NOT_FOUND otherwise", async () => {
    const { host, emulator } = await boot({ activate: true });
    const invoice = sale("G-1");
    const sealed = await fiscalise(host, invoice);
    const payloadHash = sha256(bytesOf(invoice));
    for (const args of [{ fiscal_number: 1 }, { payload_hash: payloadHash }, { client_ref: "G-1" }]) {
      const got = await host.call("GET_RECORD", args);
      expect(toHex(got.signature)).toBe(toHex(sealed.signature));
      expect(toHex(got.invoice!)).toBe(toHex(bytesOf(invoice)));
      const record = openSealedRecord(got, emulator.publicKey);
      expect(toHex(sha256(got.invoice!))).toBe(toHex(record.payload_hash));
    }
    expect((await host.fail("GET_RECORD", { fiscal_number: 2 })).code).toBe(ERRORS.RECORD_NOT_FOUND.code);
    expect((await host.fail("GET_RECORD", { client_ref: "nope" })).code).toBe(ERRORS.RECORD_NOT_FOUND.code);
    expect((await host.fail("GET_RECORD", { payload_hash: new Uint8Array(32) })).code).toBe(
      ERRORS.RECORD_NOT_FOUND.code,
    );
  });

  it("JOURNAL_READ pages with next and last, every entry with its invoice", async () => {
    const { host } = await boot({ activate: true });
    const invoices = [1, 2, 3, 4, 5].map((i) => sale(`J-${i}`, 1_000 * i));
    for (const invoice of invoices) await fiscalise(host, invoice);
    const page1 = await host.call("JOURNAL_READ", { from: 1, limit: 2 });
    expect(page1.entries.map((e) => decodeRecord(e.record).fiscal_number)).toEqual([1, 2]);
    expect(page1).toMatchObject({ next: 3, last: 5 });
    const all = await host.call("JOURNAL_READ", { from: 1, limit: 32 });
    expect(all.entries.map((e) => toHex(e.invoice!))).toEqual(invoices.map((i) => toHex(bytesOf(i))));
    for (const entry of all.entries) {
      expect(toHex(sha256(entry.invoice!))).toBe(toHex(decodeRecord(entry.record).payload_hash));
    }
    const page3 = await host.call("JOURNAL_READ", { from: 5, limit: 32 });
    expect(page3.entries).toHaveLength(1);
    expect(page3).toMatchObject({ next: null, last: 5 });
    expect(await host.call("JOURNAL_READ", { from: 6, limit: 32 })).toMatchObject({
      entries: [],
      next: null,
    });
  });

  it("JOURNAL_READ returns fewer entries when 32 would not fit one frame, invoices counted", async () => {
    const { host } = await boot({ activate: true });
    for (let i = 1; i <= 34; i++) await fiscalise(host, wideSale(`W-${i}`));
    const page = await host.call("JOURNAL_READ", { from: 1, limit: 32 });
    const count = page.entries.length;
    expect(count).toBeGreaterThan(1);
    expect(count).toBeLessThan(32);
    expect(page).toMatchObject({ next: count + 1, last: 34 });
    expect(page.entries.every((e) => e.invoice !== undefined)).toBe(true);
    // The reply fits one frame; one entry more would not have fitted in what journal-read.ts allows
    // the entries (the frame less the 128 bytes it keeps for the reply envelope).
    expect(encodeCanonical({ ok: true, result: page } as never).length).toBeLessThanOrEqual(
      MAX_PAYLOAD_BYTES,
    );
    const nextEntry = await host.call("GET_RECORD", { fiscal_number: count + 1 });
    const entriesSize = [...page.entries, nextEntry].reduce(
      (sum, e) => sum + encodeCanonical(e as never).length,
      0,
    );
    expect(entriesSize).toBeGreaterThan(MAX_PAYLOAD_BYTES - 128);
    const rest = await host.call("JOURNAL_READ", { from: count + 1, limit: 32 });
    expect(decodeRecord(rest.entries[0]!.record).fiscal_number).toBe(count + 1);
  });

  it("seals, returns and pages an invoice at the size bound, one per frame", async () => {
    const { host, emulator } = await boot({ activate: true });
    const largest = largestInvoice("BIG-1");
    expect(bytesOf(largest).length).toBeLessThanOrEqual(MAX_INVOICE_BYTES);
    expect(bytesOf(largest).length).toBeGreaterThan(MAX_INVOICE_BYTES - 400);
    const sealed = await fiscalise(host, largest);
    expect(toHex(sha256(sealed.invoice!))).toBe(
      toHex(openSealedRecord(sealed, emulator.publicKey).payload_hash),
    );
    await fiscalise(host, largestInvoice("BIG-2"));
    const page = await host.call("JOURNAL_READ", { from: 1, limit: 32 });
    expect(page.entries).toHaveLength(1);
    expect(page).toMatchObject({ next: 2, last: 2 });
    expect(toHex(page.entries[0]!.invoice!)).toBe(toHex(bytesOf(largest)));
    expect(encodeCanonical({ ok: true, result: page } as never).length).toBeLessThanOrEqual(
      MAX_PAYLOAD_BYTES,
    );
  });
});

/** A sale with as many long lines as fit MAX_INVOICE_BYTES (canonicalising refuses one more). */
function largestInvoice(clientRef: string): CanonicalInvoiceV2 {
  const withLines = (n: number) =>
    build({
      type: "SALE",
      client_ref: clientRef,
      items: Array.from({ length: n }, (_, i) => ({
        code: `${"C".repeat(60)}${String(i).padStart(4, "0")}`,
        name: `${"n".repeat(124)}${String(i).padStart(4, "0")}`,
        kind: "BIE",
        quantity: "1.001",
        unit_price: 999_999,
        tax_group: "B",
      })),
      payments: [{ method: "CASH", amount: n * 1_000_999 }],
    });
  let best = withLines(1);
  for (let n = 2; ; n++) {
    try {
      best = withLines(n);
    } catch {
      return best;
    }
  }
}
