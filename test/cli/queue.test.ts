/**
 * `stalela queue …` and `stalela device activate --code` through the admin channel: the real binary
 * against the daemon's real admin server (AdminServer on `<state>/admin.sock`) over the daemon-side
 * stack of the sync suites (store, fiscal service, sync agent, activation) and a real cloud emulator.
 * The admin server runs in this process so the test can drive the cloud emulator and wait on the
 * agent; test/cli/daemon-admin.test.ts runs `queue status` against a spawned `stalela daemon`.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminServer } from "../../daemon/admin/server.js";
import type { QueueEntry } from "../../daemon/store/sync-queue.js";
import { SHOP, SyncHarness } from "../sync/fixtures.js";
import { runCli } from "./run-cli.js";

let h: SyncHarness;
let server: AdminServer;

beforeAll(async () => {
  h = await new SyncHarness().start();
  const { activation, agent, queue, attempts } = h.sync.parts;
  server = new AdminServer({ activation, agent, queue, attempts }, h.dir, pino({ level: "silent" }));
  await server.start();
});
afterAll(async () => {
  await server?.stop();
  await h?.stop();
});

describe("stalela device activate --code and stalela queue (admin channel)", () => {
  it("activates with a code through the daemon; an unknown code exits 4 (E502)", async () => {
    const unknown = await runCli([
      "device",
      "activate",
      "--code",
      "ACT-NOPE-0000",
      "--state",
      h.dir,
      "--json",
    ]);
    expect(unknown.code).toBe(4);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      error: { code: 502, name: "ACTIVATION_CODE_UNKNOWN" },
    });
    const run = await runCli([
      "device",
      "activate",
      "--code",
      h.cloud.issueCode(SHOP),
      "--state",
      h.dir,
      "--json",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      device_id: h.device.deviceId,
      outlet_id: SHOP.outlet_id,
      registered: true,
      via: "daemon",
    });
  });

  it("queue status, list --failed and retry follow a rejected upload", async () => {
    h.cloud.setFaults({ reject_fiscal_numbers: [2] });
    const ids = await h.sell(3);
    await h.until(
      () => h.sync.parts.queue.summary().acked === 2 && h.sync.parts.queue.summary().failed === 1,
    );
    const status = await runCli(["queue", "status", "--state", h.dir, "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ pending: 0, failed: 1, acked: 2 });
    const human = await runCli(["queue", "status", "--state", h.dir]);
    expect(human.stdout).toMatch(/en échec\s+1 {2}\(voir : `stalela queue list --failed`/);
    expect(human.stdout).toMatch(/acquittées 2/);
    expect(human.stdout).toMatch(
      /SYNC_FAILED : .+ \(depuis le \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \(UTC\+01:00\)\)/,
    );
    const failed = await runCli(["queue", "list", "--failed", "--state", h.dir, "--json"]);
    expect(failed.code).toBe(0);
    const items = JSON.parse(failed.stdout) as QueueEntry[];
    expect(items.map((i) => i.invoice_id)).toEqual([ids[1]]);
    const listed = await runCli(["queue", "list", "--failed", "--state", h.dir]);
    expect(listed.stdout).toMatch(new RegExp(`^${ids[1]}  \\S+ n° \\d+  FAILED  \\d+ tentatives?`));
    const all = await runCli(["queue", "list", "--state", h.dir, "--json"]);
    expect((JSON.parse(all.stdout) as QueueEntry[]).length).toBe(3);
    h.cloud.setFaults({ reject_fiscal_numbers: [] });
    const retry = await runCli(["queue", "retry", ids[1]!, "--state", h.dir, "--json"]);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toEqual({ requeued: 1 });
    await h.until(() => h.sync.parts.queue.summary().acked === 3);
  });

  it("exits 1 and says how to start the daemon when no admin socket answers", async () => {
    const run = await runCli(["queue", "status", "--state", `${h.dir}/elsewhere`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("no daemon answers");
  });
});
