/**
 * The cloud credential never appears in a log line: every line the daemon side writes at trace level
 * is captured (a pino destination stream) across activation (claim + registration), uploads, a
 * rotation, a refused credential (401) and an outage, and searched for every credential it held.
 * The redact paths the composition root puts on the root logger hide the fields by name as well.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LOG_REDACT_PATHS } from "../../daemon/sync/log-redact.js";
import { SyncHarness } from "./fixtures.js";

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** A pino destination that keeps every line. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("credential in logs", () => {
  it("never writes the credential across claim, upload, rotate, 401 and an outage", async () => {
    const log = capture();
    h = await new SyncHarness({}, pino({ level: "trace" }, log.stream)).start();
    await h.activate();
    const { credentials, queue, agent } = h.sync.parts;
    const held = [credentials.current()!.credential];
    await h.sell(3);
    await h.until(() => queue.summary().acked === 3);
    await agent.rotateCredential("test");
    held.push(credentials.current()!.credential);
    await h.sell(2);
    await h.until(() => queue.summary().acked === 5);
    // A credential the cloud does not know: uploads are answered 401.
    const refused = `stc_${"R".repeat(32)}`;
    credentials.replace(h.device.deviceId, refused, "test");
    held.push(refused);
    await h.sell(1);
    agent.wake();
    await h.until(() => h!.sync.conditions().some((c) => c.code === "CLOUD_CREDENTIAL_REFUSED"));
    credentials.replace(h.device.deviceId, held[1]!, "test");
    h.cloud.setFaults({ down: true });
    agent.wake();
    await h.until(() => h!.sync.conditions().some((c) => c.code === "CLOUD_UNREACHABLE"));
    await h.stopDaemon();
    await h.openDaemon();
    const text = log.text();
    // The capture saw the flows it claims to cover.
    expect(text).toContain('"msg":"sync attempt"');
    expect(text).toContain('"outcome":"auth-refused"');
    expect(text).toContain('"outcome":"unreachable"');
    expect(new Set(held).size).toBe(3);
    for (const credential of held) {
      expect(text).not.toContain(credential);
      // Not even a long piece of it (a truncated header or a split line).
      expect(text).not.toContain(credential.slice(4, 20));
    }
  });

  it("redacts credential and authorization fields by name with LOG_REDACT_PATHS", () => {
    const log = capture();
    const logger = pino(
      { level: "info", redact: { paths: [...LOG_REDACT_PATHS], censor: "[Redacted]" } },
      log.stream,
    );
    const secret = `stc_${"S".repeat(32)}`;
    logger.info({ credential: secret }, "top level");
    logger.info({ answer: { credential: secret } }, "nested");
    logger.info({ request: { headers: { authorization: `Bearer ${secret}` } } }, "headers");
    logger.child({ part: "sync" }).warn({ headers: { authorization: `Bearer ${secret}` } }, "child");
    const text = log.text();
    expect(text.split("\n").filter((l) => l !== "")).toHaveLength(4);
    expect(text).not.toContain(secret);
    expect(text.match(/\[Redacted\]/g)).toHaveLength(4);
  });
});
