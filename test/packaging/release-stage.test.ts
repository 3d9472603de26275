/**
 * What `npm run release` puts in the package (packaging/stage-app.sh, which release.sh runs): the
 * compiled code without the test-only crash hook (STALELA_CRASH_POINT, cli/crash-points.js), so a
 * packaged daemon cannot be made to crash itself, and the daemon's unit with the release's pinned
 * production cloud root key, or with none when the release has none. Runs the script itself on a
 * small tree; test/install checks the real package.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../packaging/stage-app.sh", import.meta.url));
const UNIT = fileURLToPath(new URL("../../packaging/stalela-daemon.service", import.meta.url));
const KEY = "a".repeat(32) + "0123456789ABCDEF".repeat(2);

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "stalela-stage-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Runs stage-app.sh with only the given release settings in its environment. */
function stage(args: readonly string[], env: Record<string, string> = {}) {
  const run = spawnSync("bash", [SCRIPT, ...args], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      // Never the repository's own packaging/cloud-root.pub: each case says what the release has.
      STALELA_RELEASE_CLOUD_ROOT_KEY_FILE: join(root, "no-such-key.pub"),
      ...env,
    },
  });
  return { status: run.status, stderr: run.stderr };
}

function file(path: string, text = "//\n"): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

describe("stage-app.sh dist", () => {
  it("copies the runtime folders without source maps and without the crash hook", () => {
    const dist = join(root, "dist");
    for (const f of [
      "cli/main.js",
      "cli/main.js.map",
      "cli/crash-points.js",
      "cli/crash-points.js.map",
      "cli/commands/daemon.js",
      "daemon/daemon.js",
      "emulator/emulator.js",
      "protocol/index.js",
      "bench/run.js",
    ]) {
      file(join(dist, f));
    }
    const dest = join(root, "app/dist");
    expect(stage(["dist", dist, dest])).toMatchObject({ status: 0 });
    const shipped = (f: string) => existsSync(join(dest, f));
    expect(shipped("cli/crash-points.js")).toBe(false);
    expect(shipped("cli/crash-points.js.map")).toBe(false);
    expect(shipped("cli/main.js.map")).toBe(false);
    expect(shipped("bench/run.js")).toBe(false);
    for (const f of ["cli/main.js", "cli/commands/daemon.js", "daemon/daemon.js", "emulator/emulator.js"]) {
      expect(shipped(f), f).toBe(true);
    }
  });
});

describe("stage-app.sh unit", () => {
  const dest = () => join(root, "unit/stalela-daemon.service");
  const keyLines = () =>
    readFileSync(dest(), "utf8").match(/^Environment=STALELA_CLOUD_ROOT_KEY=.*$/gm) ?? [];

  it("pins the key from STALELA_RELEASE_CLOUD_ROOT_KEY, lower-cased, right after NODE_ENV", () => {
    expect(stage(["unit", UNIT, dest()], { STALELA_RELEASE_CLOUD_ROOT_KEY: KEY })).toMatchObject({
      status: 0,
    });
    expect(keyLines()).toEqual([`Environment=STALELA_CLOUD_ROOT_KEY=${KEY.toLowerCase()}`]);
    const text = readFileSync(dest(), "utf8");
    expect(text).toContain(`Environment=NODE_ENV=production\nEnvironment=STALELA_CLOUD_ROOT_KEY=`);
    // Nothing else of the unit changes.
    expect(text.replace(/^Environment=STALELA_CLOUD_ROOT_KEY=.*\n/m, "")).toBe(readFileSync(UNIT, "utf8"));
  });

  it("reads the key from the release's key file when the variable is not set", () => {
    const keyFile = join(root, "cloud-root.pub");
    writeFileSync(keyFile, `# production cloud root, Ed25519\n\n${KEY}\n`);
    expect(stage(["unit", UNIT, dest()], { STALELA_RELEASE_CLOUD_ROOT_KEY_FILE: keyFile })).toMatchObject({
      status: 0,
    });
    expect(keyLines()).toEqual([`Environment=STALELA_CLOUD_ROOT_KEY=${KEY.toLowerCase()}`]);
  });

  it("sets no key when the release has none, and says what that means", () => {
    const run = stage(["unit", UNIT, dest()]);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/no production cloud root key.*bind no device/s);
    expect(keyLines()).toEqual([]);
    expect(readFileSync(dest(), "utf8")).toBe(readFileSync(UNIT, "utf8"));
  });

  it("refuses a key that is not 64 hex digits", () => {
    for (const bad of ["abc", `${KEY}00`, `${KEY.slice(0, 63)}g`]) {
      const run = stage(["unit", UNIT, dest()], { STALELA_RELEASE_CLOUD_ROOT_KEY: bad });
      expect(run.status, bad).not.toBe(0);
      expect(run.stderr).toContain("64 hex digits");
    }
  });
});

describe("packaging/release.sh", () => {
  const release = readFileSync(fileURLToPath(new URL("../../packaging/release.sh", import.meta.url)), "utf8");

  it("stages the code and the daemon's unit through stage-app.sh, never by a plain copy", () => {
    expect(release).toMatch(/^bash packaging\/stage-app\.sh dist dist "\$lib\/app\/dist"$/m);
    expect(release).toMatch(/^bash packaging\/stage-app\.sh unit packaging\/stalela-daemon\.service /m);
    expect(release).not.toMatch(/cp -r dist\//);
    expect(release).not.toMatch(/install .*packaging\/stalela-daemon\.service/);
  });
});
