/**
 * Permission denied is named as such, with the fix, for the device, the store, the admin socket and
 * the env file: not "no device answered" after a 5 s wait, nor "no daemon". The real refusals run the
 * CLI as `nobody` (uid 65534) against files of root, which needs root, as CI runs: not being root
 * fails these tests rather than skipping them. Refusals a transport reports (HID, USB) are injected.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SpawnedEmulator, spawnEmulator } from "../../bench/processes.js";
import { accessRefusal, withDevice } from "../../cli/commands/device-connect.js";
import { STORE_FILE } from "../../cli/state.js";
import { openDatabase } from "../../daemon/store/database.js";
import { deviceUnavailable, type Transport } from "../../daemon/transport/types.js";
import { isFiscalError } from "../../protocol/index.js";
import { type CliRun, runCli } from "./run-cli.js";

const NOBODY = { uid: 65_534, gid: 65_534 };
/** Longer than any test may take: a command that waited for the link instead of refusing would time out. */
const NEVER_MS = 600_000;

let dir: string;

/** Runs `stalela ARGS --json` as nobody; the coded error it printed. */
async function asNobody(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun & { error: { code: number; name: string; message: string; detail?: string } }> {
  expect(process.getuid?.(), "running the CLI as uid 65534 needs root (CI runs as root)").toBe(0);
  const run = await runCli([...args, "--json"], env, { ...NOBODY, cwd: dir });
  return {
    ...run,
    error: (
      JSON.parse(run.stdout) as { error: { code: number; name: string; message: string; detail?: string } }
    ).error,
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-perm-"));
  chmodSync(dir, 0o755); // nobody may look in, and finds only root's files
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a device this user may not open", () => {
  let emulator: SpawnedEmulator;
  const link = () => join(dir, "def");

  beforeAll(async () => {
    emulator = await spawnEmulator(["--link", link(), "--state", join(dir, "emu")]);
  });
  afterAll(async () => {
    emulator?.child.kill("SIGTERM");
    await emulator?.exited;
  });

  it("a real PTY of root: permission denied at once, with the group, the udev rule and udevadm", async () => {
    const pty = readlinkSync(link());
    expect(lstatSync(link()).isSymbolicLink()).toBe(true);
    const st = statSync(pty);
    expect(st.uid === NOBODY.uid || (st.mode & 0o006) !== 0, `${pty} must deny others to test this`).toBe(
      false,
    );
    const run = await asNobody([
      "device",
      "info",
      "--device",
      `serial:${link()}`,
      "--state",
      join(dir, "no-daemon"),
      "--connect-timeout-ms",
      String(NEVER_MS),
    ]);
    expect(run.code).toBe(3);
    expect(run.error).toMatchObject({ code: 100, name: "DEVICE_UNAVAILABLE" });
    expect(run.error.detail).toContain(`permission denied (EACCES) opening ${link()}`);
    expect(run.error.detail).toContain("group stalela");
    expect(run.error.detail).toContain("99-stalela-def.rules");
    expect(run.error.detail).toContain("udevadm trigger");
    expect(run.error.detail).not.toContain("no device answered");
  });

  it("a refusal the transport reports on open (LIBUSB_ERROR_ACCESS) ends the wait at once", async () => {
    const transport: Transport = {
      address: "usb:1209:5d1e",
      open: async () => {
        throw deviceUnavailable(
          "usb:1209:5d1e",
          "cannot open: LIBUSB_ERROR_ACCESS",
          new Error("LIBUSB_ERROR_ACCESS"),
        );
      },
      write: async () => {},
      onData: () => {},
      onDisconnect: () => {},
      close: async () => {},
    };
    let caught: unknown;
    try {
      await withDevice(
        { device: "usb:1209:5d1e", connectTimeoutMs: NEVER_MS },
        async () => "opened",
        () => transport,
      );
    } catch (err) {
      caught = err;
    }
    expect(isFiscalError(caught, "DEVICE_UNAVAILABLE")).toBe(true);
    expect((caught as Error).message).toContain(
      "permission denied (LIBUSB_ERROR_ACCESS) opening usb:1209:5d1e",
    );
    expect((caught as Error).message).toContain("udevadm trigger");
  });

  it("tells refusals from other open failures", () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: open failed`), { code });
    expect(
      accessRefusal(deviceUnavailable("serial:/dev/x", "Error: Permission denied, cannot open /dev/x")),
    ).toBe("EACCES");
    expect(accessRefusal(deviceUnavailable("hid:1:2", "cannot open", errno("EPERM")))).toBe("EPERM");
    expect(
      accessRefusal(deviceUnavailable("serial:/dev/x", "No such file or directory", errno("ENOENT"))),
    ).toBe(undefined);
    expect(accessRefusal(deviceUnavailable("tcp:h:1", "connect ECONNREFUSED"))).toBe(undefined);
  });
});

describe("state this user may not open", () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it("the daemon's store: permission denied with the path and the fix, not a missing store", async () => {
    const state = join(dir, "store-of-root");
    openDatabase(join(mkdirPublic(state), STORE_FILE)).close();
    chmodSync(join(state, STORE_FILE), 0o600);
    const run = await asNobody(["keys", "list", "--state", state]);
    expect(run.code).toBe(1);
    expect(run.error).toMatchObject({ code: 400, name: "STORAGE_FAILURE" });
    expect(run.error.detail).toContain(
      `permission denied (EACCES) opening the daemon's store ${join(state, STORE_FILE)}`,
    );
    expect(run.error.detail).toContain("run stalela as root");
  });

  it('the admin socket: permission denied, not "no daemon answers"', async () => {
    const state = mkdirPublic(join(dir, "socket-of-root"));
    const path = join(state, "admin.sock");
    server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server!.listen(path, resolve));
    chmodSync(path, 0o600);
    const run = await asNobody(["queue", "status", "--state", state]);
    expect(run.code).toBe(1);
    expect(run.error.detail).toContain(
      `permission denied (EACCES) opening the daemon's admin socket ${path}`,
    );
    expect(run.error.detail).not.toContain("no daemon answers");
  });

  it("the env file: a coded error naming it", async () => {
    const file = join(dir, "daemon.env");
    writeFileSync(file, "STALELA_STATE_DIR=/var/lib/stalela\n", { mode: 0o600 });
    const run = await asNobody(["keys", "list"], { STALELA_ENV_FILE: file });
    expect(run.code).toBe(1);
    expect(run.error).toMatchObject({ code: 400, name: "STORAGE_FAILURE" });
    expect(run.error.detail).toContain(`cannot read ${file}`);
    expect(run.error.detail).toContain("EACCES");
  });
});

/** A directory of root that others may enter (mode 0755, whatever the umask). */
function mkdirPublic(path: string): string {
  mkdirSync(path);
  chmodSync(path, 0o755);
  return path;
}
