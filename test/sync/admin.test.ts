/**
 * The admin channel over its Unix socket with the CLI's AdminClient: owner-only permissions, coded
 * errors carried through, activation, queue status, list and retry.
 */
import { statSync } from "node:fs";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { AdminClient } from "../../daemon/admin/client.js";
import { AdminServer } from "../../daemon/admin/server.js";
import { isFiscalError } from "../../protocol/index.js";
import { SHOP, SyncHarness } from "./fixtures.js";

let h: SyncHarness;
let server: AdminServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await h?.stop();
});

async function adminFor(harness: SyncHarness): Promise<AdminClient> {
  const { activation, agent, queue, attempts } = harness.sync.parts;
  server = new AdminServer({ activation, agent, queue, attempts }, harness.dir, pino({ level: "silent" }));
  await server.start();
  return new AdminClient(server.socketPath, 10_000);
}

describe("admin channel", () => {
  it("listens on admin.sock with mode 0600", async () => {
    h = await new SyncHarness().start();
    await adminFor(h);
    const stat = statSync(server!.socketPath);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it("activates with a code and reports refusals with their codes", async () => {
    h = await new SyncHarness().start();
    const admin = await adminFor(h);
    const err = await admin.activateWithCode("ACT-UNKNOWN").catch((e: unknown) => e);
    expect(isFiscalError(err, "ACTIVATION_CODE_UNKNOWN")).toBe(true);
    expect((err as Error).message).toMatch(/^E502 /);
    const result = await admin.activateWithCode(h.cloud.issueCode(SHOP));
    expect(result).toMatchObject({ device_id: h.device.deviceId, registered: true });
    const again = await admin.activateWithCode(h.cloud.issueCode(SHOP)).catch((e: unknown) => e);
    expect(isFiscalError(again, "DEVICE_ALREADY_ACTIVATED")).toBe(true);
  });

  it("shows queue status, lists FAILED uploads, and retries them", async () => {
    h = await new SyncHarness().start();
    const admin = await adminFor(h);
    await admin.activateWithCode(h.cloud.issueCode(SHOP));
    h.cloud.setFaults({ reject_fiscal_numbers: [2] });
    const ids = await h.sell(4);
    await h.until(() => h.sync.parts.queue.summary().acked === 3);
    const status = await admin.queueStatus();
    expect(status).toMatchObject({ failed: 1, acked: 3, pending: 0 });
    expect(status.conditions.map((c) => c.code)).toContain("SYNC_FAILED");
    const failed = await admin.queueList({ status: "FAILED" });
    expect(failed.items.map((i) => i.invoice_id)).toEqual([ids[1]]);
    expect(failed.items[0]).toMatchObject({ fiscal_number: 2, ack_outcome: "rejected" });
    h.cloud.setFaults({ reject_fiscal_numbers: [] });
    expect(await admin.retry([ids[1]!])).toEqual({ requeued: 1 });
    await h.until(() => h.sync.parts.queue.summary().acked === 4);
    const attempts = await admin.attempts(10);
    expect(attempts.items.length).toBeGreaterThan(0);
    expect(attempts.items[0]).toMatchObject({ outcome: "ok" });
    const before = h.sync.parts.credentials.current()!.credential;
    await admin.rotateCredential();
    expect(h.sync.parts.credentials.current()!.credential).not.toBe(before);
    const [late] = await h.sell(1);
    await h.until(() => h.service.get(late!)!.sync.status === "ACKED");
    const bad = await admin.queueList({ status: "BOGUS" as never }).catch((e: unknown) => e);
    expect(isFiscalError(bad, "FIELD_RANGE")).toBe(true);
  });

  it("refuses a credential rotation before activation with E504", async () => {
    h = await new SyncHarness().start();
    const admin = await adminFor(h);
    const err = await admin.rotateCredential().catch((e: unknown) => e);
    expect(isFiscalError(err, "CLOUD_NOT_ACTIVATED")).toBe(true);
  });

  it("says plainly when the daemon is not running", async () => {
    const client = new AdminClient("/nonexistent/admin.sock", 1_000);
    await expect(client.queueStatus()).rejects.toThrow(/is the daemon running/);
  });
});
