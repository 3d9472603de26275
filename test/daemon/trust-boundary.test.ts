/**
 * The trust boundary as the composition root wires it (docs/SECURITY.md): after every connect the daemon
 * reads INFO and binds, reconciles and seals only through a device whose activation chains to a trusted
 * root and names the configured merchant and outlet, and which is not an emulator outside development
 * mode; `metrics.requireKey` reaches /metrics. In process: the real Daemon, an emulated DEF over an
 * in-memory link, the POS API over HTTP.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type ConfigPatch, resolveConfig } from "../../daemon/config.js";
import { Daemon, STORE_FILE } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { openDatabase } from "../../daemon/store/database.js";
import { MemoryTransport } from "../../daemon/transport/index.js";
import { DEV_CLOUD_ROOT_PUBLIC_KEY, toHex } from "../../protocol/index.js";
import {
  activate,
  FAST_SESSION,
  openDevice,
  serveMemory,
  startDef,
  type TestDef,
} from "./device/fixtures.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An emulated DEF activated for A1234567B / OUTLET-1 with a development-root bundle. */
async function activatedDef(): Promise<TestDef> {
  const dev = await startDef(7_001);
  cleanups.push(() => dev.stop());
  const device = await openDevice(new MemoryTransport(serveMemory(dev)));
  await activate(device, dev.emulator.deviceId);
  await device.close();
  return dev;
}

/** A started daemon on a fresh state directory holding one API key, linked to `dev`. */
async function daemonFor(
  dev: TestDef,
  patch: ConfigPatch,
  withSfe = true,
): Promise<{ url: string; key: string }> {
  const dir = mkdtempSync(join(tmpdir(), "stalela-trust-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, STORE_FILE));
  const { key } = new ApiKeyStore(db, new AuditLog(db)).create("CASHIER-1", null, "test");
  db.close();
  // A configured SFE identity, so that the trust check, not its absence, is what refuses a sale.
  const sfe = {
    isf: "ISF-TEST-0001",
    seller: { name: "Boutique d'essai", address: "1, avenue de l'Essai, Kinshasa" },
    fx: { toleranceBp: 100 },
  };
  const config = resolveConfig({ stateDir: dir, http: { port: 0 }, ...(withSfe && { sfe }) }, patch);
  const device = createFiscalDevice(new MemoryTransport(serveMemory(dev)), { config: FAST_SESSION });
  const daemon = new Daemon(config, device, pino({ level: "silent" }));
  cleanups.push(() => daemon.stop());
  await daemon.start();
  return { url: daemon.url!, key };
}

interface Status {
  device: { device_id: string | null };
  conditions: { code: string; severity: string; message: string }[];
}

/** Polls /v1/status until the check after connect has run (a condition or a binding shows it). */
async function settledStatus(url: string, key: string): Promise<Status> {
  for (;;) {
    const status = (await (
      await fetch(`${url}/v1/status`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as Status;
    if (status.device.device_id !== null || status.conditions.some((c) => c.code === "DEVICE_UNTRUSTED"))
      return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** POSTs a one-line cash sale. */
async function sell(url: string, key: string, idempotencyKey: string): Promise<Response> {
  return fetch(`${url}/v1/invoices`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "idempotency-key": idempotencyKey,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      type: "SALE",
      currency: "CDF",
      operator: { name: "Mireille Kabeya" },
      items: [{ name: "Pain", kind: "BIE", quantity: 1, unit_price: 1200, tax_group: "A" }],
      payments: [{ method: "CASH", amount: 1200 }],
    }),
  });
}

const PRODUCTION_MERCHANT = { merchant: { nif: "A1234567B", outletId: "OUTLET-1" } };

describe("the daemon trusts only real, activated devices of this shop", () => {
  it("seals nothing without its SFE identity outside development mode, and says so in the status", async () => {
    const dev = await activatedDef();
    const { url, key } = await daemonFor(dev, PRODUCTION_MERCHANT, false);
    const status = await settledStatus(url, key);
    const condition = status.conditions.find((c) => c.code === "SFE_NOT_CONFIGURED");
    expect(condition?.severity).toBe("error");
    expect(condition?.message).toContain("STALELA_ISF");
    const refused = await sell(url, key, "sfe-1");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(336);
    expect(refused.headers.get("retry-after")).toBe("30");
  });

  it("refuses an emulated DEF outside development mode: E121, no binding, nothing sealed", async () => {
    const dev = await activatedDef();
    // Even with the development root pinned as if it were the production one, the model gives it away.
    const { url, key } = await daemonFor(dev, {
      ...PRODUCTION_MERCHANT,
      trust: { cloudRootKey: toHex(DEV_CLOUD_ROOT_PUBLIC_KEY) },
    });
    const status = await settledStatus(url, key);
    expect(status.device.device_id).toBeNull();
    const condition = status.conditions.find((c) => c.code === "DEVICE_UNTRUSTED");
    expect(condition?.severity).toBe("error");
    expect(condition?.message).toContain("emulat");
    const refused = await sell(url, key, "trust-1");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(121);
    expect(refused.headers.get("retry-after")).toBe("30");
  });

  it("refuses a device activated for another outlet, even in development mode", async () => {
    const dev = await activatedDef();
    const { url, key } = await daemonFor(dev, {
      merchant: { nif: "A1234567B", outletId: "OUTLET-2" },
      trust: { allowEmulator: true },
    });
    const status = await settledStatus(url, key);
    expect(status.device.device_id).toBeNull();
    expect(status.conditions.find((c) => c.code === "DEVICE_UNTRUSTED")?.message).toContain("OUTLET-2");
    expect((await sell(url, key, "trust-2")).status).toBe(503);
  });

  it("binds and seals through the same device in development mode with the shop's merchant", async () => {
    const dev = await activatedDef();
    const { url, key } = await daemonFor(dev, { ...PRODUCTION_MERCHANT, trust: { allowEmulator: true } });
    const status = await settledStatus(url, key);
    expect(status.device.device_id).toBe(dev.emulator.deviceId);
    expect(status.conditions.map((c) => c.code)).not.toContain("DEVICE_UNTRUSTED");
    const sealed = await sell(url, key, "trust-3");
    expect(sealed.status).toBe(201);
  });
});

describe("the daemon's /metrics", () => {
  it("answers without a key by default, and asks for one with metrics.requireKey", async () => {
    const dev = await activatedDef();
    const open = await daemonFor(dev, { trust: { allowEmulator: true } });
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
    const closed = await daemonFor(dev, { trust: { allowEmulator: true }, metrics: { requireKey: true } });
    expect((await fetch(`${closed.url}/metrics`)).status).toBe(401);
    const keyed = await fetch(`${closed.url}/metrics`, {
      headers: { authorization: `Bearer ${closed.key}` },
    });
    expect(keyed.status).toBe(200);
  });
});
