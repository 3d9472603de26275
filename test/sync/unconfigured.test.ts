/**
 * No cloud URL configured: the daemon uploads nowhere (fetch is never called), says so with an
 * error-severity condition CLOUD_NOT_CONFIGURED (French first), and refuses activation by code with
 * CLOUD_NOT_CONFIGURED. A plain-http URL outside development mode is refused at start.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { describeCondition } from "../../daemon/conditions.js";
import { trustPolicyFrom } from "../../daemon/fiscal/device-trust.js";
import { DeviceIdentity } from "../../daemon/fiscal/identity.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { type Db, openDatabase } from "../../daemon/store/database.js";
import { DeviceBindingStore } from "../../daemon/store/device-binding.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { CloudSync, type CloudSyncOptions } from "../../daemon/sync/cloud-sync.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { isFiscalError } from "../../protocol/index.js";
import { SHOP, SyncHarness } from "./fixtures.js";

let dir: string;
let db: Db;
let sync: CloudSync | undefined;
let harness: SyncHarness | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-nocloud-"));
  db = openDatabase(join(dir, "d.sqlite"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await sync?.stop();
  sync = undefined;
  await harness?.stop();
  harness = undefined;
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function options(config: CloudSyncOptions["config"]): CloudSyncOptions {
  const audit = new AuditLog(db);
  return {
    db,
    invoices: new InvoiceStore(db),
    audit,
    bindings: new DeviceBindingStore(db, audit),
    identity: new DeviceIdentity(),
    device: {
      info: () => Promise.reject(new Error("no device in this test")),
      activate: () => Promise.reject(new Error("no device in this test")),
    },
    trust: trustPolicyFrom({ allowEmulator: false }, {}),
    stateDir: dir,
    logger: pino({ level: "silent" }),
    config,
    adminSocket: false,
  };
}

describe("no cloud URL configured", () => {
  it("uploads nowhere and raises CLOUD_NOT_CONFIGURED as an error, French first", async () => {
    const store = new InvoiceStore(db);
    const device = new SyntheticDevice("SYN-DEF-9", SHOP);
    device.activate(new Uint8Array(8));
    for (let i = 0; i < 3; i++) {
      const { record, sealed } = device.seal("CASHIER-1");
      store.importRecord(record, sealed);
    }
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    sync = new CloudSync(options({ pollIntervalMs: 50 }));
    await sync.start();
    sync.parts.credentials.replace("SYN-DEF-9", "stc_credential_for_this_test", "test");
    expect(await sync.parts.agent.drain()).toEqual({ kind: "idle" });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(sync.parts.queue.summary()).toMatchObject({ pending: 3, acked: 0 });
    expect(sync.parts.attempts.latest()).toEqual([]);
    const raised = sync.conditions().find((c) => c.code === "CLOUD_NOT_CONFIGURED");
    expect(raised).toMatchObject({ severity: "error" });
    const fr = describeCondition(raised!, "fr");
    expect(fr.message).toMatch(/^aucune URL du Stalela Cloud n'est configurée/i);
    expect(fr.hint).toContain("STALELA_CLOUD_URL");
    const en = describeCondition(raised!, "en");
    expect(en.message).toBe("no Stalela Cloud URL is configured: nothing is uploaded");
    expect(en.hint).toContain("STALELA_CLOUD_URL to the https:// URL");
    const rotate = await sync.parts.agent.rotateCredential("test").catch((e: unknown) => e);
    expect(isFiscalError(rotate, "CLOUD_NOT_CONFIGURED")).toBe(true);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("refuses activation by code with CLOUD_NOT_CONFIGURED and sends nothing", async () => {
    harness = await new SyncHarness({ endpoint: undefined }).start();
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const err = await harness.activate().catch((e: unknown) => e);
    expect(isFiscalError(err, "CLOUD_NOT_CONFIGURED")).toBe(true);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(harness.cloud.store.device(harness.device.deviceId)).toBeUndefined();
  });

  it("does not raise the condition when a cloud URL is configured", async () => {
    sync = new CloudSync(options({ endpoint: "https://cloud.stalela.cd" }));
    await sync.start();
    expect(sync.conditions().map((c) => c.code)).not.toContain("CLOUD_NOT_CONFIGURED");
  });

  it("refuses a plain-http cloud URL at start unless loopback in development mode", async () => {
    const insecure = new CloudSync(options({ endpoint: "http://cloud.stalela.cd" }));
    const err = await insecure.start().catch((e: unknown) => e);
    expect(isFiscalError(err, "CONFIG_INSECURE")).toBe(true);
    const loopback = new CloudSync(options({ endpoint: "http://127.0.0.1:8780" }));
    expect(isFiscalError(await loopback.start().catch((e: unknown) => e), "CONFIG_INSECURE")).toBe(true);
    sync = new CloudSync({ ...options({ endpoint: "http://127.0.0.1:8780" }), allowInsecureLoopback: true });
    await sync.start();
    expect(sync.parts.agent).toBeDefined();
  });
});
