/**
 * Crash safety end to end: the daemon process is SIGKILLed the instant the device has sealed a record
 * and before the store has written it (STALELA_CRASH_POINT=after-commit), then restarted. The record
 * must be recovered from the device journal, found by the POS's Idempotency-Key, and sealed once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBase64Url, fromHex, openSealedRecord } from "../../protocol/index.js";
import { System, sale } from "./system.js";

let sys: System;
beforeAll(async () => {
  sys = await new System().start({ daemonEnv: { STALELA_CRASH_POINT: "after-commit" } });
}, 60_000);
afterAll(async () => {
  await sys?.stop();
});

describe("a daemon killed between the device's COMMIT and its own store write", () => {
  it("recovers the sealed invoice on restart, by Idempotency-Key, without sealing it twice", async () => {
    const lost = await sys
      .api("POST", "/v1/invoices", sale(25_000), { "idempotency-key": "crash-1" })
      .catch((err: Error) => err);
    expect(lost).toBeInstanceOf(Error);
    const { signal } = await sys.daemon.exited;
    expect(signal).toBe("SIGKILL");

    await sys.startDaemon();
    const found = await sys.api("GET", "/v1/invoices/crash-1");
    expect(found.status).toBe(200);
    expect(found.body.state).toBe("FISCALIZED");
    expect(found.body.transitions.at(-1).note).toMatch(/device journal/);
    const f = found.body.fiscal;
    const record = openSealedRecord(
      {
        record: fromBase64Url(f.record),
        signature: fromBase64Url(f.signature),
        auth_code: f.auth_code,
        qr: f.qr,
      },
      fromHex(sys.emulator.ready.public_key),
    );
    // docs/API.md §2: the default client_ref is `<api-key-id>:<Idempotency-Key>`, the id being the part
    // 12 characters after `stl_` in `stl_<id>_<secret>`.
    const keyId = sys.key.slice("stl_".length, "stl_".length + 12);
    expect(record.client_ref).toBe(`${keyId}:crash-1`);

    const retry = await sys.api("POST", "/v1/invoices", sale(25_000), { "idempotency-key": "crash-1" });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body.fiscal.fiscal_number).toBe(record.fiscal_number);
    const state = (await sys.control("GET", "/state")) as { status: { last_fiscal_number: number } };
    expect(state.status.last_fiscal_number).toBe(record.fiscal_number);
  }, 60_000);
});
