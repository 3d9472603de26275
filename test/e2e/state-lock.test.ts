/**
 * One daemon per state directory, with real processes: a second `stalela daemon` on the directory a
 * running one holds is refused with STATE_LOCKED naming the holder's pid, and exits non-zero without
 * taking over `admin.sock` (which it used to unlink and re-listen on) while the first keeps serving.
 * The lock is the kernel's: after the first is SIGKILLed, a new daemon starts on the same directory
 * at once, as systemd's restart needs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATE_PID_FILE } from "../../daemon/store/state-lock.js";
import { runCli } from "../cli/run-cli.js";
import { System, sale } from "./system.js";

let sys: System;
beforeAll(async () => {
  sys = await new System().start();
}, 60_000);
afterAll(async () => {
  await sys?.stop();
});

/** `text` as a literal inside a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("two daemons on one state directory", () => {
  it("refuses the second with STATE_LOCKED and the holder's pid; the first keeps serving", async () => {
    const second = await runCli([
      "daemon",
      "--device",
      `serial:${sys.linkPath}`,
      "--state",
      sys.daemonState,
      "--port",
      "0",
      "--log-level",
      "warn",
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `^stalela: E410 STATE_LOCKED: [^\\n]* — the state directory ${literal(sys.daemonState)} is in use by another daemon \\(pid ${sys.daemon.child.pid}\\)`,
        "m",
      ),
    );
    // The first still answers the POS and still owns its admin socket.
    const sealed = await sys.api("POST", "/v1/invoices", sale(), { "idempotency-key": "lock-1" });
    expect(sealed.status).toBe(201);
    expect(sealed.body.state).toBe("FISCALIZED");
    const queue = await runCli(["queue", "status", "--state", sys.daemonState, "--json"]);
    expect(queue.code).toBe(0);
    expect(JSON.parse(queue.stdout)).toHaveProperty("counters");
  }, 60_000);

  it("lets a new daemon start on the same directory right after the first is SIGKILLed", async () => {
    const killed = sys.daemon.child.pid;
    await sys.killDaemon();
    // A crash leaves the pid file behind, but the lock itself died with the process.
    expect(readFileSync(join(sys.daemonState, STATE_PID_FILE), "utf8").trim()).toBe(String(killed));
    await sys.startDaemon();
    expect(readFileSync(join(sys.daemonState, STATE_PID_FILE), "utf8").trim()).toBe(
      String(sys.daemon.child.pid),
    );
    expect(existsSync(join(sys.daemonState, "admin.sock"))).toBe(true);
    const found = await sys.api("GET", "/v1/invoices/lock-1");
    expect(found.status).toBe(200);
    expect(found.body.state).toBe("FISCALIZED");
  }, 60_000);
});
