/**
 * `stalela demo` (what `npm start` runs): the whole service in one process for a first try: the
 * reference Stalela Cloud emulator, an emulated DEF on a virtual serial port, the daemon on that port,
 * the device activated the way a technician does it (an activation code, through the daemon's admin
 * channel), an API key, and a ready curl command. State goes to a temporary directory unless --state.
 *
 * Whatever it has started is stopped in reverse, and the temporary directory removed, on Ctrl+C
 * (SIGINT), SIGTERM, SIGHUP (the terminal closed) and when a part fails to start. The default port
 * gives way to a free one when it is taken; a port asked for with --port is an error when taken.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { AdminClient } from "../../daemon/admin/client.js";
import { DEFAULT_HTTP_PORT, resolveConfig } from "../../daemon/config.js";
import { Daemon, STORE_FILE } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { createDaemonLogger } from "../../daemon/logging.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { ConsolePasswords } from "../../daemon/store/console-password.js";
import { openDatabase } from "../../daemon/store/database.js";
import { startCloudEmulator } from "../../emulator/cloud/index.js";
import { startEmulator } from "../../emulator/index.js";
import { openPtyLink } from "../../emulator/link/pty.js";
import { isFiscalError } from "../../protocol/index.js";
import { helpKey } from "../help.js";
import { runAction } from "../output.js";

/** The identity the demo device is activated with. */
export const DEMO_IDENTITY = {
  merchant_nif: "A0000000D",
  outlet_id: "DEMO-SHOP-1",
  fiscal_authority_id: "DEMO-FA-1",
};

/** Signals that stop the demo and remove its temporary state: Ctrl+C, kill, and a closed terminal. */
export const DEMO_STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** Exit code when a second signal cuts the teardown short. */
const EXIT_INTERRUPTED = 130;

/** The reference USD rate the demo daemon checks payments against (CDF per USD, as the BCC publishes it). */
export const DEMO_USD_RATE = { rate: "2850", date: "2026-12-01" } as const;

/**
 * The sample invoice the printed curl command posts: a version-2 sale to a company client (PM), with
 * its operator, paid part in cash and part in US dollars. Amounts are centimes: 2 bags of rice at
 * 28 500,00 CDF (B, 16 % VAT included) and a loaf at 1 200,00 CDF (A, exempt) make 58 200,00 CDF;
 * USD 10.00 at 2 850 CDF covers 28 500,00 CDF and 29 700,00 CDF is paid in cash.
 */
export const DEMO_INVOICE = {
  type: "SALE",
  rn: "T1-000123",
  price_mode: "TTC",
  operator: { name: "Mireille Kabeya" },
  client: { type: "PM", name: "Kin Import SARL", nif: "A7654321C" },
  items: [
    {
      code: "RIZ-25",
      name: "Sac de riz 25 kg",
      kind: "BIE",
      quantity: 2,
      unit_price: 2_850_000,
      tax_group: "B",
    },
    { code: "PAIN-1", name: "Pain", kind: "BIE", quantity: 1, unit_price: 120_000, tax_group: "A" },
  ],
  payments: [
    {
      method: "CASH",
      amount: 2_850_000,
      foreign: { currency: "USD", amount: 1_000, rate: DEMO_USD_RATE.rate, rate_date: DEMO_USD_RATE.date },
    },
    { method: "CASH", amount: 2_970_000 },
  ],
};

function port(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65_535)
    throw new InvalidArgumentError("must be a port number (0 picks a free one)");
  return n;
}

/** What `stalela demo` was asked for. */
interface DemoOptions {
  /** The API port; undefined means DEFAULT_HTTP_PORT, or a free one if that is taken. */
  readonly port?: number;
  /** A state directory to keep; undefined means a temporary one, removed on exit. */
  readonly state?: string;
}

/** What the demo has started, stopped in reverse, each part in its own try/catch. */
class DemoParts {
  private readonly parts: { readonly name: string; readonly stop: () => unknown }[] = [];
  private stopping: Promise<void> | undefined;

  /** Records a started part. */
  add(name: string, stop: () => unknown): void {
    this.parts.push({ name, stop });
  }

  /** Stops every part, last started first. Every call waits for the one teardown. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const part of this.parts.splice(0).reverse()) {
        try {
          await part.stop();
        } catch (err) {
          process.stderr.write(`stalela demo: stopping the ${part.name} failed: ${(err as Error).message}\n`);
        }
      }
    })();
    return this.stopping;
  }
}

/**
 * Makes the demo's API key and a console password (docs/CONSOLE.md) in the daemon store before the
 * daemon starts. A random password each run: the demo's state is temporary, and the banner shows it.
 */
async function createDemoAccess(stateDir: string): Promise<{ key: string; consolePassword: string }> {
  mkdirSync(stateDir, { recursive: true });
  const db = openDatabase(join(stateDir, STORE_FILE));
  try {
    const audit = new AuditLog(db);
    const key = new ApiKeyStore(db, audit).create("DEMO-CASHIER", "demo", "demo").key;
    const consolePassword = randomBytes(12).toString("base64url");
    await new ConsolePasswords(db, audit).set(consolePassword, "demo");
    return { key, consolePassword };
  } finally {
    db.close();
  }
}

/** Starts a daemon on `port`; a failed start has already stopped whatever it had started. */
async function startDaemon(linkPath: string, stateDir: string, port: number, cloudUrl: string) {
  const config = resolveConfig({
    device: { uri: `serial:${linkPath}` },
    stateDir,
    http: { port },
    cloud: { endpoint: cloudUrl },
    // The demo is development mode: the emulator, its development cloud root, http to loopback.
    trust: { allowEmulator: true },
    sfe: {
      isf: "ISF-DEMO-0001",
      seller: { name: "Alimentation La Concorde", address: "12, avenue du Commerce, Gombe, Kinshasa" },
      fx: { usdRate: DEMO_USD_RATE.rate, usdRateDate: DEMO_USD_RATE.date, toleranceBp: 100 },
    },
  });
  const logger = createDaemonLogger("warn");
  const daemon = new Daemon(config, createFiscalDevice(config.device, { logger }), logger);
  await daemon.start();
  return daemon;
}

/** Starts every part (recording each in `parts`) and prints the banner. */
async function startDemo(opts: DemoOptions, stateDir: string, parts: DemoParts): Promise<void> {
  const linkPath = join(stateDir, "def");
  const cloud = await startCloudEmulator({ stateDir: join(stateDir, "cloud"), port: 0 });
  parts.add("cloud emulator", () => cloud.close());
  const link = await openPtyLink({ path: linkPath });
  parts.add("virtual serial port", () => link.close());
  const emulator = await startEmulator({ stateDir: join(stateDir, "emulator"), links: [link] });
  parts.add("emulator", () => emulator.stop());
  const daemonState = join(stateDir, "daemon");
  const { key, consolePassword } = await createDemoAccess(daemonState);
  let daemon: Daemon;
  let portNote: string[] = [];
  try {
    daemon = await startDaemon(linkPath, daemonState, opts.port ?? DEFAULT_HTTP_PORT, cloud.url);
  } catch (err) {
    // Only the default gives way: a port asked for with --port is the user's choice.
    if (opts.port !== undefined || !isFiscalError(err, "ADDRESS_IN_USE")) throw err;
    daemon = await startDaemon(linkPath, daemonState, 0, cloud.url);
    portNote = [`  (port ${DEFAULT_HTTP_PORT} is in use by another program, so the API took a free port)`];
  }
  parts.add("daemon", () => daemon.stop());
  if (emulator.device.state === "UNACTIVATED") {
    // What a technician does on site: a code from the cloud, claimed through the daemon.
    const code = cloud.issueCode(DEMO_IDENTITY);
    await new AdminClient(join(daemonState, "admin.sock")).activateWithCode(code);
  }
  const url = daemon.url!;
  const body = JSON.stringify(DEMO_INVOICE);
  process.stdout.write(
    [
      "Stalela demo: emulated fiscal device + daemon are running.",
      "",
      `  API        ${url}/v1   (OpenAPI: ${url}/openapi.json)`,
      ...portNote,
      `  API key    ${key}`,
      `  console    ${url}/console/   (password ${consolePassword}; docs/CONSOLE.md)`,
      `  device     ${emulator.deviceId} on ${linkPath} (emulated, activated for ${DEMO_IDENTITY.merchant_nif})`,
      `  cloud      ${cloud.url} (reference Stalela Cloud emulator; sealed invoices upload there)`,
      `  state      ${stateDir}${opts.state === undefined ? " (deleted on exit)" : ""}`,
      "",
      "Seal your first invoice:",
      "",
      "IDEM=demo-$(date +%s%N)",
      `curl -s -X POST ${url}/v1/invoices \\`,
      `  -H 'Authorization: Bearer ${key}' \\`,
      '  -H "Idempotency-Key: $IDEM" \\',
      "  -H 'Content-Type: application/json' \\",
      `  -d '${body}'`,
      "",
      "Then print its receipt, in French (the first rendering is the original, every later one a DUPLICATA;",
      "format=escpos|html|pdf, width=32|42|48, lang=en):",
      "",
      `curl -s "${url}/v1/invoices/$IDEM/receipt?format=text&width=48" -H 'Authorization: Bearer ${key}'`,
      "",
      "Read the day so far (X report), then close it (Z report, signed by the device and kept in its",
      "journal; the next Z closes the next day), in another terminal of this clone:",
      "",
      `node dist/cli/main.js report x --state ${daemonState}`,
      `node dist/cli/main.js report z --state ${daemonState}`,
      "",
      `or over HTTP: curl -s ${url}/v1/reports/x -H 'Authorization: Bearer ${key}'`,
      `         and: curl -s -X POST ${url}/v1/reports/z -H 'Authorization: Bearer ${key}'`,
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );
}

/**
 * Runs the demo until a stop signal. A failed start stops what had started, removes the temporary
 * state and rethrows; a signal (even one during the start) does the same, then exits.
 */
async function runDemo(opts: DemoOptions): Promise<void> {
  const temporary = opts.state === undefined;
  const stateDir = opts.state ?? mkdtempSync(join(tmpdir(), "stalela-demo-"));
  const parts = new DemoParts();
  if (temporary) {
    const removeState = (): void => rmSync(stateDir, { recursive: true, force: true });
    parts.add("temporary state", removeState);
    // The last resort, should the teardown itself fail (a crash, a write to a terminal already gone).
    process.once("exit", removeState);
  }
  const starting = startDemo(opts, stateDir, parts);
  let signalled = false;
  const onSignal = (): void => {
    // A second signal while stopping: leave at once (the exit hook still removes the temporary state).
    if (signalled) process.exit(EXIT_INTERRUPTED);
    signalled = true;
    void starting
      .catch(() => {})
      .then(() => parts.stop())
      .then(() => process.exit());
  };
  for (const signal of DEMO_STOP_SIGNALS) process.on(signal, onSignal);
  try {
    await starting;
  } catch (err) {
    await parts.stop();
    throw err;
  }
}

/** Registers `demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("help.demo")
    .option("--port <n>", helpKey("help.demo.port", { port: String(DEFAULT_HTTP_PORT) }), port)
    .option("--state <dir>", "help.demo.state")
    .action(async (opts: DemoOptions) => {
      await runAction({}, () => runDemo(opts));
      // A failed start has stopped its parts and removed its temporary state; runAction has printed the
      // coded error. Leave with its exit code rather than wait for stray handles to drain.
      if (process.exitCode !== undefined && process.exitCode !== 0) process.exit();
    });
}
