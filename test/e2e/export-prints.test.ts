/**
 * The receipt log reaches the auditor's file: the real daemon on the real emulator over a PTY seals
 * an invoice, its receipt is printed twice (the original, then a DUPLICATA), and `stalela device
 * export` through the daemon writes both copies in the record's `prints` (format /3 on), which
 * `stalela verify` counts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExportVerification, JournalExport } from "../../protocol/index.js";
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
}, 120_000);
afterAll(async () => {
  await sys?.stop();
});

describe("printed receipts in the export", () => {
  it("are in the record's entry, in copy order, and counted by the verifier", async () => {
    const sealed = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": "PRINTS-1" });
    expect(sealed.status).toBe(201);
    const first = await sys.api("GET", "/v1/invoices/PRINTS-1/receipt?format=escpos&width=32");
    const second = await sys.api("GET", "/v1/invoices/PRINTS-1/receipt?format=pdf", undefined, {
      "accept-language": "en",
    });
    expect([first.status, second.status]).toEqual([200, 200]);

    const out = join(sys.dir, "with-prints.json");
    const run = await runCli(["device", "export", "--out", out, "--state", sys.daemonState, "--json"]);
    expect(run.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as JournalExport;
    expect(doc.format).toBe("stalela-journal-export/4");
    const prints = doc.records[0]?.prints ?? [];
    expect(prints.map((p) => [p.copy_number, p.format, p.lang])).toEqual([
      [1, "escpos", "fr"],
      [2, "pdf", "en"],
    ]);
    expect(prints.every((p) => p.requested_by.startsWith("api-key:"))).toBe(true);

    const verify = await runCli(["verify", out, "--pubkey", sys.emulator.ready.public_key, "--json"]);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout) as ExportVerification;
    expect(report.counts).toMatchObject({ printed: 2, duplicates: 1 });
  }, 120_000);
});
