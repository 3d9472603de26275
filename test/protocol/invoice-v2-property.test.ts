/**
 * A fixed-seed property test of invoice version 2: random invoices (a seeded PRNG, so every run is
 * the same) against a straightforward implementation written here from docs/PROTOCOL.md §7.3; the
 * device check round-trips them, and refuses any single tamper of an amount or a total.
 */
import { describe, expect, it } from "vitest";
import { FiscalError, validateCanonicalInvoiceV2 } from "../../protocol/index.js";
import { canon } from "./invoice-v2-fixtures.js";

/** mulberry32: a small seeded PRNG, so the property test is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

// The table, written again from DRC-RULES §4 and docs/PROTOCOL.md §7.2, independently of the code.
const RATE: Record<string, number> = { A: 0, B: 1600, C: 800, D: 0, F: 1600, G: 800, K: 0, M: 0 };
const OUTSIDE = new Set(["H", "I", "J", "L"]);
const GOODS = [...Object.keys(RATE), "H", "I", "J"];

/** Quotient and remainder, then compare twice the remainder with the divisor: another formulation. */
function nearest(n: bigint, d: bigint, tieUp: boolean): bigint {
  const q = n / d;
  const twice = 2n * (n % d);
  return twice > d || (tieUp && twice === d) ? q + 1n : q;
}

function expectedTotals(
  items: { group: string; qty: number; price: number; st?: Record<string, number> }[],
  mode: string,
) {
  const groups = new Map<string, { a: bigint; s: bigint }>();
  let specific = 0n;
  for (const it of items) {
    const a = nearest(BigInt(it.qty) * BigInt(it.price), 1000n, true);
    let s = 0n;
    if (it.st?.amount !== undefined) s = BigInt(it.st.amount);
    else if (it.st?.per_unit !== undefined) s = nearest(BigInt(it.qty) * BigInt(it.st.per_unit), 1000n, true);
    else if (it.st?.rate_bp !== undefined) {
      const r = BigInt(RATE[it.group]!);
      const sb = BigInt(it.st.rate_bp);
      s =
        mode === "HT"
          ? nearest(a * sb, 10_000n, true)
          : nearest(a * 10_000n * sb, (10_000n + r) * (10_000n + sb), true);
    }
    const g = groups.get(it.group) ?? { a: 0n, s: 0n };
    groups.set(it.group, { a: g.a + a, s: g.s + s });
    specific += s;
  }
  const out = [...groups.entries()]
    .sort(([x], [y]) => (x < y ? -1 : 1))
    .map(([group, { a, s }]) => {
      if (group === "N") return { group, rate_bp: 0, base: 0, tax: Number(a), total: Number(a) };
      if (OUTSIDE.has(group)) return { group, rate_bp: 0, base: Number(a), tax: 0, total: Number(a) };
      const r = BigInt(RATE[group]!);
      if (mode === "HT") {
        const tax = nearest((a + s) * r, 10_000n, true);
        return {
          group,
          rate_bp: Number(r),
          base: Number(a + s),
          tax: Number(tax),
          total: Number(a + s + tax),
        };
      }
      const base = nearest(a * 10_000n, 10_000n + r, false);
      return { group, rate_bp: Number(r), base: Number(base), tax: Number(a - base), total: Number(a) };
    });
  const sum = (k: "total" | "tax") => out.reduce((t, g) => t + g[k], 0);
  return { total: sum("total"), tax_total: sum("tax"), specific_tax_total: Number(specific), groups: out };
}

describe("property: random invoices against an independent implementation (seed 20261202)", () => {
  const random = prng(20_261_202);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

  it("agrees on 400 invoices, round-trips through the device check, and refuses every single tamper", () => {
    let tampers = 0;
    for (let n = 0; n < 400; n++) {
      const mode = pick(["TTC", "HT"]);
      const items = Array.from({ length: int(1, 6) }, (_, i) => {
        const tax = random() < 0.15;
        const group = tax ? pick(["L", "N"]) : pick(GOODS);
        const qty = int(1, 20_000);
        const price = int(1, 2_000_000);
        const amount = Number(nearest(BigInt(qty) * BigInt(price), 1000n, true));
        let st: Record<string, number> | undefined;
        if (RATE[group] !== undefined && random() < 0.4) {
          const form = pick<Record<string, number>>([
            { amount: int(1, 5000) },
            { per_unit: int(1, 500) },
            { rate_bp: int(1, 3000) },
          ]);
          // A TTC price contains its specific tax: drop the given or per-unit amounts that could not fit.
          const fixed =
            form.amount ??
            (form.per_unit === undefined
              ? 0
              : Number(nearest(BigInt(qty) * BigInt(form.per_unit), 1000n, true)));
          st = mode === "TTC" && fixed >= amount ? undefined : form;
        }
        return {
          name: `Article ${i}`,
          kind: tax ? "TAX" : pick(["BIE", "SER"]),
          group,
          qty,
          price,
          amount,
          st,
        };
      }).filter((it) => it.amount >= 1);
      if (items.length === 0) continue;
      const want = expectedTotals(items, mode);
      const input = {
        type: "SALE",
        price_mode: mode,
        items: items.map((it) => ({
          name: it.name,
          kind: it.kind,
          quantity: (it.qty / 1000).toFixed(3),
          unit_price: it.price,
          tax_group: it.group,
          ...(it.st && { specific_tax: it.st }),
        })),
        payments: [{ method: "CASH", amount: want.total }],
      };
      let inv: ReturnType<typeof canon>;
      try {
        inv = canon(input);
      } catch (err) {
        // Only a specific tax that rounds to zero is a legitimate refusal of a generated invoice.
        expect((err as FiscalError).details?.issues?.every((i) => i.code === 327)).toBe(true);
        continue;
      }
      expect(inv.totals).toEqual(want);
      if (mode === "TTC") for (const g of inv.totals.groups) expect(g.base + g.tax).toBe(g.total);
      expect(validateCanonicalInvoiceV2(structuredClone(inv))).toEqual(inv);

      // One single tamper of one amount or total, by +1: the device refuses it.
      type Numbers = Record<string, number>;
      const fields: ((x: typeof inv) => { obj: Numbers; key: string })[] = [
        (x) => ({
          obj: x.totals as unknown as Numbers,
          key: pick(["total", "tax_total", "specific_tax_total"]),
        }),
        (x) => ({ obj: pick(x.totals.groups) as unknown as Numbers, key: pick(["base", "tax", "total"]) }),
        (x) => ({ obj: pick(x.items) as unknown as Numbers, key: pick(["amount", "specific_tax_amount"]) }),
        (x) => ({ obj: pick(x.payments) as unknown as Numbers, key: "amount" }),
      ];
      const tampered = structuredClone(inv);
      const { obj, key } = pick(fields)(tampered);
      if (obj[key] === undefined) continue;
      obj[key] += 1;
      expect(() => validateCanonicalInvoiceV2(tampered)).toThrow(FiscalError);
      tampers++;
    }
    expect(tampers).toBeGreaterThan(300);
  });
});
