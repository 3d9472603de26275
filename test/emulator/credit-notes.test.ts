/**
 * Credit notes against the device's own journal (SFE EG1.25–1.28): totals, and for a version-2
 * original its lines (EG1.26), which the journal keeps as canonical invoice bytes.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type CanonicalInvoiceV2,
  canonicaliseInvoice,
  ERRORS,
  openSealedRecord,
} from "../../protocol/index.js";
import { build, credit, exportSale, RICE, sale } from "./fixtures.js";
import { boot, shutdownAll, tempStateDir } from "./harness.js";
import { ManualClock, T0 } from "./manual-clock.js";
import { appendRecordV1, downgradeStore } from "./old-store.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

async function fiscalise(host: WireHost, invoice: CanonicalInvoiceV2) {
  const prepared = await host.call("PREPARE", { invoice: invoice as never });
  return host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
}

const codeOf = async (host: WireHost, invoice: CanonicalInvoiceV2) =>
  (await host.fail("PREPARE", { invoice: invoice as never })).code;

/** OIL, the second product of the two-line sale. */
const OIL = { code: "HUILE-5", name: "Huile de palme 5 L", kind: "BIE", tax_group: "B" } as const;

/** 3 × RICE at 10.00 CDF and 5 × OIL at 20.00 CDF: total 3 × 1,000 + 5 × 2,000 = 13,000 centimes. */
function twoLineSale(clientRef: string): CanonicalInvoiceV2 {
  return build({
    type: "SALE",
    client_ref: clientRef,
    items: [
      { ...RICE, quantity: 3, unit_price: 1_000 },
      { ...OIL, quantity: 5, unit_price: 2_000 },
    ],
    payments: [{ method: "CASH", amount: 13_000 }],
  });
}

describe("credit notes against the journal", () => {
  it("checks the original: unknown, wrong type, exceeding, RAN not full, another device's", async () => {
    const { host, emulator } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG-1", 1_000, "SALE", 10)); // 1: 10 × 1,000 = 10,000
    await fiscalise(host, exportSale("ORIG-2")); // 2
    const rice = (quantity: number) => ({ items: [{ quantity, unit_price: 1_000 }] });
    expect(await codeOf(host, credit("C-1", 99, 1_000))).toBe(ERRORS.REFERENCE_NOT_FOUND.code);
    expect(await codeOf(host, credit("C-2", 2, 1_000))).toBe(ERRORS.REFERENCE_TYPE_MISMATCH.code);
    expect(await codeOf(host, credit("C-3", 1, 0, rice(11)))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect(await codeOf(host, credit("C-4", 1, 0, { ...rice(4), nature: "RAN" }))).toBe(
      ERRORS.VOID_NOT_FULL.code,
    );
    const refund = openSealedRecord(await fiscalise(host, credit("C-5", 1, 0, rice(4))), emulator.publicKey);
    expect(refund.reference).toEqual({ nature: "RAM", device_id: emulator.deviceId, fiscal_number: 1 });
    // 6,000 remain: an annulation of 10,000 exceeds, and so does a refund of 7 × 1,000.
    expect(await codeOf(host, credit("C-6", 1, 0, { ...rice(10), nature: "RAN" }))).toBe(
      ERRORS.CREDIT_EXCEEDS_ORIGINAL.code,
    );
    expect(await codeOf(host, credit("C-7", 1, 0, rice(7)))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    await fiscalise(host, credit("C-8", 1, 0, { ...rice(6), nature: "RAN", deviceId: emulator.deviceId }));
    expect(await codeOf(host, credit("C-9", 1, 1_000))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    // Another device's invoice cannot be checked here and is accepted.
    const foreign = openSealedRecord(
      await fiscalise(host, credit("C-10", 77, 500, { deviceId: "DEF-0000BEEF" })),
      emulator.publicKey,
    );
    expect(foreign.reference).toEqual({ nature: "RAM", device_id: "DEF-0000BEEF", fiscal_number: 77 });
  });

  it("refuses an item that is not on the original, or is in another group or of another kind", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG", 1_000, "SALE", 10));
    const notSold = credit("C-1", 1, 0, { items: [{ ...OIL, unit_price: 1_000 }] });
    expect(await codeOf(host, notSold)).toBe(ERRORS.CREDIT_ITEM_NOT_ON_ORIGINAL.code);
    const otherGroup = credit("C-2", 1, 0, { items: [{ tax_group: "C", unit_price: 1_000 }] });
    expect(await codeOf(host, otherGroup)).toBe(ERRORS.CREDIT_ITEM_NOT_ON_ORIGINAL.code);
    const otherKind = credit("C-3", 1, 0, { items: [{ kind: "SER", unit_price: 1_000 }] });
    expect(await codeOf(host, otherKind)).toBe(ERRORS.CREDIT_ITEM_NOT_ON_ORIGINAL.code);
    // The same item, group and kind at the original price is accepted.
    await fiscalise(host, credit("C-4", 1, 1_000));
  });

  it("refuses a unit price that differs from the original's", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG", 1_000, "SALE", 10));
    const err = await host.fail("PREPARE", { invoice: credit("C-1", 1, 999) as never });
    expect(err.code).toBe(ERRORS.CREDIT_PRICE_MISMATCH.code);
    expect(await codeOf(host, credit("C-2", 1, 1_001))).toBe(ERRORS.CREDIT_PRICE_MISMATCH.code);
  });

  it("refuses a quantity beyond what was sold, cumulated over the credit notes", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, twoLineSale("ORIG")); // 3 RICE, 5 OIL
    const rice = (ref: string, quantity: number) =>
      credit(ref, 1, 0, { items: [{ quantity, unit_price: 1_000 }] });
    // 4 RICE (4,000) is well within the 13,000 total, but only 3 were sold.
    expect(await codeOf(host, rice("C-1", 4))).toBe(ERRORS.CREDIT_QUANTITY_EXCEEDED.code);
    await fiscalise(host, rice("C-2", 2));
    // 2 credited + 2 = 4 > 3.
    expect(await codeOf(host, rice("C-3", 2))).toBe(ERRORS.CREDIT_QUANTITY_EXCEEDED.code);
    await fiscalise(host, rice("C-4", 1));
    expect(await codeOf(host, rice("C-5", 1))).toBe(ERRORS.CREDIT_QUANTITY_EXCEEDED.code);
    // OIL is untouched: all 5 may still be credited.
    await fiscalise(host, credit("C-6", 1, 0, { items: [{ ...OIL, quantity: 5, unit_price: 2_000 }] }));
  });

  it("re-checks quantities at COMMIT when two pending credits together exceed the quantity sold", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, twoLineSale("ORIG"));
    const items = [{ quantity: 2, unit_price: 1_000 }];
    const a = await host.call("PREPARE", { invoice: credit("CA", 1, 0, { items }) as never });
    const b = await host.call("PREPARE", { invoice: credit("CB", 1, 0, { items }) as never });
    await host.call("COMMIT", { nonce: a.nonce, payload_hash: a.payload_hash });
    const err = await host.fail("COMMIT", { nonce: b.nonce, payload_hash: b.payload_hash });
    expect(err.code).toBe(ERRORS.CREDIT_QUANTITY_EXCEEDED.code);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(2);
    expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
  });

  it("re-checks totals at COMMIT when two pending credits together exceed the original", async () => {
    const { host } = await boot({ activate: true });
    await fiscalise(host, sale("ORIG", 1_000, "SALE", 10));
    const items = [{ quantity: 6, unit_price: 1_000 }];
    const a = await host.call("PREPARE", { invoice: credit("CA", 1, 0, { items }) as never });
    const b = await host.call("PREPARE", { invoice: credit("CB", 1, 0, { items }) as never });
    await host.call("COMMIT", { nonce: a.nonce, payload_hash: a.payload_hash });
    const err = await host.fail("COMMIT", { nonce: b.nonce, payload_hash: b.payload_hash });
    expect(err.code).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect((await host.call("STATUS", {})).last_fiscal_number).toBe(2);
  });

  it("an annulation (RAN) must cancel every line's remaining quantity", async () => {
    const { host, emulator } = await boot({ activate: true });
    await fiscalise(host, twoLineSale("ORIG"));
    const ran = (ref: string, riceQty: number, oilQty: number) =>
      credit(ref, 1, 0, {
        nature: "RAN",
        items: [
          ...(riceQty > 0 ? [{ quantity: riceQty, unit_price: 1_000 }] : []),
          { ...OIL, quantity: oilQty, unit_price: 2_000 },
        ],
      });
    expect(await codeOf(host, ran("C-1", 0, 5))).toBe(ERRORS.VOID_NOT_FULL.code);
    await fiscalise(host, credit("C-2", 1, 0, { items: [{ ...OIL, quantity: 1, unit_price: 2_000 }] }));
    // Remaining: 3 RICE and 4 OIL (11,000).
    expect(await codeOf(host, ran("C-3", 3, 5))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect(await codeOf(host, ran("C-4", 2, 4))).toBe(ERRORS.VOID_NOT_FULL.code);
    const annulled = openSealedRecord(await fiscalise(host, ran("C-5", 3, 4)), emulator.publicKey);
    expect(annulled).toMatchObject({ invoice_type: "CREDIT", totals: { total: 11_000 } });
    expect(await codeOf(host, credit("C-6", 1, 1_000))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
  });

  it("seals an RRR credit note, which references no original, on an empty journal", async () => {
    const { host, emulator } = await boot({ activate: true });
    const rebate = credit("RRR-1", 0, 500, {
      nature: "RRR",
      items: [{ code: "REMISE", name: "Remise", unit_price: 500 }],
    });
    const record = openSealedRecord(await fiscalise(host, rebate), emulator.publicKey);
    expect(record).toMatchObject({ fiscal_number: 1, invoice_type: "CREDIT", reference: { nature: "RRR" } });
    expect(record.reference).toEqual({ nature: "RRR" });
  });
});

describe("credit notes against a record v1 sealed before the upgrade", () => {
  it("checks totals, type and currency only: the device never kept a v1 invoice's lines", async () => {
    const stateDir = tempStateDir();
    const clock = new ManualClock(T0);
    const first = await boot({ stateDir, activate: true, device: { systemNow: clock.now } });
    await first.emulator.stop();
    downgradeStore(stateDir, 2);
    const v1Sale = (ref: string, currency: string) =>
      canonicaliseInvoice(
        {
          type: "SALE",
          client_ref: ref,
          currency,
          items: [{ name: "Sac de riz", kind: "GOODS", quantity: 1, unit_price: 10_000, tax_group: "B" }],
          payments: [{ method: "CASH", amount: 10_000 }],
        },
        { cashierId: "CASHIER-7" },
      );
    appendRecordV1(stateDir, v1Sale("OLD-USD", "USD"), T0 - 120_000); // 1
    appendRecordV1(stateDir, v1Sale("OLD-CDF", "CDF"), T0 - 60_000); // 2

    const { host, emulator } = await boot({ stateDir, device: { systemNow: clock.now } });
    expect((await host.call("SELF_TEST", {})).passed).toBe(true);
    expect((await host.call("GET_RECORD", { fiscal_number: 2 })).invoice).toBeUndefined();
    expect(await codeOf(host, credit("C-1", 1, 1_000))).toBe(ERRORS.CURRENCY_MISMATCH.code);
    // An item the v1 sale never named, at a price it never had: accepted, only the amount counts.
    const oil = credit("C-2", 2, 0, { items: [{ ...OIL, quantity: 2, unit_price: 2_000 }] });
    const sealed = openSealedRecord(await fiscalise(host, oil), emulator.publicKey);
    expect(sealed).toMatchObject({ fiscal_number: 3, year_number: 1, reference: { fiscal_number: 2 } });
    // 10,000 − 4,000 = 6,000 remain.
    expect(await codeOf(host, credit("C-3", 2, 6_001))).toBe(ERRORS.CREDIT_EXCEEDS_ORIGINAL.code);
    expect(await codeOf(host, credit("C-4", 2, 5_000, { nature: "RAN" }))).toBe(ERRORS.VOID_NOT_FULL.code);
    await fiscalise(host, credit("C-5", 2, 6_000, { nature: "RAN" }));
    const page = await host.call("JOURNAL_READ", { from: 1, limit: 32 });
    expect(page.entries.map((e) => e.invoice !== undefined)).toEqual([false, false, true, true]);
    expect((await host.call("SELF_TEST", {})).passed).toBe(true);
  });
});
