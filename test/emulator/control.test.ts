import { afterEach, describe, expect, it } from "vitest";
import { ControlServer, MAX_CONTROL_BODY_BYTES } from "../../emulator/control-server.js";
import { SILENT_LOGGER } from "../../emulator/log.js";
import { boot, shutdownAll } from "./harness.js";

const servers: ControlServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  await shutdownAll();
});

async function control() {
  const bench = await boot({ activate: true });
  const server = new ControlServer(bench.emulator, { host: "127.0.0.1", port: 0 }, SILENT_LOGGER);
  servers.push(server);
  const { port } = await server.start();
  const call = async (method: string, path: string, body?: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, body });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { ...bench, call };
}

describe("control channel", () => {
  it("reads and changes faults, with bounded and validated input", async () => {
    const { call, emulator } = await control();
    const initial = await call("GET", "/faults");
    expect(initial.status).toBe(200);
    expect(initial.json).toMatchObject({
      seed: 1234,
      faults: { drop_rate: 0, delay_ms: 0, journal_capacity: null },
    });
    const changed = await call("PUT", "/faults", JSON.stringify({ delay_ms: 5, busy_next: 1 }));
    expect(changed.json).toMatchObject({ faults: { delay_ms: 5, busy_next: 1 } });
    expect(emulator.faults.current()).toMatchObject({ delay_ms: 5, busy_next: 1 });
    const bad = await call("PUT", "/faults", JSON.stringify({ drop_rate: 2 }));
    expect(bad.status).toBe(400);
    expect(String(bad.json.error)).toContain("drop_rate");
    expect((await call("PUT", "/faults", "{not json")).status).toBe(400);
    expect((await call("PUT", "/faults", " ".repeat(MAX_CONTROL_BODY_BYTES + 1))).status).toBe(413);
    expect(emulator.faults.current().delay_ms).toBe(5);
    expect((await call("POST", "/faults/reset")).json).toMatchObject({
      faults: { delay_ms: 0, busy_next: 0 },
    });
    expect((await call("GET", "/nowhere")).status).toBe(404);
    expect((await call("DELETE", "/faults")).status).toBe(405);
  });

  it("reports state and unplugs the host links", async () => {
    const { call, emulator, hostEnd, host } = await control();
    const state = await call("GET", "/state");
    expect(state.json).toMatchObject({
      device_id: emulator.deviceId,
      fault_seed: 1234,
      status: { state: "ACTIVE", last_fiscal_number: 0 },
    });
    expect(state.json.public_key).toMatch(/^[0-9a-f]{64}$/);
    const closed = new Promise<void>((resolve) => hostEnd.onClose(resolve));
    expect((await call("POST", "/disconnect")).json).toEqual({ disconnected: true });
    await closed;
    hostEnd.reopen();
    await host.waitEvent("BOOT");
    expect((await host.call("STATUS", {})).state).toBe("ACTIVE");
  });
});
