/**
 * The fiscal day end to end: `stalela emulator` on a PTY, `stalela daemon` on it, invoices sealed
 * through the POS API, and `stalela report x | z | a | list | show` run as a technician would, in
 * French by default. The Z the CLI makes is the device's, signed, chained after the last invoice,
 * stored by the daemon, and never made twice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReportView } from "../../daemon/reports/views.js";
import {
  type ExportVerification,
  fromBase64Url,
  type JournalExport,
  openSealedReport,
  type ZReport,
} from "../../protocol/index.js";
import { runCli } from "../cli/run-cli.js";
import { System, sale } from "./system.js";

let sys: System;

beforeAll(async () => {
  sys = new System();
  await sys.startEmulator();
  await sys.activate();
  sys.daemonEnv = { STALELA_CLOUD_URL: "http://127.0.0.1:1" };
  await sys.startDaemon();
  sys.key = await sys.createKey("CASHIER-1");
});
afterAll(async () => {
  await sys?.stop();
});

const state = (): string[] => ["--state", sys.daemonState];

describe("stalela report with the daemon running", () => {
  it("reads the day (X), closes it once (Z), lists and shows it, and builds the A report", async () => {
    for (const key of ["REP-1", "REP-2"]) {
      const reply = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": key });
      expect(reply.status).toBeLessThan(300);
    }
    const x = await runCli(["report", "x", ...state()]);
    expect(x.stderr).toBe("");
    expect(x.code).toBe(0);
    expect(x.stdout).toContain("RAPPORT X");
    expect(x.stdout.replace(/\s+/g, " ")).toContain("le Z n° 1 la clôturera");
    expect(x.stdout).toMatch(/Factures n°\s+1 à 2 \(2 factures\)/);

    const z = await runCli(["report", "z", ...state(), "--json"]);
    expect(z.stderr).toBe("");
    expect(z.code).toBe(0);
    const made = JSON.parse(z.stdout) as { z: ReportView; closures: ReportView[] };
    expect(made.z).toMatchObject({
      kind: "Z_REPORT",
      number: 1,
      first_fiscal_number: 1,
      last_fiscal_number: 2,
      matches_store: true,
    });
    // What the CLI shows is the device's signed record: it verifies with the device key.
    const record = openSealedReport(
      { record: fromBase64Url(made.z.signed.record), signature: fromBase64Url(made.z.signed.signature) },
      Buffer.from(sys.emulator.ready.public_key, "hex"),
    ) as ZReport;
    expect(record.number).toBe(1);

    // A second Z closes the next (empty) day; it never repeats Z 1.
    const second = await runCli(["report", "z", ...state()]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("RAPPORT Z n° 2");
    expect(second.stdout).toMatch(/Factures n°\s+aucune facture/);

    const list = await runCli(["report", "list", "--kind", "Z_REPORT", ...state(), "--json"]);
    expect((JSON.parse(list.stdout) as ReportView[]).map((r) => r.number)).toEqual([2, 1]);
    const show = await runCli(["report", "show", "Z_REPORT", "1", ...state(), "--json"]);
    expect((JSON.parse(show.stdout) as ReportView).signed.hash).toBe(made.z.signed.hash);
    const unknown = await runCli(["report", "show", "Z_REPORT", "9", ...state(), "--json"]);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 115 } });

    const a = await runCli(["report", "a", "--width", "32", ...state()]);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain("A-RAPPORT");
    expect(a.stdout.split("\n").every((line) => [...line].length <= 32)).toBe(true);
  });

  it("exports the Z reports through the daemon, and `stalela verify` checks each against its day", async () => {
    const reply = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": "REP-3" });
    expect(reply.status).toBeLessThan(300);
    const out = join(sys.dir, "with-reports.json");
    const run = await runCli(["device", "export", "--out", out, ...state(), "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      via: "daemon",
      format: "stalela-journal-export/4",
      reports: 2,
    });
    const doc = JSON.parse(readFileSync(out, "utf8")) as JournalExport;
    expect(doc.reports?.map((r) => `${r.kind} ${r.number}`)).toEqual(["Z_REPORT 1", "Z_REPORT 2"]);

    const verify = await runCli(["verify", out, "--pubkey", sys.emulator.ready.public_key, "--json"]);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as ExportVerification;
    expect(report.reports).toMatchObject({ z: 2, days_checked: 2, open_day_records: 1, failures: [] });
    const human = await runCli(["verify", out, "--pubkey", sys.emulator.ready.public_key]);
    expect(human.stdout).toContain("rapports Z 2");
  });
});
