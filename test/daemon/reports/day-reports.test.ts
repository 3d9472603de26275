/**
 * The daemon's fiscal day (daemon/reports/day-reports.ts) over the emulator's device core: a Z made
 * through the daemon is verified, stored and checked against the store's records; a Z the daemon did
 * not make is imported before the next; reconciliation imports reports and follows the chain through
 * them without a false break; the A report's lines, rebuilt from the store, match the signed digest.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DayReports } from "../../../daemon/reports/day-reports.js";
import { invoiceHash, isFiscalError, type ZReport } from "../../../protocol/index.js";
import { canonicalOf, posSale, ServiceHarness, TEST_SFE } from "../fiscal/harness.js";

let h: ServiceHarness;
beforeEach(async () => {
  h = await new ServiceHarness().start();
});
afterEach(() => h.stop());

/** Seals an invoice on the device alone, as if the daemon had crashed before storing it. */
function sealBehindTheDaemon(clientRef: string, amount = 11_600): void {
  const inv = canonicalOf(posSale(amount), clientRef);
  const { nonce } = h.device.execute("PREPARE", { invoice: inv });
  h.device.execute("COMMIT", { nonce, payload_hash: invoiceHash(inv) });
}

describe("closing the day", () => {
  it("makes Z 1 over the day's invoices, verified, stored, matching the store, and audited", async () => {
    await h.service.fiscalise(posSale(23_200), "R-1", h.caller);
    await h.service.fiscalise(posSale(11_600), "R-2", h.caller);
    const { z, closures } = await h.dayReports.closeDay("test");
    expect(closures).toEqual([]);
    expect(z.matches_store).toBe(true);
    const report = z.report as ZReport;
    expect(report).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      isf: TEST_SFE.isf,
      first_fiscal_number: 1,
      last_fiscal_number: 2,
    });
    // 232.00 + 116.00 CDF of group B at 16 %, prices TTC: base 300.00, tax 48.00.
    expect(report.figures.groups.sales).toEqual([
      { group: "B", rate_bp: 1600, base: 30_000, tax: 4_800, total: 34_800 },
    ]);
    expect(h.reports.lastNumber(h.identity.require().deviceId, "Z_REPORT")).toBe(1);
    expect(h.audit.latest(5).map((e) => e.action)).toContain("report.z");

    const again = await h.dayReports.closeDay("test");
    expect(again.z.report).toMatchObject({ number: 2, first_fiscal_number: null });
  });

  it("reads the open day (X) with the figures the Z will have, storing nothing", async () => {
    await h.service.fiscalise(posSale(23_200), "R-1", h.caller);
    const x = await h.dayReports.readDay();
    expect(x.report).toMatchObject({ kind: "X_REPORT", number: 1 });
    expect(h.reports.lastNumber(h.identity.require().deviceId, "Z_REPORT")).toBe(0);
    const { z } = await h.dayReports.closeDay("test");
    expect((z.report as ZReport).figures).toEqual((x.report as ZReport).figures);
  });

  it("imports a Z made without the daemon before making the next, never the same number twice", async () => {
    await h.service.fiscalise(posSale(), "R-1", h.caller);
    h.device.execute("Z_REPORT", { isf: TEST_SFE.isf, number: 1 });
    const { z } = await h.dayReports.closeDay("test");
    expect(z.report).toMatchObject({ number: 2 });
    const deviceId = h.identity.require().deviceId;
    expect(h.reports.get(deviceId, "Z_REPORT", 1)?.source).toBe("reconciliation");
    expect(h.reports.get(deviceId, "Z_REPORT", 2)?.source).toBe("z-report");
  });

  it("says when the device's figures cover records the store does not have yet", async () => {
    await h.service.fiscalise(posSale(), "R-1", h.caller);
    sealBehindTheDaemon("X-1");
    const { z } = await h.dayReports.closeDay("test");
    expect(z.report).toMatchObject({ first_fiscal_number: 1, last_fiscal_number: 2 });
    expect(z.matches_store).toBe(false);
  });

  it("refuses a report the bound device did not sign", async () => {
    const other = new ServiceHarness();
    await other.start();
    try {
      const foreign = other.device.execute("X_REPORT", { isf: TEST_SFE.isf });
      h.port.xReport = async () => foreign;
      const err = await h.dayReports.readDay().catch((e: unknown) => e);
      expect(isFiscalError(err, "SIGNATURE_INVALID")).toBe(true);
    } finally {
      other.stop();
    }
  });

  it("needs the configured ISF", async () => {
    const noIsf = new DayReports({
      reports: h.reports,
      invoices: h.store,
      device: h.port,
      identity: h.identity,
      isf: () => undefined,
      audit: h.audit,
    });
    const err = await noIsf.closeDay("test").catch((e: unknown) => e);
    expect(isFiscalError(err, "SFE_NOT_CONFIGURED")).toBe(true);
  });
});

describe("reconciliation through reports", () => {
  it("imports Z reports and closures, and records after a Z chain to it without a break", async () => {
    await h.service.fiscalise(posSale(), "R-1", h.caller);
    h.device.execute("Z_REPORT", { isf: TEST_SFE.isf, number: 1 });
    // The daemon crashed: two invoices sealed after the Z only the device knows.
    sealBehindTheDaemon("X-1");
    sealBehindTheDaemon("X-2");
    h.device.execute("Z_REPORT", { isf: TEST_SFE.isf, number: 2 });
    const report = await h.reconciler.run();
    expect(report).toMatchObject({ imported: 2, chain_breaks: 0, reports_imported: 2 });
    expect(h.breaks.unacknowledged()).toBe(0);
    expect((await h.reconciler.run()).reports_imported).toBe(0);
  });

  it("still finds a real break next to a report", async () => {
    await h.service.fiscalise(posSale(), "R-1", h.caller);
    h.device.execute("Z_REPORT", { isf: TEST_SFE.isf, number: 1 });
    sealBehindTheDaemon("X-1");
    // A report the store has that is not on the device's chain: record 2's link no longer matches it.
    const deviceId = h.identity.require().deviceId;
    await h.dayReports.importJournaled("test");
    const stored = h.reports.get(deviceId, "Z_REPORT", 1)!;
    h.db.prepare("DROP TRIGGER fiscal_reports_no_update").run();
    h.db
      .prepare(
        "UPDATE fiscal_reports SET record_hash = ? WHERE device_id = ? AND kind = 'Z_REPORT' AND number = 1",
      )
      .run(Buffer.alloc(32, 7), deviceId);
    expect(stored.number).toBe(1);
    expect((await h.reconciler.run()).chain_breaks).toBe(1);
  });
});

describe("the A report", () => {
  it("rebuilds the article lines from the store, matching the device's digest; the next starts after it", async () => {
    await h.service.fiscalise(posSale(11_600), "R-1", h.caller);
    await h.service.fiscalise(posSale(11_600), "R-2", h.caller);
    const a = await h.dayReports.articles("test");
    expect(a.matches_store).toBe(true);
    expect(a.report).toMatchObject({
      kind: "A_REPORT",
      first_fiscal_number: 1,
      last_fiscal_number: 2,
      article_count: 1,
    });
    expect(a.lines).toEqual([
      {
        article: "Sac de riz",
        name: "Sac de riz",
        unit_price: 11_600,
        price_mode: "TTC",
        tax_group: "B",
        rate_bp: 1600,
        sold_milli: 2_000,
        returned_milli: 0,
        sold_amount: 23_200,
        returned_amount: 0,
      },
    ]);
    await h.service.fiscalise(posSale(5_000), "R-3", h.caller);
    const next = await h.dayReports.articles("test");
    expect(next.report).toMatchObject({ first_fiscal_number: 3, last_fiscal_number: 3 });
    const none = await h.dayReports.articles("test").catch((e: unknown) => e);
    expect(isFiscalError(none, "RECORD_NOT_FOUND")).toBe(true);
  });
});
