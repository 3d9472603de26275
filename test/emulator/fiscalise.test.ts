import { afterEach, describe, expect, it } from "vitest";
import {
  decodeRecord,
  ERRORS,
  invoiceHash,
  openSealedRecord,
  recordHash,
  toHex,
} from "../../protocol/index.js";
import { credit, exportSale, sale, wideSale } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

type Invoice = ReturnType<typeof sale>;

async function fiscalise(host: WireHost, invoice: Invoice) {
  const prepared = await host.call("PREPARE", { invoice: invoice as never });
  return host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
}

describe("PREPARE and COMMIT", () => {
  it("seals a record that verifies, chains and counts per type; PREPARE moves no counter", async () => {
    const { host, emulator } = await boot({ activate: true });
    const invoice = sale("S-1", 23_200);
    const prepared = await host.call("PREPARE", { invoice: invoice as never });
    expect(toHex(prepared.payload_hash)).toBe(toHex(invoiceHash(invoice)));
    expect(prepared.nonce).toHaveLength(16);
    expect(prepared.totals).toEqual(invoice.totals);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(0);
    const sealed = await host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
    const record = openSealedRecord(sealed, emulator.publicKey);
    expect(record).toMatchObject({
      fiscal_number: 1,
      type_number: 1,
      invoice_type: "SALE",
      device_id: emulator.deviceId,
      client_ref: "S-1",
      cashier_id: "CASHIER-7",
      currency: "CDF",
    });
    expect(sealed.qr.startsWith(`RDCDEF01;${emulator.deviceId};1;SALE;`)).toBe(true);
    const second = openSealedRecord(await fiscalise(host, exportSale("E-1")), emulator.publicKey);
    expect(second).toMatchObject({ fiscal_number: 2, type_number: 1, invoice_type: "EXPORT" });
    expect(toHex(second.prev_hash)).toBe(toHex(recordHash(sealed.record)));
    const third = openSealedRecord(await fiscalise(host, sale("S-2")), emulator.publicKey);
    expect(third).toMatchObject({ fiscal_number: 3, type_number: 2, invoice_type: "SALE" });
    const status = await host.call("STATUS", {});
    expect(status.type_counters).toMatchObject({ SALE: 2, EXPORT: 1, CREDIT: 0 });
    expect(status.last_fiscal_number).toBe(3);
    expect(toHex(status.last_hash!)).toBe(
      toHex(recordHash((await host.call("GET_RECORD", { fiscal_number: 3 })).record)),
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
});

describe("credit notes against the journal", () => {
  it("checks the original: unknown, wrong type, currency, exceeding, void not full", async () => {
    const { host, emulator } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG-1", 10_000)); // 1
    await fiscalise(host, exportSale("ORIG-2")); // 2
    await fiscalise(host, sale("ORIG-3", 10_000, "SALE", "USD")); // 3
    const codeOf = async (invoice: Invoice) =>
      (await host.fail("PREPARE", { invoice: invoice as never })).code;
    expect(await codeOf(credit("C-1", 99, 1_000))).toBe(ERRORS.REFERENCE_NOT_FOUND.code);
    expect(await codeOf(credit("C-2", 2, 1_000))).toBe(ERRORS.REFERENCE_TYPE_MISMATCH.code);
    expect(await codeOf(credit("C-2b", 3, 1_000))).toBe(ERRORS.CURRENCY_MISMATCH.code);
    expect(await codeOf(credit("C-3", 1, 10_001))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect(await codeOf(credit("C-4", 1, 4_000, "VOID"))).toBe(ERRORS.VOID_NOT_FULL.code);
    const refund = openSealedRecord(await fiscalise(host, credit("C-5", 1, 4_000)), emulator.publicKey);
    expect(refund.reference).toEqual({ device_id: emulator.deviceId, fiscal_number: 1, kind: "REFUND" });
    // 6,000 remain: a void of 10,000 is no longer full, and a refund of 6,001 exceeds.
    expect(await codeOf(credit("C-6", 1, 10_000, "VOID"))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect(await codeOf(credit("C-7", 1, 6_001))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    await fiscalise(host, credit("C-8", 1, 6_000, "VOID", emulator.deviceId));
    expect(await codeOf(credit("C-9", 1, 1))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    // Another device's invoice cannot be checked here and is accepted.
    const foreign = openSealedRecord(
      await fiscalise(host, credit("C-10", 77, 500, "REFUND", "DEF-0000BEEF")),
      emulator.publicKey,
    );
    expect(foreign.reference).toEqual({ device_id: "DEF-0000BEEF", fiscal_number: 77, kind: "REFUND" });
  });

  it("re-checks at COMMIT when two pending credits together exceed the original", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG", 10_000));
    const a = await host.call("PREPARE", { invoice: credit("CA", 1, 6_000) as never });
    const b = await host.call("PREPARE", { invoice: credit("CB", 1, 6_000) as never });
    await host.call("COMMIT", { nonce: a.nonce, payload_hash: a.payload_hash });
    const err = await host.fail("COMMIT", { nonce: b.nonce, payload_hash: b.payload_hash });
    expect(err.code).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(2);
  });
});

describe("reading the journal", () => {
  it("GET_RECORD by fiscal number, payload hash and client_ref; RECORD_NOT_FOUND otherwise", async () => {
    const { host } = await boot({ activate: true });
    const invoice = sale("G-1");
    const sealed = await fiscalise(host, invoice);
    for (const args of [
      { fiscal_number: 1 },
      { payload_hash: invoiceHash(invoice) },
      { client_ref: "G-1" },
    ]) {
      expect(toHex((await host.call("GET_RECORD", args)).signature)).toBe(toHex(sealed.signature));
    }
    expect((await host.fail("GET_RECORD", { fiscal_number: 2 })).code).toBe(ERRORS.RECORD_NOT_FOUND.code);
    expect((await host.fail("GET_RECORD", { client_ref: "nope" })).code).toBe(ERRORS.RECORD_NOT_FOUND.code);
    expect((await host.fail("GET_RECORD", { payload_hash: new Uint8Array(32) })).code).toBe(
      ERRORS.RECORD_NOT_FOUND.code,
    );
  });

  it("JOURNAL_READ pages with next and last", async () => {
    const { host } = await boot({ activate: true });
    for (let i = 1; i <= 5; i++) await fiscalise(host, sale(`J-${i}`));
    const page1 = await host.call("JOURNAL_READ", { from: 1, limit: 2 });
    expect(page1.entries.map((e) => decodeRecord(e.record).fiscal_number)).toEqual([1, 2]);
    expect(page1).toMatchObject({ next: 3, last: 5 });
    const page3 = await host.call("JOURNAL_READ", { from: 5, limit: 32 });
    expect(page3.entries).toHaveLength(1);
    expect(page3).toMatchObject({ next: null, last: 5 });
    expect(await host.call("JOURNAL_READ", { from: 6, limit: 32 })).toMatchObject({
      entries: [],
      next: null,
    });
  });

  it("JOURNAL_READ returns fewer entries when 32 would not fit one frame", async () => {
    const { host } = await boot({ activate: true });
    for (let i = 1; i <= 34; i++) await fiscalise(host, wideSale(`W-${i}`));
    const page = await host.call("JOURNAL_READ", { from: 1, limit: 32 });
    const count = page.entries.length;
    expect(count).toBeGreaterThan(20);
    expect(count).toBeLessThan(32);
    expect(page).toMatchObject({ next: count + 1, last: 34 });
    const rest = await host.call("JOURNAL_READ", { from: count + 1, limit: 32 });
    expect(decodeRecord(rest.entries[0]!.record).fiscal_number).toBe(count + 1);
  });
});
