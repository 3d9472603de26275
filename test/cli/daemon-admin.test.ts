/**
 * The CLI against a real running system: `stalela emulator` on a PTY and `stalela daemon` on it.
 * `queue status` reaches the daemon's admin socket, `doctor` sees the daemon and leaves the port it
 * holds alone, and `invoice get` reads a receipt the daemon sealed for a POS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../cli/doctor/report.js";
import type { InvoiceView } from "../../daemon/fiscal/types.js";
import { System, sale } from "../e2e/system.js";
import { runCli } from "./run-cli.js";

let sys: System;

beforeAll(async () => {
  // No cloud listens on port 1: the daemon keeps its invoices queued, which is what we look at.
  sys = await new System().start({ daemonEnv: { STALELA_CLOUD_URL: "http://127.0.0.1:1" } });
});
afterAll(async () => {
  sys?.daemon?.child.kill("SIGTERM");
  await sys?.daemon?.exited;
  sys?.emulator?.child.kill("SIGTERM");
  await sys?.emulator?.exited;
});

describe("stalela CLI with the daemon running", () => {
  it("invoice get shows what the daemon sealed; queue status shows it waiting for the cloud", async () => {
    const reply = await sys.api("POST", "/v1/invoices", sale(), { "Idempotency-Key": "CLI-DAEMON-1" });
    expect(reply.status).toBeLessThan(300);
    const get = await runCli(["invoice", "get", "CLI-DAEMON-1", "--state", sys.daemonState, "--json"]);
    expect(get.code).toBe(0);
    const view = JSON.parse(get.stdout) as InvoiceView;
    expect(view.state).toBe("FISCALIZED");
    expect(view.fiscal?.qr).toBe(reply.body.fiscal.qr);
    const status = await runCli(["queue", "status", "--state", sys.daemonState, "--json"]);
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
      "--state",
      sys.daemonState,
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
});
