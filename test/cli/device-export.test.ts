import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulator/emulator.js";
import { listenTcpLink } from "../../emulator/link/tcp.js";
import { type ExportVerification, type JournalExport, toHex } from "../../protocol/index.js";
import { bundleFor, exportSale, sale } from "../emulator/fixtures.js";
import { removeTempFiles, runCli, tempFile } from "./run-cli.js";

let emulator: Emulator;
let stateDir: string;
let uri: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "stalela-export-"));
  const link = await listenTcpLink({ host: "127.0.0.1", port: 0 });
  emulator = await startEmulator({ stateDir, links: [link], faultSeed: 1 });
  uri = `tcp:127.0.0.1:${link.address.port}`;
  const device = emulator.device;
  device.execute("ACTIVATE", { bundle: bundleFor(device.deviceId) });
  for (const invoice of [sale("S-1"), exportSale("E-1"), sale("S-2", 2_320)]) {
    const prepared = device.execute("PREPARE", { invoice: invoice as never });
    device.execute("COMMIT", { nonce: prepared.nonce, payload_hash: prepared.payload_hash });
  }
});
afterAll(async () => {
  await emulator.stop();
  rmSync(stateDir, { recursive: true, force: true });
  removeTempFiles();
});

describe("stalela device export", () => {
  it("exports over the device link, then verify passes with the device key", async () => {
    const out = tempFile("journal.json");
    const run = await runCli(["device", "export", "--device", uri, "--out", out, "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      records: 3,
      range: { from: 1, to: 3, last_on_device: 3 },
    });
    const doc = JSON.parse(readFileSync(out, "utf8")) as JournalExport;
    expect(doc.records.map((r) => r.fiscal_number)).toEqual([1, 2, 3]);
    // Format /3, each entry with its invoice bytes, one entry per line; no store here, so no prints.
    expect(doc.format).toBe("stalela-journal-export/4");
    expect(doc.records.some((r) => r.prints !== undefined)).toBe(false);
    expect(doc.records.every((r) => typeof r.invoice === "string" && r.invoice.length > 0)).toBe(true);
    expect(
      readFileSync(out, "utf8")
        .split("\n")
        .filter((l) => l.includes('"invoice":')),
    ).toHaveLength(3);
    const verify = await runCli(["verify", out, "--pubkey", toHex(emulator.publicKey), "--json"]);
    expect(verify.code).toBe(0);
    expect((JSON.parse(verify.stdout) as ExportVerification).ok).toBe(true);
  });

  it("exports a range, and refuses to overwrite without --force", async () => {
    const out = tempFile("range.json");
    const first = await runCli([
      "device",
      "export",
      "--device",
      uri,
      "--out",
      out,
      "--from",
      "2",
      "--to",
      "3",
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("exported fiscal numbers 2–3 (2 records, 0 Z reports and closures)");
    const partial = await runCli(["verify", out, "--pubkey", toHex(emulator.publicKey), "--lang", "en"]);
    expect(partial.code).toBe(0);
    expect(partial.stdout).toContain("fiscal numbers 2–3, 2 records");
    expect(partial.stdout).toContain("the genesis was not checked");
    const head = tempFile("head.json");
    expect((await runCli(["device", "export", "--device", uri, "--out", head, "--to", "2"])).code).toBe(0);
    const headReport = await runCli(["verify", head, "--pubkey", toHex(emulator.publicKey), "--lang", "en"]);
    expect(headReport.stdout).toContain("fiscal numbers 1–2 (the device held 3: a partial export)");
    expect(headReport.stdout).toContain("chain checked from the activation record (genesis)");
    const again = await runCli(["device", "export", "--device", uri, "--out", out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("--force");
    const forced = await runCli(["device", "export", "--device", uri, "--out", out, "--force", "--json"]);
    expect(forced.code).toBe(0);
    const verify = await runCli(["verify", out, "--json"]);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, range: { from: 1, to: 3 } });
  });

  it("exits 3 (device) when no device answers", async () => {
    const out = tempFile("none.json");
    const run = await runCli([
      "device",
      "export",
      "--device",
      "tcp:127.0.0.1:1",
      "--out",
      out,
      "--connect-timeout-ms",
      "300",
      "--json",
    ]);
    expect(run.code).toBe(3);
    const { error } = JSON.parse(run.stdout) as { error: { name: string; detail: string } };
    expect(error.name).toBe("DEVICE_UNAVAILABLE");
    expect(error.detail).toContain("no device answered on tcp:127.0.0.1:1 within 300 ms");
    expect(error.detail).toContain("holding the port");
  });
});
