/**
 * Every cloud reply is checked against the contract's schema: a fake cloud on loopback answers each
 * route with lying or malformed bodies (wrong types, missing or extra fields, non-JSON, an outcome
 * "ok", malformed error bodies), and the client answers CLOUD_REPLY_INVALID naming the first issue;
 * the sync agent counts such an upload as a cloud error with backoff. Also: https only, except
 * loopback http in development mode.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../daemon/store/audit.js";
import { CloudCredentialStore } from "../../daemon/store/cloud-credential.js";
import { openDatabase } from "../../daemon/store/database.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { SyncAttemptLog } from "../../daemon/store/sync-log.js";
import { SyncQueue } from "../../daemon/store/sync-queue.js";
import { SyncAgent } from "../../daemon/sync/agent.js";
import { CloudClient } from "../../daemon/sync/client.js";
import { resolveSyncConfig } from "../../daemon/sync/config.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { type FiscalError, genesisHash, isFiscalError, toBase64Url } from "../../protocol/index.js";
import { SHOP } from "./fixtures.js";

/** What the fake cloud answers next: a status and the exact body text. */
let answer: { status: number; body: string };
let server: Server;
let url: string;
let client: CloudClient;
const CREDENTIAL = "stc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const HASH = toBase64Url(new Uint8Array(32).fill(7));

beforeEach(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new CloudClient({ endpoint: url, requestTimeoutMs: 5_000, allowInsecureLoopback: true });
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function reply(status: number, body: unknown): void {
  answer = { status, body: typeof body === "string" ? body : JSON.stringify(body) };
}

async function failure(promise: Promise<unknown>): Promise<FiscalError> {
  try {
    await promise;
  } catch (err) {
    if (isFiscalError(err)) return err;
    throw err;
  }
  throw new Error("expected a FiscalError");
}

const claimRequest = { activation_code: "ACT-1", device_id: "DEF-1", device_public_key: "AAAA" };
const goodClaim = {
  bundle: { bytes: "AAAA", signature: "BBBB" },
  credential: CREDENTIAL,
  ...SHOP,
};
const goodAck = {
  device_id: "DEF-1",
  fiscal_number: 1,
  record_hash: HASH,
  outcome: "accepted",
  dgi_status: "QUEUED_FOR_DGI",
};

describe("cloud replies are validated", () => {
  it("accepts a reply that matches the contract", async () => {
    reply(200, goodClaim);
    expect(await client.claim(claimRequest)).toEqual(goodClaim);
    reply(200, { acks: [goodAck] });
    expect(await client.upload(CREDENTIAL, { batch_id: "b", items: [] })).toEqual({ acks: [goodAck] });
  });

  it.each([
    ["a credential of the wrong type", { ...goodClaim, credential: 42 }, "/credential"],
    ["a missing bundle", { ...goodClaim, bundle: undefined }, "/bundle"],
    ["an extra field", { ...goodClaim, admin: true }, "/admin"],
    [
      "a credential that would split an HTTP header",
      { ...goodClaim, credential: "stc_abcdefghijklmnop\r\nX: 1" },
      "/credential",
    ],
  ])("refuses a claim answer with %s", async (_name, body, path) => {
    reply(200, body);
    const err = await failure(client.claim(claimRequest));
    expect(err.errorName).toBe("CLOUD_REPLY_INVALID");
    expect(err.message).toContain(path);
  });

  it.each([
    ['an outcome "ok"', { acks: [{ ...goodAck, outcome: "ok" }] }, "/acks/0/outcome"],
    ["no record_hash", { acks: [{ ...goodAck, record_hash: undefined }] }, "/acks/0/record_hash"],
    [
      "a record_hash that is not a SHA-256",
      { acks: [{ ...goodAck, record_hash: "abc" }] },
      "/acks/0/record_hash",
    ],
    ["a fiscal number as a string", { acks: [{ ...goodAck, fiscal_number: "1" }] }, "/acks/0/fiscal_number"],
    ["an extra ack field", { acks: [{ ...goodAck, synced: true }] }, "/acks/0/synced"],
    ["acks that are not a list", { acks: { 0: goodAck } }, "/acks"],
  ])("refuses an upload answer with %s", async (_name, body, path) => {
    reply(200, body);
    const err = await failure(client.upload(CREDENTIAL, { batch_id: "b", items: [] }));
    expect(err.errorName).toBe("CLOUD_REPLY_INVALID");
    expect(err.message).toContain(path);
  });

  it("refuses a non-JSON or empty answer, success or error", async () => {
    for (const [status, body] of [
      [200, "<html>ok</html>"],
      [200, ""],
      [500, "<html>Bad Gateway</html>"],
    ] as const) {
      reply(status, body);
      const err = await failure(client.upload(CREDENTIAL, { batch_id: "b", items: [] }));
      expect(err.errorName).toBe("CLOUD_REPLY_INVALID");
      expect(err.details).toMatchObject({ status });
    }
  });

  it("refuses a rotation answer with a malformed credential or date", async () => {
    const until = new Date(0).toISOString();
    reply(200, { credential: CREDENTIAL, old_valid_until: until });
    expect(await client.rotate(CREDENTIAL)).toEqual({ credential: CREDENTIAL, old_valid_until: until });
    reply(200, { credential: "short", old_valid_until: until });
    expect((await failure(client.rotate(CREDENTIAL))).errorName).toBe("CLOUD_REPLY_INVALID");
    reply(200, { credential: CREDENTIAL, old_valid_until: "tomorrow" });
    expect((await failure(client.rotate(CREDENTIAL))).errorName).toBe("CLOUD_REPLY_INVALID");
  });

  it("refuses a registration answer that is empty or names another device or genesis hash", async () => {
    const activation = { bytes: "AAAA", signature: "BBBB" };
    const genesis = toBase64Url(genesisHash(new Uint8Array([0, 0, 0])));
    reply(200, { device_id: "DEF-1", genesis_hash: genesis });
    await client.registerActivation(CREDENTIAL, "DEF-1", { activation });
    for (const body of [
      {},
      { device_id: "DEF-2", genesis_hash: genesis },
      { device_id: "DEF-1", genesis_hash: HASH },
    ]) {
      reply(200, body);
      expect((await failure(client.registerActivation(CREDENTIAL, "DEF-1", { activation }))).errorName).toBe(
        "CLOUD_REPLY_INVALID",
      );
    }
  });

  it("maps a valid error body to its code and refuses a malformed one", async () => {
    reply(404, { error: { code: "CODE_UNKNOWN", message: "unknown activation code" } });
    expect((await failure(client.claim(claimRequest))).errorName).toBe("ACTIVATION_CODE_UNKNOWN");
    reply(401, { error: { code: "AUTH_INVALID", message: "no" } });
    expect((await failure(client.rotate(CREDENTIAL))).errorName).toBe("CLOUD_CREDENTIAL_INVALID");
    for (const body of [
      { error: { code: "AUTH_INVALID" } },
      { error: { code: "TEAPOT", message: "x" } },
      { error: "AUTH_INVALID" },
      { message: "Route not found", statusCode: 404 },
    ]) {
      reply(401, body);
      expect((await failure(client.rotate(CREDENTIAL))).errorName).toBe("CLOUD_REPLY_INVALID");
    }
  });
});

describe("the agent and an invalid reply", () => {
  it("counts an invalid upload answer as a cloud error with backoff: nothing ACKED", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stalela-replies-"));
    const db = openDatabase(join(dir, "d.sqlite"));
    try {
      const store = new InvoiceStore(db);
      const device = new SyntheticDevice("SYN-DEF-9", SHOP);
      device.activate(new Uint8Array(8));
      for (let i = 0; i < 2; i++) {
        const { record, sealed } = device.seal("CASHIER-1");
        store.importRecord(record, sealed);
      }
      const credentials = new CloudCredentialStore(db, new AuditLog(db));
      credentials.replace("SYN-DEF-9", CREDENTIAL, "test");
      const queue = new SyncQueue(db, store);
      const attempts = new SyncAttemptLog(db);
      const agent = new SyncAgent({
        queue,
        attempts,
        credentials,
        cloud: client,
        config: resolveSyncConfig({ backoffBaseMs: 1_000, maxAttempts: 3 }),
        logger: pino({ level: "silent" }),
        random: () => 0.5,
      });
      reply(200, {
        acks: [1, 2].map((n) => ({ ...goodAck, device_id: "SYN-DEF-9", fiscal_number: n, outcome: "ok" })),
      });
      expect(await agent.drain()).toEqual({ kind: "failed", outcome: "cloud-error", waitMs: 750 });
      expect(queue.summary()).toMatchObject({ pending: 2, acked: 0, failed: 0 });
      expect(queue.list("PENDING", 0, 10).map((r) => r.cloud_failures)).toEqual([1, 1]);
      expect(attempts.latest(1)[0]).toMatchObject({ outcome: "cloud-error" });
      expect(attempts.latest(1)[0]!.error).toContain("CLOUD_REPLY_INVALID");
      expect(agent.conditions().map((c) => c.code)).not.toContain("CLOUD_UNREACHABLE");
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("https only", () => {
  function build(endpoint: string, allowInsecureLoopback?: boolean): unknown {
    try {
      return new CloudClient({ endpoint, requestTimeoutMs: 1_000, allowInsecureLoopback });
    } catch (err) {
      return isFiscalError(err) ? err.errorName : err;
    }
  }

  it("refuses plain http unless development mode allows it to a loopback host", () => {
    expect(build("https://cloud.stalela.cd")).toBeInstanceOf(CloudClient);
    expect(build("http://cloud.stalela.cd")).toBe("CONFIG_INSECURE");
    expect(build("http://127.0.0.1:8780")).toBe("CONFIG_INSECURE");
    expect(build("http://cloud.stalela.cd", true)).toBe("CONFIG_INSECURE");
    expect(build("http://10.0.0.7:8780", true)).toBe("CONFIG_INSECURE");
    expect(build("http://127.0.0.1.nip.io:8780", true)).toBe("CONFIG_INSECURE");
    expect(build("http://127.0.0.1:8780", true)).toBeInstanceOf(CloudClient);
    expect(build("http://127.3.4.5:8780", true)).toBeInstanceOf(CloudClient);
    expect(build("http://localhost:8780", true)).toBeInstanceOf(CloudClient);
    expect(build("http://[::1]:8780", true)).toBeInstanceOf(CloudClient);
    expect(build("https://user:pw@cloud.stalela.cd")).toBe("CONFIG_INSECURE");
  });
});
