/**
 * The property of issue 17: for random days of sales and credit notes, every Z report equals the sums
 * worked out here, independently of protocol/reports (plain loops over the sealed records and the
 * invoices they carry), and the Z reports cover every invoice exactly once, in order.
 * fast-check runs on the suite's fixed seed (test/setup/fast-check-seed.ts).
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CanonicalInvoiceV2,
  decodeCanonical,
  type FiscalRecordV2,
  openSealedRecord,
  openSealedReport,
  type SealedRecord,
  type ZReport,
} from "../../protocol/index.js";
import { build, lineAmount } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

const METHODS = ["CASH", "CARD", "MOBILE_MONEY"] as const;
const GROUPS = ["A", "B", "C"] as const;

const lineArb = fc.record({
  group: fc.constantFrom(...GROUPS),
  price: fc.integer({ min: 1, max: 5_000_000 }),
  quantity: fc.integer({ min: 1, max: 5 }),
});
const invoiceArb = fc.record({
  credit: fc.boolean(),
  lines: fc.array(lineArb, { minLength: 1, maxLength: 4 }),
  method: fc.constantFrom(...METHODS),
  advance: fc.boolean(),
});
const daysArb = fc.array(fc.array(invoiceArb, { minLength: 0, maxLength: 8 }), {
  minLength: 1,
  maxLength: 3,
});

type Sealed = { sealed: SealedRecord; record: FiscalRecordV2; invoice: CanonicalInvoiceV2 };

async function seal(host: WireHost, invoice: CanonicalInvoiceV2, publicKey: Uint8Array): Promise<Sealed> {
  const p = await host.call("PREPARE", { invoice: invoice as never });
  const sealed = await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
  const record = openSealedRecord(sealed, publicKey) as FiscalRecordV2;
  return { sealed, record, invoice: decodeCanonical(sealed.invoice!) as unknown as CanonicalInvoiceV2 };
}

/** Adds `amount` under `key` of `map`. */
function add(map: Map<string, number>, key: string, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount);
}

/** The day's sums, from the records and invoices, by plain loops. */
function expectedSums(day: readonly Sealed[]) {
  const types = new Map<string, number>();
  const typeCounts = new Map<string, number>();
  const groups = new Map<string, number>();
  const payments = new Map<string, number>();
  for (const { record, invoice } of day) {
    const side = record.invoice_type === "CREDIT" ? "credits" : "sales";
    add(types, record.invoice_type, record.totals.total);
    add(typeCounts, record.invoice_type, 1);
    for (const g of record.totals.groups) {
      add(groups, `${side}/${g.group}/base`, g.base);
      add(groups, `${side}/${g.group}/tax`, g.tax);
    }
    for (const p of invoice.payments) add(payments, `${side}/${p.method}`, p.amount);
  }
  return { types, typeCounts, groups, payments };
}

/** The same keys, read off a Z. */
function sumsOfZ(z: ZReport) {
  const types = new Map(z.figures.types.map((t) => [t.invoice_type, t.total]));
  const typeCounts = new Map(z.figures.types.map((t) => [t.invoice_type, t.count]));
  const groups = new Map<string, number>();
  for (const side of ["sales", "credits"] as const) {
    for (const g of z.figures.groups[side]) {
      groups.set(`${side}/${g.group}/base`, g.base);
      groups.set(`${side}/${g.group}/tax`, g.tax);
    }
  }
  const payments = new Map<string, number>();
  for (const side of ["sales", "credits"] as const) {
    for (const p of z.figures.payments[side]) payments.set(`${side}/${p.method}`, p.amount);
  }
  return { types, typeCounts, groups, payments };
}

describe("Z reports over random days", () => {
  it("every Z equals the sums of its day's records, and the Z reports cover every invoice once", async () => {
    await fc.assert(
      fc.asyncProperty(daysArb, async (days) => {
        const clock = new ManualClock(Date.UTC(2026, 10, 2, 7));
        const { host, emulator } = await boot({ activate: true, device: { systemNow: clock.now } });
        const sales: Sealed[] = [];
        const credited = new Set<number>();
        let n = 0;
        let covered = 0;
        for (const [d, day] of days.entries()) {
          const sealedToday: Sealed[] = [];
          for (const spec of day) {
            n++;
            clock.advance(60_000);
            const original = spec.credit
              ? sales.find((s) => !credited.has(s.record.fiscal_number))
              : undefined;
            let invoice: CanonicalInvoiceV2;
            if (original !== undefined) {
              credited.add(original.record.fiscal_number);
              const item = original.invoice.items[0]!;
              invoice = build({
                type: "CREDIT",
                client_ref: `C-${n}`,
                items: [
                  {
                    code: item.code,
                    name: item.name,
                    kind: item.kind,
                    quantity: 1,
                    unit_price: item.unit_price,
                    tax_group: item.tax_group,
                  },
                ],
                payments: [{ method: spec.method, amount: lineAmount(1, item.unit_price) }],
                reference: { nature: "RAM", fiscal_number: original.record.fiscal_number, reason: "retour" },
              });
            } else {
              const items = spec.lines.map((l, i) => ({
                code: `ART-${l.group}-${i}`,
                name: `Article ${i}`,
                kind: "BIE",
                quantity: l.quantity,
                unit_price: l.price,
                tax_group: l.group,
              }));
              const total = items.reduce((sum, i) => sum + lineAmount(i.quantity, i.unit_price), 0);
              invoice = build({
                type: spec.advance ? "ADVANCE" : "SALE",
                client_ref: `S-${n}`,
                items,
                payments: [{ method: spec.method, amount: total }],
              });
            }
            const sealed = await seal(host, invoice, emulator.publicKey);
            sealedToday.push(sealed);
            if (original === undefined) sales.push(sealed);
          }
          clock.advance(3_600_000);
          const z = openSealedReport(
            (await host.call("Z_REPORT", { isf: "ISF-1", number: d + 1 })).report,
            emulator.publicKey,
          ) as ZReport;
          expect(sumsOfZ(z)).toEqual(expectedSums(sealedToday));
          expect(z.figures.types.reduce((sum, t) => sum + t.count, 0)).toBe(sealedToday.length);
          if (sealedToday.length === 0) {
            expect([z.first_fiscal_number, z.last_fiscal_number]).toEqual([null, null]);
          } else {
            expect(z.first_fiscal_number).toBe(covered + 1);
            expect(z.last_fiscal_number).toBe(covered + sealedToday.length);
            expect(sealedToday.map((s) => s.record.fiscal_number)).toEqual(
              sealedToday.map((_, i) => covered + 1 + i),
            );
          }
          covered += sealedToday.length;
        }
        await shutdownAll();
      }),
      { numRuns: 12 },
    );
  }, 60_000);
});
