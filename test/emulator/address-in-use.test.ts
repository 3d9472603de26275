/**
 * The emulators' listeners on a port another process holds, with the real processes: `stalela
 * emulator --tcp`, its `--control` channel and `stalela cloud-emulator --port` each exit 1 with
 * E411 ADDRESS_IN_USE naming the listener and the address (not a bare EADDRINUSE), like the daemon.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "stalela-inuse-"));
const holder: Server = createServer();
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  port = (holder.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => holder.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("an emulator listener on a taken port", () => {
  it.each([
    ["tcp link", ["emulator", "--no-link", "--tcp", "127.0.0.1:PORT", "--state", "STATE"]],
    [
      "control channel",
      ["emulator", "--no-link", "--tcp", "127.0.0.1:0", "--control", "127.0.0.1:PORT", "--state", "STATE"],
    ],
    ["cloud emulator", ["cloud-emulator", "--port", "PORT", "--state", "STATE"]],
  ])(
    "%s: exits 1 with ADDRESS_IN_USE naming it and the address",
    async (what, template) => {
      const state = mkdtempSync(join(dir, "state-"));
      const args = template.map((a) => a.replace("PORT", String(port)).replace("STATE", state));
      const run = await runCli(args);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("stalela: E411 ADDRESS_IN_USE: ");
      expect(run.stderr).toContain(
        ` — ${what}: cannot listen on 127.0.0.1:${port}: another process already listens there`,
      );
    },
    60_000,
  );
});
