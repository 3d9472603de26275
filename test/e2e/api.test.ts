/**
 * The daemon end to end, as a POS sees it: real daemon process, real emulator process on a real PTY,
 * HTTP on loopback. Every sealed response is verified with the protocol's offline verifier.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue } from "../../bench/measure.js";
import {
  type FiscalRecord,
  fromBase64Url,
  fromHex,
  openSealedRecord,
  verifyQrPayload,
} from "../../protocol/index.js";
import { type ApiReply, E2E_IDENTITY, rawGet, System, sale } from "./system.js";

let sys: System;
let publicKey: Uint8Array;
let n = 0;
const key = (): string => `e2e-${++n}`;

beforeAll(async () => {
  sys = await new System().start();
  publicKey = fromHex(sys.emulator.ready.public_key);
}, 60_000);
afterAll(async () => {
  await sys?.stop();
});

/** Verifies a sealed response offline and returns its record. */
function verified(reply: ApiReply): FiscalRecord {
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  const f = reply.body.fiscal;
  const record = openSealedRecord(
    {
      record: fromBase64Url(f.record),
      signature: fromBase64Url(f.signature),
      auth_code: f.auth_code,
      qr: f.qr,
    },
    publicKey,
  );
  expect(verifyQrPayload(f.qr, publicKey).fiscalNumber).toBe(f.fiscal_number);
  expect(record.fiscal_number).toBe(f.fiscal_number);
  expect(record.merchant_nif).toBe(E2E_IDENTITY.merchant_nif);
  expect(record.cashier_id).toBe("CASHIER-1");
  return record;
}

const post = (body: unknown, idem: string, headers: Record<string, string> = {}) =>
  sys.api("POST", "/v1/invoices", body, { "idempotency-key": idem, ...headers });

describe("POS API end to end over a real PTY", () => {
  it("seals every invoice type, each verifiable offline", async () => {
    // 5 bags at 10 000 centimes: credit notes take bags back at the same unit price (SFE EG1.26).
    const bags = (quantity: number) => ({
      items: [{ name: "Sac de riz 25 kg", kind: "BIE", quantity, unit_price: 10_000, tax_group: "B" }],
    });
    const saleRec = verified(await post(sale(50_000, bags(5)), key()));
    verified(await post(sale(20_000, { type: "ADVANCE" }), key()));
    const cobalt = (quantity: string, extra: Record<string, unknown>) => ({
      export: { destination_country: "ZM", customs_ref: "DECL-42" },
      operator: { name: "Mireille Kabeya" },
      items: [{ name: "Cobalt concentrate", kind: "BIE", quantity, unit_price: 400_000, tax_group: "E" }],
      ...extra,
    });
    // 1.25 × 400 000 = 500 000; 0.25 × 400 000 = 100 000.
    const exp = verified(
      await post(
        cobalt("1.250", { type: "EXPORT", payments: [{ method: "BANK_TRANSFER", amount: 500_000 }] }),
        key(),
      ),
    );
    verified(
      await post(
        cobalt("1", { type: "EXPORT_ADVANCE", payments: [{ method: "BANK_TRANSFER", amount: 400_000 }] }),
        key(),
      ),
    );
    const refund = verified(
      await post(
        sale(10_000, {
          ...bags(1),
          type: "CREDIT",
          reference: { nature: "RAM", fiscal_number: saleRec.fiscal_number, reason: "damaged bag" },
        }),
        key(),
      ),
    );
    expect(refund.reference).toEqual({
      nature: "RAM",
      device_id: saleRec.device_id,
      fiscal_number: saleRec.fiscal_number,
    });
    verified(
      await post(
        sale(40_000, {
          ...bags(4),
          type: "CREDIT",
          reference: { nature: "RAN", fiscal_number: saleRec.fiscal_number, reason: "cancelled" },
        }),
        key(),
      ),
    );
    verified(
      await post(
        cobalt("0.25", {
          type: "EXPORT_CREDIT",
          reference: { nature: "COR", fiscal_number: exp.fiscal_number, reason: "short delivery" },
          payments: [{ method: "BANK_TRANSFER", amount: 100_000 }],
        }),
        key(),
      ),
    );
    verified(
      await post(sale(1_000, { type: "CREDIT", reference: { nature: "RRR", reason: "ristourne" } }), key()),
    );
  });

  it("replays the original result, refuses a changed body with 409, and finds an invoice by its key", async () => {
    const k = key();
    const first = await post(sale(1_234), k);
    verified(first);
    const replay = await post(sale(1_234), k);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.fiscal).toEqual(first.body.fiscal);
    const changed = await post(sale(4_321), k);
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe(319);
    const byKey = await sys.api("GET", `/v1/invoices/${k}`);
    expect(byKey.status).toBe(200);
    expect(byKey.body.fiscal.fiscal_number).toBe(first.body.fiscal.fiscal_number);
    const svg = await sys.api("GET", `/v1/invoices/${first.body.id}/qr.svg`);
    expect(svg.headers.get("content-type")).toMatch(/image\/svg\+xml/);
    expect(String(svg.body)).toMatch(/<svg/);
  });

  it("reports the device, its queues and its counters in /v1/status and /metrics", async () => {
    // The outbox depth is counted by the sync agent's loop about once a second, never on this path.
    let status = await sys.api("GET", "/v1/status");
    for (
      const until = Date.now() + 5_000;
      status.body.counters.outbox_pending === 0 && Date.now() < until;
    ) {
      await new Promise((r) => setTimeout(r, 100));
      status = await sys.api("GET", "/v1/status");
    }
    expect(status.status).toBe(200);
    expect(status.body.device).toMatchObject({ connected: true, state: "ACTIVE" });
    expect(status.body.counters.fiscalised).toBeGreaterThan(0);
    expect(status.body.counters.outbox_pending).toBeGreaterThan(0);
    expect(status.body.counters.device_queue).toBe(0);
    const metrics = await sys.api("GET", "/metrics");
    expect(String(metrics.body)).toMatch(/outbox_pending/);
  });

  it("counts the seals made durable, the fsyncs that did it and its CPU time, in /v1/status and /metrics", async () => {
    const counters = async () => (await sys.api("GET", "/v1/status")).body.counters;
    const cpuUser = (text: string) => metricValue(text, "process_cpu_user_seconds_total");
    const before = await counters();
    const cpuBefore = cpuUser(String((await sys.api("GET", "/metrics")).body));
    for (let i = 0; i < 3; i++) verified(await post(sale(1_000), key()));
    const sequential = await counters();
    expect(sequential.store_durable_writes - before.store_durable_writes).toBe(3);
    // One at a time, each 201 waits for an fsync begun after its seal: one fsync per seal.
    expect(sequential.store_fsyncs - before.store_fsyncs).toBe(3);

    const together = await Promise.all(Array.from({ length: 8 }, () => post(sale(1_000), key())));
    for (const reply of together) verified(reply);
    const after = await counters();
    expect(after.store_durable_writes - sequential.store_durable_writes).toBe(8);
    const fsyncs = after.store_fsyncs - sequential.store_fsyncs;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThanOrEqual(8);

    const metrics = String((await sys.api("GET", "/metrics")).body);
    const counter = (name: string) => metricValue(metrics, "stalela_service_counter", { name });
    expect(counter("store_durable_writes")).toBe(after.store_durable_writes);
    expect(counter("store_fsyncs")).toBe(after.store_fsyncs);
    expect(cpuBefore).toBeGreaterThan(0);
    expect(cpuUser(metrics)).toBeGreaterThan(cpuBefore!);
    expect(metricValue(metrics, "process_cpu_system_seconds_total")).toBeGreaterThanOrEqual(0);
  });

  it("checks credit notes against the original", async () => {
    const orig = verified(await post(sale(5_000), key()));
    const unknown = await post(
      sale(100, { type: "CREDIT", reference: { nature: "RAM", fiscal_number: 99_999, reason: "x" } }),
      key(),
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([422, 312]);
    const excess = await post(
      // Two bags back from a sale of one: 10 000 > the 5 000 sold.
      sale(10_000, {
        type: "CREDIT",
        items: [{ name: "Sac de riz 25 kg", kind: "BIE", quantity: 2, unit_price: 5_000, tax_group: "B" }],
        reference: { nature: "RAM", fiscal_number: orig.fiscal_number, reason: "x" },
      }),
      key(),
    );
    expect([excess.status, excess.body.error.code]).toEqual([422, 313]);
  });

  it("answers hostile input with coded 4xx and keeps serving", async () => {
    const badJson = await sys.api("POST", "/v1/invoices", "{not json", { "idempotency-key": key() });
    expect(badJson.status).toBe(400);
    const wrongTypes = await post(
      sale(100, { items: [{ name: 5, kind: "BIE", quantity: "x", unit_price: "1", tax_group: "Z" }] }),
      key(),
    );
    expect(wrongTypes.status).toBe(422);
    expect(wrongTypes.body.error.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["/items/0/name", "/items/0/unit_price"]),
    );
    const huge = await post({ ...sale(), note: "x".repeat(2_000_000) }, key());
    expect(huge.status).toBe(413);
    const noKey = await fetch(`${sys.daemon.url}/v1/invoices`, { method: "POST" });
    expect(noKey.status).toBe(401);
    expect(
      await rawGet(`${sys.daemon.url}/v1/status`, {
        authorization: `Bearer ${sys.key}`,
        host: "evil.example",
      }),
    ).toBe(421);
    const noIdem = await sys.api("POST", "/v1/invoices", sale());
    expect([noIdem.status, noIdem.body.error.code]).toEqual([400, 320]);
    const revokedKey = await sys.createKey("CASHIER-2");
    await sys.revokeKey(revokedKey);
    const revoked = await fetch(`${sys.daemon.url}/v1/status`, {
      headers: { authorization: `Bearer ${revokedKey}` },
    });
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: number } }).error.code).toBe(602);
    verified(await post(sale(777), key()));
  });

  it("returns 503 with Retry-After while the device is unplugged, and recovers by itself", async () => {
    await sys.emulator.child.kill("SIGTERM");
    await sys.emulator.exited;
    const down = await post(sale(300), key());
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe(100);
    expect(Number(down.headers.get("retry-after"))).toBeGreaterThan(0);
    const offset = sys.daemon.log().length;
    await sys.startEmulator();
    await sys.waitReconciled(offset, 20_000);
    verified(await post(sale(300), key()));
  }, 60_000);
});
