/**
 * The fiscal day on the emulated DEF (docs/PROTOCOL.md §13): Z_REPORT closes the day into the
 * journal's one hash chain, X_REPORT reads it, GET_REPORT finds a Z again after a lost reply, the
 * monthly and yearly closures come with the first Z of a new month or year, and A_REPORT signs the
 * digest of the articles. Expected figures are worked out by hand from the invoices below (tax group
 * B is VAT 16 %, prices TTC: 23,200 centimes = base 20,000 + tax 3,200).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type CanonicalInvoiceV2,
  decodeReport,
  ERRORS,
  encodeCanonical,
  genesisHash,
  openSealedRecord,
  openSealedReport,
  recordHash,
  sha256,
  toHex,
  type ZReport,
} from "../../protocol/index.js";
import { build, credit, RICE, sale } from "./fixtures.js";
import { boot, shutdownAll } from "./harness.js";
import { ManualClock } from "./manual-clock.js";
import type { WireHost } from "./wire-host.js";

afterEach(shutdownAll);

const ISF = "ISF-TEST-01";
/** 2026-11-20T09:00:00Z, 10:00 in Kinshasa. */
const NOV_20 = Date.UTC(2026, 10, 20, 9);
const HOUR = 3_600_000;

async function fiscalise(host: WireHost, invoice: CanonicalInvoiceV2) {
  const prepared = await host.call("PREPARE", { invoice: invoice as never });
  return host.call("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
}

/** Two units of rice at 116.00 CDF instead of 145.00, paid by mobile money: a 58.00 CDF reduction. */
function discountedSale(clientRef: string): CanonicalInvoiceV2 {
  return build({
    type: "SALE",
    client_ref: clientRef,
    items: [{ ...RICE, quantity: 2, unit_price: 11_600, original_price: 14_500, price_change: "promotion" }],
    payments: [{ method: "MOBILE_MONEY", amount: 23_200 }],
  });
}

async function bootDay(clock: ManualClock) {
  const bench = await boot({ activate: true, device: { systemNow: clock.now, nonceTtlMs: 60_000 } });
  const info = await bench.host.call("INFO", {});
  return { ...bench, genesis: genesisHash(info.activation!.bytes) };
}

describe("Z_REPORT", () => {
  it("closes the day with its figures per type, group, payment and nature, chained in the journal", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator, genesis } = await bootDay(clock);
    await fiscalise(host, sale("S-1", 23_200));
    await fiscalise(host, sale("S-2", 11_600, "SALE", 2));
    await fiscalise(host, discountedSale("S-3"));
    await fiscalise(host, sale("A-1", 11_600, "ADVANCE"));
    const last = await fiscalise(host, credit("C-1", 1, 23_200));
    clock.advance(8 * HOUR);

    const { report, closures } = await host.call("Z_REPORT", { isf: ISF, number: 1 });
    expect(closures).toEqual([]);
    const z = openSealedReport(report, emulator.publicKey) as ZReport;
    expect(z).toMatchObject({
      kind: "Z_REPORT",
      v: 1,
      device_id: emulator.deviceId,
      isf: ISF,
      number: 1,
      issued_at: NOV_20 + 8 * HOUR,
      period_from: NOV_20,
      first_fiscal_number: 1,
      last_fiscal_number: 5,
      after_fiscal_number: 5,
      incomplete: 0,
    });
    // The Z follows the last invoice in the chain; the first Z's report chain starts at the genesis.
    expect(toHex(z.prev_hash)).toBe(toHex(recordHash(last.record)));
    expect(toHex(z.prev_report_hash)).toBe(toHex(genesis));
    const B = (base: number, tax: number) => ({ group: "B", rate_bp: 1600, base, tax, total: base + tax });
    expect(z.figures).toEqual({
      types: [
        {
          invoice_type: "SALE",
          dgi_type: "FV",
          count: 3,
          total: 69_600,
          tax_total: 9_600,
          specific_tax_total: 0,
          groups: [B(60_000, 9_600)],
        },
        {
          invoice_type: "ADVANCE",
          dgi_type: "FT",
          count: 1,
          total: 11_600,
          tax_total: 1_600,
          specific_tax_total: 0,
          groups: [B(10_000, 1_600)],
        },
        {
          invoice_type: "CREDIT",
          dgi_type: "FA",
          count: 1,
          total: 23_200,
          tax_total: 3_200,
          specific_tax_total: 0,
          groups: [B(20_000, 3_200)],
        },
      ],
      groups: { sales: [B(70_000, 11_200)], credits: [B(20_000, 3_200)] },
      payments: {
        sales: [
          { method: "CASH", count: 3, amount: 58_000 },
          { method: "MOBILE_MONEY", count: 1, amount: 23_200 },
        ],
        credits: [{ method: "CASH", count: 1, amount: 23_200 }],
      },
      credit_notes: [{ nature: "RAM", count: 1, total: 23_200 }],
      reductions: { lines: 1, amount: 5_800 },
      v1_records: 0,
    });

    // The next invoice chains to the Z, and the next Z covers only what came after the first.
    clock.advance(16 * HOUR);
    const next = await fiscalise(host, sale("S-4", 11_600));
    expect(toHex(openSealedRecord(next, emulator.publicKey).prev_hash)).toBe(
      toHex(recordHash(report.record)),
    );
    const z2 = openSealedReport(
      (await host.call("Z_REPORT", { isf: ISF, number: 2 })).report,
      emulator.publicKey,
    ) as ZReport;
    expect(z2).toMatchObject({
      number: 2,
      first_fiscal_number: 6,
      last_fiscal_number: 6,
      period_from: NOV_20 + 24 * HOUR,
    });
    expect(toHex(z2.prev_report_hash)).toBe(toHex(recordHash(report.record)));
    expect(z2.figures.types).toEqual([
      {
        invoice_type: "SALE",
        dgi_type: "FV",
        count: 1,
        total: 11_600,
        tax_total: 1_600,
        specific_tax_total: 0,
        groups: [B(10_000, 1_600)],
      },
    ]);
  });

  it("a day without sales still closes, covering no invoice", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator, genesis } = await bootDay(clock);
    const z = openSealedReport(
      (await host.call("Z_REPORT", { isf: ISF, number: 1 })).report,
      emulator.publicKey,
    ) as ZReport;
    expect(z).toMatchObject({
      first_fiscal_number: null,
      last_fiscal_number: null,
      after_fiscal_number: 0,
      period_from: null,
    });
    expect(z.figures.types).toEqual([]);
    expect(toHex(z.prev_hash)).toBe(toHex(genesis));
    // The first invoice then chains to the Z, not to the genesis hash.
    const first = openSealedRecord(await fiscalise(host, sale("S-1")), emulator.publicKey);
    expect(first.fiscal_number).toBe(1);
    expect(toHex(first.prev_hash)).not.toBe(toHex(genesis));
    expect((await host.call("SELF_TEST", {})).checks.filter((c) => !c.passed)).toEqual([]);
  });

  it("never closes a day twice: a Z number already made is refused, and GET_REPORT returns it", async () => {
    const clock = new ManualClock(NOV_20);
    const { host } = await bootDay(clock);
    await fiscalise(host, sale("S-1"));
    const first = await host.call("Z_REPORT", { isf: ISF, number: 1 });
    const again = await host.fail("Z_REPORT", { isf: ISF, number: 1 });
    expect(again.code).toBe(ERRORS.REPORT_NUMBER_MISMATCH.code);
    expect(again.message).toContain("Z 1 is already made");
    expect((await host.fail("Z_REPORT", { isf: ISF, number: 3 })).code).toBe(
      ERRORS.REPORT_NUMBER_MISMATCH.code,
    );
    const latest = await host.call("GET_REPORT", { kind: "Z_REPORT" });
    expect(latest.last).toBe(1);
    expect(toHex(latest.report.record)).toBe(toHex(first.report.record));
    expect(toHex((await host.call("GET_REPORT", { kind: "Z_REPORT", number: 1 })).report.signature)).toBe(
      toHex(first.report.signature),
    );
    expect((await host.fail("GET_REPORT", { kind: "Z_REPORT", number: 2 })).code).toBe(
      ERRORS.RECORD_NOT_FOUND.code,
    );
  });

  it("counts the day's incomplete sales: aborted and expired PREPAREs, back to 0 after the Z", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator } = await bootDay(clock);
    const aborted = await host.call("PREPARE", { invoice: sale("P-1") as never });
    await host.call("ABORT", { nonce: aborted.nonce });
    await host.call("PREPARE", { invoice: sale("P-2") as never });
    clock.advance(61_000); // past the 60 s nonce lifetime
    await fiscalise(host, sale("S-1"));
    const z1 = decodeReport((await host.call("Z_REPORT", { isf: ISF, number: 1 })).report.record) as ZReport;
    expect(z1.incomplete).toBe(2);
    const z2 = openSealedReport(
      (await host.call("Z_REPORT", { isf: ISF, number: 2 })).report,
      emulator.publicKey,
    ) as ZReport;
    expect(z2.incomplete).toBe(0);
  });
});

describe("X_REPORT", () => {
  it("reads the open day with the Z's figures and number, signed, and closes nothing", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator } = await bootDay(clock);
    await fiscalise(host, sale("S-1", 23_200));
    const before = await host.call("STATUS", {});
    const x = openSealedReport((await host.call("X_REPORT", { isf: ISF })).report, emulator.publicKey);
    expect(x).toMatchObject({ kind: "X_REPORT", number: 1, first_fiscal_number: 1, last_fiscal_number: 1 });
    expect(toHex((await host.call("STATUS", {})).last_hash!)).toBe(toHex(before.last_hash!));
    const z = decodeReport((await host.call("Z_REPORT", { isf: ISF, number: 1 })).report.record) as ZReport;
    expect(z.figures).toEqual((x as ZReport).figures);
    const after = decodeReport((await host.call("X_REPORT", { isf: ISF })).report.record) as ZReport;
    expect(after).toMatchObject({ number: 2, first_fiscal_number: null, figures: { types: [] } });
  });
});

describe("monthly and yearly closures", () => {
  it("the first Z of a new month closes the previous month; of a new year, the year too", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator, genesis } = await bootDay(clock);
    await fiscalise(host, sale("N-1", 23_200));
    await host.call("Z_REPORT", { isf: ISF, number: 1 });
    clock.advance(24 * HOUR);
    await fiscalise(host, sale("N-2", 11_600));
    const z2 = await host.call("Z_REPORT", { isf: ISF, number: 2 });
    // 2026-12-01T10:00 in Kinshasa.
    clock.set(Date.UTC(2026, 11, 1, 9));
    await fiscalise(host, sale("D-1", 11_600));
    const dec1 = await host.call("Z_REPORT", { isf: ISF, number: 3 });
    expect(dec1.closures).toHaveLength(1);
    const november = openSealedReport(dec1.closures[0]!, emulator.publicKey);
    expect(november).toMatchObject({
      kind: "MONTH_CLOSURE",
      number: 1,
      period: "2026-11",
      z_first: 1,
      z_last: 2,
      first_fiscal_number: 1,
      last_fiscal_number: 2,
      after_fiscal_number: 3,
    });
    // November's closure sums its two Z: 232.00 + 116.00 CDF of group B.
    expect((november as ZReport).figures.groups.sales).toEqual([
      { group: "B", rate_bp: 1600, base: 30_000, tax: 4_800, total: 34_800 },
    ]);
    expect(toHex(november.prev_hash)).not.toBe(toHex(recordHash(z2.report.record))); // D-1 came after Z 2
    expect(toHex((november as { prev_report_hash: Uint8Array }).prev_report_hash)).toBe(toHex(genesis));
    // The Z follows its closure in the chain.
    const z3 = decodeReport(dec1.report.record) as ZReport;
    expect(toHex(z3.prev_hash)).toBe(toHex(recordHash(dec1.closures[0]!.record)));
    expect(z3).toMatchObject({ first_fiscal_number: 3, last_fiscal_number: 3 });

    // 2027-01-01T00:30 in Kinshasa (2026-12-31T23:30Z): a new month and a new fiscal year.
    clock.set(Date.UTC(2026, 11, 31, 23, 30));
    const jan = await host.call("Z_REPORT", { isf: ISF, number: 4 });
    const [december, year] = jan.closures.map((c) => openSealedReport(c, emulator.publicKey));
    expect(december).toMatchObject({
      kind: "MONTH_CLOSURE",
      number: 2,
      period: "2026-12",
      z_first: 3,
      z_last: 3,
    });
    expect(year).toMatchObject({ kind: "YEAR_CLOSURE", number: 1, period: "2026", z_first: 1, z_last: 3 });
    expect((year as ZReport).figures.groups.sales).toEqual([
      { group: "B", rate_bp: 1600, base: 40_000, tax: 6_400, total: 46_400 },
    ]);
    expect(toHex(year!.prev_hash)).toBe(toHex(recordHash(jan.closures[0]!.record)));
    expect((await host.call("GET_REPORT", { kind: "MONTH_CLOSURE" })).last).toBe(2);
    // The self-test follows the chain through the reports, and the next invoice chains to the Z.
    const after = openSealedRecord(await fiscalise(host, sale("J-1")), emulator.publicKey);
    expect(toHex(after.prev_hash)).toBe(toHex(recordHash(jan.report.record)));
    expect((await host.call("SELF_TEST", {})).checks.find((c) => c.name === "journal_chain")).toEqual({
      name: "journal_chain",
      passed: true,
    });
  });
});

describe("A_REPORT", () => {
  it("signs the digest of the article lines of a range: sold and returned per article and price", async () => {
    const clock = new ManualClock(NOV_20);
    const { host, emulator } = await bootDay(clock);
    await fiscalise(host, sale("S-1", 23_200));
    await fiscalise(host, sale("S-2", 11_600, "SALE", "2.5"));
    await fiscalise(host, credit("C-1", 1, 23_200));
    const a = openSealedReport(
      (await host.call("A_REPORT", { isf: ISF, from: 1, to: 3 })).report,
      emulator.publicKey,
    );
    // By hand: RIZ-25 at 232.00 sold 1, returned 1; RIZ-25 at 116.00 sold 2.5 (290.00 CDF).
    const lines = [
      {
        article: "RIZ-25",
        name: RICE.name,
        unit_price: 11_600,
        price_mode: "TTC",
        tax_group: "B",
        rate_bp: 1600,
        sold_milli: 2_500,
        returned_milli: 0,
        sold_amount: 29_000,
        returned_amount: 0,
      },
      {
        article: "RIZ-25",
        name: RICE.name,
        unit_price: 23_200,
        price_mode: "TTC",
        tax_group: "B",
        rate_bp: 1600,
        sold_milli: 1_000,
        returned_milli: 1_000,
        sold_amount: 23_200,
        returned_amount: 23_200,
      },
    ];
    expect(a).toMatchObject({
      kind: "A_REPORT",
      first_fiscal_number: 1,
      last_fiscal_number: 3,
      article_count: 2,
    });
    expect(toHex((a as { articles_hash: Uint8Array }).articles_hash)).toBe(
      toHex(sha256(encodeCanonical(lines as never))),
    );
    expect((await host.fail("A_REPORT", { isf: ISF, from: 1, to: 4 })).code).toBe(
      ERRORS.RECORD_NOT_FOUND.code,
    );
  });
});
