/**
 * The real `stalela emulator` process on a real PTY: a host opens the symlink with `serialport`,
 * fiscalises an invoice, and the test switches faults through the control channel.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { afterAll, describe, expect, it } from "vitest";
import { encodeRequest, invoiceHash, openSealedRecord } from "../../protocol/index.js";
import { bundleFor, sale } from "./fixtures.js";
import { spawnEmulator } from "./spawn.js";
import { WireHost } from "./wire-host.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dir = mkdtempSync(join(tmpdir(), "stalela-proc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function openSerial(path: string): Promise<{ port: SerialPort; host: WireHost }> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await promisify(port.open.bind(port))();
  const host = new WireHost({
    write: (bytes) => port.write(Buffer.from(bytes)),
    onData: (handler) => port.on("data", (d: Buffer) => handler(new Uint8Array(d))),
  });
  port.on("close", () => host.close("serial port closed"));
  return { port, host };
}

describe("stalela emulator process on a PTY", () => {
  it("fiscalises over the virtual serial port, obeys the control channel, and stops on SIGTERM", async () => {
    const linkPath = join(dir, "ttyDEF0");
    const proc = await spawnEmulator([
      "--state",
      join(dir, "state"),
      "--link",
      linkPath,
      "--control",
      "127.0.0.1:0",
      "--fault-seed",
      "77",
    ]);
    try {
      expect(proc.ready).toMatchObject({ link: linkPath, fault_seed: 77 });
      // The human banner follows the ready log line on stdout.
      for (let i = 0; i < 100 && !proc.stdout().includes("fault_seed"); i++) await sleep(20);
      expect(proc.stdout()).toContain(`device_id    ${proc.ready.device_id}`);
      expect(proc.stdout()).toContain(`serial port  ${linkPath}`);
      const control = `http://127.0.0.1:${proc.ready.control!.port}`;
      const { port, host } = await openSerial(linkPath);
      await host.waitEvent("BOOT");
      await host.call("ACTIVATE", { bundle: bundleFor(proc.ready.device_id) });
      const publicKey = Buffer.from(proc.ready.public_key, "hex");
      const p = await host.call("PREPARE", { invoice: sale("PTY-1") as never });
      const sealed = await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
      expect(openSealedRecord(sealed, publicKey)).toMatchObject({ fiscal_number: 1, client_ref: "PTY-1" });

      // The lost-response case, switched on at run time.
      const put = await fetch(`${control}/faults`, {
        method: "PUT",
        body: JSON.stringify({ drop_commit_next: 1 }),
      });
      expect(put.status).toBe(200);
      const invoice = sale("PTY-2");
      const q = await host.call("PREPARE", { invoice: invoice as never });
      host.sendRequest(4242, encodeRequest("COMMIT", { nonce: q.nonce, payload_hash: q.payload_hash }));
      expect(await host.quietFor(300)).toBe(true);
      const recovered = await host.call("GET_RECORD", { payload_hash: invoiceHash(invoice) });
      expect(openSealedRecord(recovered, publicKey).fiscal_number).toBe(2);

      // Unplug: the open port fails; the same path opens again at once.
      const closed = new Promise<void>((resolve) => port.once("close", () => resolve()));
      await fetch(`${control}/disconnect`, { method: "POST" });
      await closed;
      const again = await openSerial(linkPath);
      await again.host.waitEvent("BOOT");
      expect((await again.host.call("STATUS", {})).last_fiscal_number).toBe(2);
      const state = (await (await fetch(`${control}/state`)).json()) as { link: Record<string, number> };
      expect(state.link).toMatchObject({ repliesDropped: 1, disconnects: 1 });
      await promisify(again.port.close.bind(again.port))();
    } finally {
      proc.child.kill("SIGTERM");
    }
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(linkPath)).toBe(false);
  }, 30_000);
});
