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

    const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses[0]).toBe(201);
    expect(text).toContain('"idempotency_key":"SHUT-1"');
    // The late request is either refused with the API's coded 503 or never read; it is not fiscalised.
    expect(statuses.slice(1).every((s) => s === 503)).toBe(true);
    expect(h.service.calls.filter((c) => c.op === "fiscalise").map((c) => c.key)).toEqual(["SHUT-1"]);
  });
});
