/**
 * The CLI against a real running system: `stalela emulator` on a PTY and `stalela daemon` on it.
 * `queue status` reaches the daemon's admin socket, `doctor` sees the daemon and leaves the port it
 * holds alone, `invoice get` reads a receipt the daemon sealed for a POS, and the device commands go
 * through the daemon (which holds the port) and print what they print with the daemon stopped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../cli/doctor/report.js";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import type { JournalExport } from "../../protocol/index.js";
import { System, sale } from "../e2e/system.js";
import { runCli } from "./run-cli.js";

let sys: System;

beforeAll(async () => {
  sys = new System();
  await sys.startEmulator();
  await sys.activate();
  // No cloud listens on port 1: the daemon keeps its invoices queued, which is what we look at.
  sys.daemonEnv = { STALELA_CLOUD_URL: "http://127.0.0.1:1" };
  await sys.startDaemon();
  // After the daemon's first start: it creates the store, and no CLI command does.
  sys.key = await sys.createKey("CASHIER-1");
});
afterAll(async () => {
  await sys?.stop();
});

/** `--state` of the running daemon: where its admin.sock is. */
const state = (): string[] => ["--state", sys.daemonState];

describe("stalela CLI with the daemon running", () => {
  it("invoice get shows what the daemon sealed; queue status shows it waiting for the cloud", async () => {
    const reply = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": "CLI-DAEMON-1" });
    expect(reply.status).toBeLessThan(300);
    const get = await runCli(["invoice", "get", "CLI-DAEMON-1", ...state(), "--json"]);
    expect(get.code).toBe(0);
    const view = JSON.parse(get.stdout) as InvoiceView;
    expect(view.state).toBe("FISCALIZED");
    expect(view.fiscal?.qr).toBe(reply.body.fiscal.qr);
    const status = await runCli(["queue", "status", ...state(), "--json"]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    const queue = JSON.parse(status.stdout) as { pending: number; failed: number; acked: number };
    expect(queue.acked).toBe(0);
    expect(queue.pending + queue.failed).toBe(1);
  });

  it("doctor sees the daemon and does not open the port it holds", async () => {
    const run = await runCli([
      "doctor",
      "--device",
      `serial:${sys.linkPath}`,
      ...state(),
      "--url",
      sys.daemon.url,
      "--json",
    ]);
    expect(run.code).toBe(0);
    const checks = (JSON.parse(run.stdout) as { checks: CheckResult[] }).checks;
    const byArea = Object.fromEntries(checks.map((c) => [c.area, c]));
    expect(byArea.daemon).toMatchObject({ level: "ok" });
    expect(byArea.device).toMatchObject({ level: "ok" });
    expect(byArea.device!.message).toContain("the running daemon holds it");
    expect(byArea.database).toMatchObject({ level: "ok" });
  });

  it("device info, status, time and self-test go through the daemon, which holds the port", async () => {
    const info = await runCli(["device", "info", ...state(), "--json"]);
    expect(info.stderr).toBe("");
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({
      device_id: sys.emulator.ready.device_id,
      public_key: sys.emulator.ready.public_key,
      state: "ACTIVE",
      via: "daemon",
    });
    const status = await runCli(["device", "status", ...state(), "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      state: "ACTIVE",
      last_fiscal_number: 1,
      clock_check: { valid: true },
      via: "daemon",
    });
    const time = await runCli(["device", "time", ...state(), "--json"]);
    expect(JSON.parse(time.stdout)).toMatchObject({ set: false, valid: true, via: "daemon" });
    const set = await runCli(["device", "time", "--set", "now", ...state(), "--json"]);
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ set: true, valid: true, via: "daemon" });
    const test = await runCli(["device", "self-test", ...state()]);
    expect(test.code).toBe(0);
    expect(test.stdout).toContain("autotest RÉUSSI");
    expect(test.stdout).toMatch(/via\s+le service \(son admin\.sock ; il tient le port\)/);
    const english = await runCli(["device", "self-test", ...state()], { LANG: "en_US.UTF-8" });
    expect(english.stdout).toContain("self-test PASSED");
    expect(english.stdout).toMatch(/via\s+the daemon \(its admin\.sock; it holds the port\)/);
    // A refusal comes back with its own code and exit 3, as from the device itself.
    const far = new Date(Date.UTC(2030, 0, 1)).toISOString();
    const refused = await runCli(["device", "time", "--set", far, ...state(), "--json"]);
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 107, name: "TIME_SET_REFUSED" } });
  });

  it("device export goes through the daemon and writes an export that verifies under the device key", async () => {
    const out = join(sys.dir, "via-daemon.json");
    const run = await runCli(["device", "export", "--out", out, ...state(), "--json"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ records: 1, range: { from: 1, to: 1 }, via: "daemon" });
    const doc = JSON.parse(readFileSync(out, "utf8")) as JournalExport;
    expect(doc.device.device_id).toBe(sys.emulator.ready.device_id);
    const verify = await runCli(["verify", out, "--pubkey", sys.emulator.ready.public_key, "--lang", "en"]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain("VERIFIED");
  });

  it("with the daemon stopped the same commands open the device and print the same, but via the device", async () => {
    const viaDaemon = JSON.parse((await runCli(["device", "info", ...state(), "--json"])).stdout);
    const outDaemon = join(sys.dir, "export-daemon.json");
    await runCli(["device", "export", "--out", outDaemon, ...state()]);
    sys.daemon.child.kill("SIGTERM");
    await sys.daemon.exited;
    const link = ["--device", `serial:${sys.linkPath}`, ...state()];
    const direct = await runCli(["device", "info", ...link, "--json"]);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout)).toEqual({ ...viaDaemon, via: "device" });
    const outDevice = join(sys.dir, "export-device.json");
    const exported = await runCli(["device", "export", "--out", outDevice, ...link, "--json"]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ via: "device" });
    const records = (file: string) => (JSON.parse(readFileSync(file, "utf8")) as JournalExport).records;
    expect(records(outDevice)).toEqual(records(outDaemon));
  });
});
