/**
 * README.md's "The parts also run separately" block, run as written: the cloud emulator, the emulator
 * and the daemon in the background (they are the long-running ones, each in its own terminal for a
 * reader), then the rest in one shell, whose last answer must be a 201 FISCALIZED invoice. Only the
 * fixed places the README names are substituted (the link path and the two ports, so that parallel
 * runs do not collide), each checked to be there; `stalela` is the built CLI on PATH; the working
 * directory is a fresh one, where the commands keep their ./.state.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AdminClient } from "../../daemon/admin/client.js";
import { CLI_MAIN } from "./run-cli.js";

/** How long each background part may take to come up, in ms (a readiness wait, not an assertion). */
const READY_MS = 20_000;

/** The commands of the README block: comments dropped, `\` continuations joined. */
function readmePartsCommands(readme: string): string[] {
  const start = readme.indexOf("The parts also\nrun separately");
  expect(start, "README.md has the paragraph").toBeGreaterThan(-1);
  const open = readme.indexOf("```sh\n", start);
  const block = readme.slice(open + "```sh\n".length, readme.indexOf("\n```", open + 1));
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "stalela-readme-"));
const bin = join(dir, "bin");
const work = join(dir, "work");
// A French reader (the default): no locale naming a language, whatever the machine has.
const env = {
  ...process.env,
  LC_ALL: undefined,
  LC_MESSAGES: undefined,
  LANG: "C.UTF-8",
  PATH: `${bin}:${process.env.PATH ?? ""}`,
};
const background: ChildProcess[] = [];

afterAll(async () => {
  for (const child of background.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGTERM");
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a long-running command; resolves once `ready` matches its output. */
function startInBackground(command: string, ready: RegExp): Promise<string> {
  // Its own process group, so that stopping it stops the command and not only the shell around it.
  const child = spawn("bash", ["-c", command], {
    cwd: work,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  background.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${command}\n${output}`)), READY_MS);
    const seen = (d: Buffer): void => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code}) before ready:\n${output}`));
    });
  });
}

/** Waits until the daemon can reach the device through its admin socket (the device link is up). */
async function deviceReachable(socket: string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  for (;;) {
    try {
      await new AdminClient(socket, 2_000).deviceInfo();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe("README.md: the parts run separately", () => {
  it("the commands as written end in a 201 FISCALIZED invoice", { timeout: 120_000 }, async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const [cloudPort, apiPort] = [await freePort(), await freePort()];
    const substitutions: [string, string][] = [
      ["/tmp/stalela-def", join(dir, "def")],
      ["8780", String(cloudPort)],
      ["8765", String(apiPort)],
    ];
    let commands = readmePartsCommands(readme);
    for (const [fixed, local] of substitutions) {
      expect(commands.join("\n"), `the README block uses ${fixed}`).toContain(fixed);
      commands = commands.map((c) => c.replaceAll(fixed, local));
    }
    expect(commands, "six commands in the block").toHaveLength(6);
    mkdirSync(bin);
    mkdirSync(work);
    writeFileSync(join(bin, "stalela"), `#!/bin/sh\nexec "${process.execPath}" "${CLI_MAIN}" "$@"\n`);
    chmodSync(join(bin, "stalela"), 0o755);

    const longRunning = /^(\w+=\S+ )*stalela (cloud-emulator|emulator|daemon)\b/;
    const [cloud, emulator, daemon, ...rest] = commands as [string, string, string, ...string[]];
    for (const c of [cloud, emulator, daemon]) expect(c).toMatch(longRunning);
    for (const c of rest) expect(c).not.toMatch(longRunning);
    await startInBackground(cloud, /"url":"http:\/\/127\.0\.0\.1:\d+"/);
    await startInBackground(emulator, /"emulator\.ready"/);
    // The line a technician waits for, with an ISO 8601 UTC time (docs/INSTALL.md §6).
    await startInBackground(
      daemon,
      /"time":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z".*"msg":"daemon ready"/,
    );
    await deviceReachable(join(work, ".state", "daemon", "admin.sock"));

    const shell = spawn("bash", ["-c", `set -euo pipefail\n${rest.join("\n")}`], { cwd: work, env });
    let out = "";
    let err = "";
    shell.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    shell.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => shell.once("close", resolve));
    expect(err).toBe("");
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("201");
    const invoice = JSON.parse(lines.at(-2)!) as { state: string; fiscal: { fiscal_number: number } };
    expect(invoice.state).toBe("FISCALIZED");
    expect(invoice.fiscal.fiscal_number).toBe(1);
    expect(out).toContain("activé (via le service)");
  });
});
