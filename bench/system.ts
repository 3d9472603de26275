/**
 * The whole system as real processes: `stalela emulator` on a PTY (with its control channel), the
 * `stalela daemon` on that serial port, API keys made with `stalela keys create`. End-to-end tests and
 * benchmarks drive it over HTTP exactly as a POS would.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createFiscalDevice } from "../daemon/device/index.js";
import { DEV_CLOUD_ROOT_SEED } from "../emulator/dev-keys.js";
import { signActivationBundle } from "../protocol/index.js";
import { CLI_MAIN, type SpawnedEmulator, spawnEmulator } from "./processes.js";

const run = promisify(execFile);
/** How long the daemon may take to listen, in ms. */
export const DAEMON_READY_TIMEOUT_MS = 15_000;

/** The identity the test activation binds the device to. */
export const E2E_IDENTITY = {
  merchant_nif: "A1234567B",
  outlet_id: "OUTLET-1",
  fiscal_authority_id: "DGI-KIN-01",
};

/** A running daemon process. */
export interface SpawnedDaemon {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

/** A daemon reply; the JSON body is loosely typed because the assertions check it. */
export interface ApiReply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field by the tests.
  readonly body: any;
  readonly headers: Headers;
}

/** What `stalela device activate --code … --json` answers. */
export interface CloudActivation {
  readonly device_id: string;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
  readonly registered: boolean;
  readonly via: string;
}

/** How long the daemon may take to see the unactivated device after it listens, in ms. */
const DEVICE_SEEN_TIMEOUT_MS = 15_000;

/** Emulator + daemon in a temp directory. */
export class System {
  readonly dir = mkdtempSync(join(tmpdir(), "stalela-e2e-"));
  readonly linkPath = join(this.dir, "def");
  readonly daemonState = join(this.dir, "daemon");
  emulator!: SpawnedEmulator;
  daemon!: SpawnedDaemon;
  key!: string;
  port = 0;
  /** Added to the environment of every daemon start, restarts too (`startWithCloud` sets the cloud's URL). */
  daemonEnv: Record<string, string> = {};
  /** False while the device waits for its activation: an unactivated device is never reconciled. */
  private activated = true;

  /** Starts an activated emulator, starts the daemon (which creates its store), makes an API key. */
  async start(options: { emulatorArgs?: string[]; daemonEnv?: Record<string, string> } = {}): Promise<this> {
    await this.startEmulator(options.emulatorArgs);
    await this.activate();
    await this.startDaemon(options.daemonEnv);
    this.key = await this.createKey("CASHIER-1");
    return this;
  }

  /**
   * Starts the emulator UNACTIVATED, starts the daemon pointed at the cloud (`STALELA_CLOUD_URL`, plus
   * `daemonEnv`), makes an API key, then activates the device THROUGH the daemon with `code`
   * (`stalela device activate --code`, over its admin socket), as a technician does: the daemon claims
   * the code, activates the device and keeps the upload credential, so its sync agent drains to the cloud.
   */
  async startWithCloud(
    cloudUrl: string,
    code: string,
    options: { emulatorArgs?: string[]; daemonEnv?: Record<string, string> } = {},
  ): Promise<CloudActivation> {
    this.daemonEnv = { STALELA_CLOUD_URL: cloudUrl, ...options.daemonEnv };
    this.activated = false;
    await this.startEmulator(options.emulatorArgs);
    await this.startDaemon();
    this.key = await this.createKey("CASHIER-1");
    await this.waitDeviceSeen();
    const { stdout } = await run(process.execPath, [
      CLI_MAIN,
      "device",
      "activate",
      "--code",
      code,
      "--state",
      this.daemonState,
      "--json",
    ]);
    this.activated = true;
    return JSON.parse(stdout) as CloudActivation;
  }

  /** Waits until the daemon's status shows the connected, unactivated device. */
  private async waitDeviceSeen(): Promise<void> {
    const deadline = Date.now() + DEVICE_SEEN_TIMEOUT_MS;
    for (;;) {
      const reply = await this.api("GET", "/v1/status");
      if (reply.body?.device?.connected === true && reply.body?.device?.state === "UNACTIVATED") return;
      if (Date.now() > deadline)
        throw new Error(`the daemon did not see the unactivated device: ${JSON.stringify(reply.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async startEmulator(extra: string[] = []): Promise<void> {
    this.emulator = await spawnEmulator([
      "--state",
      join(this.dir, "emulator"),
      "--link",
      this.linkPath,
      "--control",
      "127.0.0.1:0",
      "--log-level",
      "warn",
      ...extra,
    ]);
  }

  /** Activates the emulated device with a bundle signed by the development cloud root key. */
  async activate(): Promise<void> {
    const device = createFiscalDevice(`serial:${this.linkPath}`);
    await device.open();
    try {
      await device.session.waitConnected(5_000);
      const info = await device.info();
      if (info.state !== "UNACTIVATED") return;
      const bundle = signActivationBundle(
        {
          kind: "ACTIVATION_BUNDLE",
          v: 1,
          bundle_id: "E2E-1",
          device_id: info.device_id,
          ...E2E_IDENTITY,
          issued_at: Date.now(),
        },
        DEV_CLOUD_ROOT_SEED,
      );
      await device.activate(bundle);
    } finally {
      await device.close();
    }
  }

  /** `stalela keys create --cashier ID --json`, returning the key. */
  async createKey(cashier: string): Promise<string> {
    const { stdout } = await run(process.execPath, [
      CLI_MAIN,
      "keys",
      "create",
      "--cashier",
      cashier,
      "--state",
      this.daemonState,
      "--json",
    ]);
    return (JSON.parse(stdout) as { key: string }).key;
  }

  /** `stalela keys revoke ID`. */
  async revokeKey(key: string): Promise<void> {
    // stl_<12-character id>_<secret>: the id itself may contain "_", so cut by position.
    const id = key.slice(4, 16);
    await run(process.execPath, [CLI_MAIN, "keys", "revoke", id, "--state", this.daemonState, "--json"]);
  }

  /**
   * Starts the daemon (again) on the same state and port, and waits until it listens; `nodeArgs` go to
   * node before the CLI (the overhead bench's `--cpu-prof`).
   */
  async startDaemon(env: Record<string, string> = {}, nodeArgs: readonly string[] = []): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        ...nodeArgs,
        CLI_MAIN,
        "daemon",
        "--device",
        `serial:${this.linkPath}`,
        "--state",
        this.daemonState,
        "--port",
        String(this.port),
        "--log-level",
        "info",
      ],
      // Development mode (the emulator, its cloud root, http to the loopback cloud emulator); a test
      // may turn it off with STALELA_ALLOW_EMULATOR=0 in daemonEnv or env.
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, STALELA_ALLOW_EMULATOR: "1", ...this.daemonEnv, ...env },
      },
    );
    let log = "";
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`daemon not listening in time:\n${log}`)),
        DAEMON_READY_TIMEOUT_MS,
      );
      const onData = (d: Buffer): void => {
        log += d.toString();
        const m = /"url":"(http:\/\/[^"]+)","device"/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      void exited.then(() => reject(new Error(`daemon exited before listening:\n${log}`)));
    });
    this.port = Number(new URL(url).port);
    this.daemon = { child, url, exited, log: () => log };
    await this.waitReconciled(log.length);
  }

  /** Waits for the daemon's reconciliation after (re)connecting, logged after `offset`. */
  async waitReconciled(offset = 0, timeoutMs = 10_000): Promise<void> {
    if (!this.activated) return;
    const deadline = Date.now() + timeoutMs;
    while (!this.daemon.log().slice(offset).includes("reconciled with the device journal")) {
      if (Date.now() > deadline) throw new Error(`daemon did not reconcile:\n${this.daemon.log()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILLs the daemon and waits for it to be gone. */
  async killDaemon(): Promise<void> {
    this.daemon.child.kill("SIGKILL");
    await this.daemon.exited;
  }

  /** A control-channel call on the emulator. */
  async control(method: string, path: string, body?: unknown): Promise<unknown> {
    const c = this.emulator.ready.control!;
    const res = await fetch(`http://127.0.0.1:${c.port}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return res.json();
  }

  /** An HTTP call to the daemon with the API key. */
  async api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiReply> {
    const res = await fetch(`${this.daemon.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (SVG, metrics): kept as text.
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async stop(): Promise<void> {
    for (const child of [this.daemon?.child, this.emulator?.child]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A POS sale body. */
export function sale(amount = 11_600, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "SALE",
    currency: "CDF",
    operator: { name: "Mireille Kabeya" },
    items: [{ name: "Sac de riz 25 kg", kind: "BIE", quantity: 1, unit_price: amount, tax_group: "B" }],
    payments: [{ method: "CASH", amount }],
    ...overrides,
  };
}

/** A raw HTTP GET with any headers, Host included (fetch refuses to set Host). Returns the status. */
export function rawGet(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", reject);
    req.end();
  });
}
