import { connect, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { listen } from "../../../daemon/http/app.js";
import { saleBody } from "./fakes.js";
import { KEYS, makeApp } from "./harness.js";

function request(method: string, path: string, headers: Record<string, string>, body = ""): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", "Connection: keep-alive"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}

function collect(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk.toString("utf8");
    });
    socket.on("end", () => resolve(text));
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("graceful close", () => {
  it("finishes the in-flight fiscalisation before closing, and starts no new one while draining", async () => {
    const h = makeApp();
    const address = await listen(h.app, { port: 0 });
    const port = Number(new URL(address).port);
    const release = h.service.hold();

    const socket = connect(port, "127.0.0.1");
    const received = collect(socket);
    const body = JSON.stringify(saleBody());
    const auth = { authorization: `Bearer ${KEYS.cashier1}`, "content-type": "application/json" };
    socket.write(request("POST", "/v1/invoices", { ...auth, "idempotency-key": "SHUT-1" }, body));
    await until(() => h.service.calls.some((c) => c.op === "fiscalise"));

    let closedYet = false;
    const closed = h.app.close().then(() => {
      closedYet = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closedYet).toBe(false);
    // A second create on the same, still open, connection arrives while the daemon drains.
    socket.write(request("POST", "/v1/invoices", { ...auth, "idempotency-key": "SHUT-2" }, body));
    release();
    await closed;
    const text = await received;

    // Status lines are not anchored to a line start: a reply's JSON body ends without a newline, so the
    // next reply's status line follows it on the same line.
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
    expect(statuses[0]).toBe(201);
    expect(text).toContain('"idempotency_key":"SHUT-1"');
    // Two requests were written on the connection, so two replies: the late one is refused with the
    // API's coded 503 (and is not fiscalised).
    expect(statuses, text).toHaveLength(2);
    expect(statuses.slice(1).every((s) => s === 503)).toBe(true);
    expect(text).toContain('"code":100,"name":"DEVICE_UNAVAILABLE"');
    expect(h.service.calls.filter((c) => c.op === "fiscalise").map((c) => c.key)).toEqual(["SHUT-1"]);
  });
});
