/**
 * The admin channel's device routes (daemon/admin/device-routes.ts), over the daemon-side stack of the
 * sync suites with the emulated DEF core in-process: tested with inject() for the answers and the
 * typebox validation, then over the real socket through AdminClient, with the device link handed over
 * after the socket is up, as the daemon does.
 */
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../daemon/admin/client.js";
import {
  hexed,
  infoFromReport,
  type JournalPage,
  journalFromPage,
  type ReportPage,
  reportFromPage,
} from "../../daemon/admin/device-routes.js";
import { AdminServer, buildAdminApp } from "../../daemon/admin/server.js";
import { isFiscalError, toHex } from "../../protocol/index.js";
import { emulatedLink } from "../support/emulated-link.js";
import { SyncHarness } from "../sync/fixtures.js";

let h: SyncHarness;
let app: FastifyInstance;

function deps(harness: SyncHarness) {
  const { activation, agent, queue, attempts } = harness.sync.parts;
  return { activation, agent, queue, attempts };
}

beforeAll(async () => {
  h = await new SyncHarness().start();
  app = buildAdminApp({ ...deps(h), device: emulatedLink(h.device) });
});
afterAll(async () => {
  await app?.close();
  await h?.stop();
});

const get = async (url: string) => {
  const res = await app.inject({ method: "GET", url });
  return { status: res.statusCode, body: res.json() };
};
const post = async (url: string, payload?: unknown) => {
  const res = await app.inject({ method: "POST", url, payload: payload as object });
  return { status: res.statusCode, body: res.json() };
};

describe("admin device routes (inject)", () => {
  it("GET info answers INFO with bytes as hex, and reads back to the same INFO", async () => {
    const { status, body } = await get("/admin/v1/device/info");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      device_id: h.device.deviceId,
      public_key: toHex(h.device.publicKey),
      state: "UNACTIVATED",
    });
    expect(infoFromReport(body)).toEqual(h.device.execute("INFO", {}));
  });

  it("GET status and time judge the device clock; POST time sets it", async () => {
    const status = await get("/admin/v1/device/status");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ state: "UNACTIVATED", clock_check: { valid: true } });
    expect(status.body.warnings).toContain("NOT_ACTIVATED");
    const time = await get("/admin/v1/device/time");
    expect(time.body).toMatchObject({ set: false, valid: true });
    const target = Date.UTC(2026, 0, 1, 8);
    const set = await post("/admin/v1/device/time", { now: target });
    expect(set.status).toBe(200);
    expect(set.body.set).toBe(true);
    // Read right after setting: the device clock runs on from the target (nowhere near this PC's).
    expect(Date.parse(set.body.device_time)).toBeGreaterThanOrEqual(target);
    expect(Date.parse(set.body.device_time)).toBeLessThan(target + 3_600_000);
    const now = await post("/admin/v1/device/time", { now: "now" });
    expect(now.body).toMatchObject({ set: true, valid: true });
  });

  it("validates the time body with its schema: 3xx codes with the field's path", async () => {
    const bad = await post("/admin/v1/device/time", { now: "tomorrow" });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 302, name: "FIELD_TYPE" });
    expect(bad.body.error.message).toContain("/body/now");
    const missing = await post("/admin/v1/device/time", {});
    expect(missing.body.error).toMatchObject({ code: 301, name: "FIELD_REQUIRED" });
    const extra = await post("/admin/v1/device/time", { now: 1, at: 2 });
    expect(extra.body.error).toMatchObject({ code: 304, name: "FIELD_UNKNOWN" });
  });

  it("POST self-test runs SELF_TEST", async () => {
    const { status, body } = await post("/admin/v1/device/self-test", {});
    expect(status).toBe(200);
    expect(body.passed).toBe(true);
    expect(body.checks.map((c: { name: string }) => c.name)).toContain("clock");
  });

  it("GET journal pages the journal with bytes as hex, and validates from and limit", async () => {
    await h.activate();
    await h.sell(3);
    const { status, body } = await get("/admin/v1/device/journal?from=2&limit=5");
    expect(status).toBe(200);
    const page = body as JournalPage;
    expect(page.last).toBe(3);
    expect(journalFromPage(page)).toEqual(h.device.execute("JOURNAL_READ", { from: 2, limit: 5 }));
    expect(page).toEqual(hexed(h.device.execute("JOURNAL_READ", { from: 2, limit: 5 })));
    expect((await get("/admin/v1/device/journal?from=1&limit=33")).body.error).toMatchObject({
      name: "FIELD_RANGE",
    });
    expect((await get("/admin/v1/device/journal?from=0")).body.error).toMatchObject({ name: "FIELD_TYPE" });
    expect((await get("/admin/v1/device/journal")).body.error).toMatchObject({ name: "FIELD_REQUIRED" });
  });

  it("GET report answers GET_REPORT with bytes as hex, the latest without a number, and validates kind", async () => {
    // The device was activated by the journal test above.
    const none = await get("/admin/v1/device/report?kind=Z_REPORT");
    expect(none.body.error).toMatchObject({ code: 115, name: "RECORD_NOT_FOUND" });
    for (const number of [1, 2]) h.device.execute("Z_REPORT", { isf: "ISF-ADMIN-1", number });
    const latest = await get("/admin/v1/device/report?kind=Z_REPORT");
    expect(latest.status).toBe(200);
    const page = latest.body as ReportPage;
    expect(page.last).toBe(2);
    expect(reportFromPage(page)).toEqual(h.device.execute("GET_REPORT", { kind: "Z_REPORT" }));
    const first = (await get("/admin/v1/device/report?kind=Z_REPORT&number=1")).body as ReportPage;
    expect(reportFromPage(first)).toEqual(h.device.execute("GET_REPORT", { kind: "Z_REPORT", number: 1 }));
    expect(first.report.record).not.toBe(page.report.record);
    for (const bad of ["kind=X_REPORT", "kind=Z_REPORT&number=0", "", "kind=Z_REPORT&extra=1"]) {
      const { status, body } = await get(`/admin/v1/device/report?${bad}`);
      expect(status, bad).toBeGreaterThanOrEqual(400);
      expect(body.error.code, bad).toBeGreaterThanOrEqual(300);
    }
  });

  it("without a device link: 503 DEVICE_UNAVAILABLE", async () => {
    const bare = buildAdminApp(deps(h));
    const none = await bare.inject({ method: "GET", url: "/admin/v1/device/info" });
    expect(none.statusCode).toBe(503);
    expect(none.json().error).toMatchObject({ code: 100, name: "DEVICE_UNAVAILABLE" });
    await bare.close();
  });
});

describe("admin device routes over admin.sock (AdminClient)", () => {
  it("answer once the daemon hands its device link over, and the client turns errors back into FiscalErrors", async () => {
    const server = new AdminServer(deps(h), h.dir, pino({ level: "silent" }));
    await server.start();
    try {
      const client = new AdminClient(server.socketPath);
      let caught: unknown;
      try {
        await client.deviceInfo();
      } catch (err) {
        caught = err;
      }
      expect(isFiscalError(caught, "DEVICE_UNAVAILABLE")).toBe(true);
      server.serveDevice(emulatedLink(h.device));
      expect((await client.deviceInfo()).device_id).toBe(h.device.deviceId);
      expect((await client.deviceStatus()).state).toBe("ACTIVE");
      expect((await client.deviceTime()).set).toBe(false);
      expect((await client.setDeviceTime("now")).set).toBe(true);
      expect((await client.deviceSelfTest()).passed).toBe(true);
      expect((await client.deviceJournal(1, 32)).entries).toHaveLength(3);
    } finally {
      await server.stop();
    }
  });
});
