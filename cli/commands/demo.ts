/**
 * `stalela demo` (what `npm start` runs): the whole service in one process for a first try: the
 * reference Stalela Cloud emulator, an emulated DEF on a virtual serial port, the daemon on that port,
 * the device activated the way a technician does it (an activation code, through the daemon's admin
 * channel), an API key, and a ready curl command. State goes to a temporary directory unless --state.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import pino from "pino";
import { AdminClient } from "../../daemon/admin/client.js";
import { resolveConfig } from "../../daemon/config.js";
import { Daemon, STORE_FILE } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { openDatabase } from "../../daemon/store/database.js";
import { startCloudEmulator } from "../../emulator/cloud/index.js";
import { startEmulator } from "../../emulator/index.js";
import { openPtyLink } from "../../emulator/link/pty.js";
import { runAction } from "../output.js";

/** The identity the demo device is activated with. */
export const DEMO_IDENTITY = {
  merchant_nif: "A0000000D",
  outlet_id: "DEMO-SHOP-1",
  fiscal_authority_id: "DEMO-FA-1",
};

/** The sample invoice the printed curl command posts. */
export const DEMO_INVOICE = {
  type: "SALE",
  currency: "CDF",
  items: [
    { name: "Sucre 1 kg", kind: "GOODS", quantity: "2", unit_price: 3500, tax_group: "B" },
    { name: "Pain", kind: "GOODS", quantity: 1, unit_price: 1200, tax_group: "A" },
  ],
  payments: [{ method: "CASH", amount: 8200 }],
};

function port(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65_535)
    throw new InvalidArgumentError("must be a port number (0 picks a free one)");
  return n;
}

/** Makes the demo's API key in the daemon store before the daemon starts. */
function createDemoKey(stateDir: string): string {
  mkdirSync(stateDir, { recursive: true });
  const db = openDatabase(join(stateDir, STORE_FILE));
  try {
    return new ApiKeyStore(db, new AuditLog(db)).create("DEMO-CASHIER", "demo", "demo").key;
  } finally {
    db.close();
  }
}

/** Registers `demo`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "run cloud emulator + emulated device + daemon with temporary state; print a ready curl command",
    )
    .option("--port <n>", "port of the POS API", port, 8765)
    .option("--state <dir>", "keep state in this directory instead of a temporary one")
    .action((opts: { port: number; state?: string }) =>
      runAction({}, async () => {
        const stateDir = opts.state ?? mkdtempSync(join(tmpdir(), "stalela-demo-"));
        const linkPath = join(stateDir, "def");
        const cloud = await startCloudEmulator({ stateDir: join(stateDir, "cloud"), port: 0 });
        const emulator = await startEmulator({
          stateDir: join(stateDir, "emulator"),
          links: [await openPtyLink({ path: linkPath })],
        });
        const daemonState = join(stateDir, "daemon");
        const key = createDemoKey(daemonState);
        const config = resolveConfig({
          device: `serial:${linkPath}`,
          stateDir: daemonState,
          http: { port: opts.port },
          cloud: { endpoint: cloud.url },
        });
        const daemon = new Daemon(config, createFiscalDevice(config.device), pino({ level: "warn" }));
        const stop = async (): Promise<void> => {
          await daemon.stop();
          await emulator.stop();
          await cloud.close();
          if (opts.state === undefined) rmSync(stateDir, { recursive: true, force: true });
          process.exit(0);
        };
        process.once("SIGINT", () => void stop());
        process.once("SIGTERM", () => void stop());
        await daemon.start();
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
            `  API key    ${key}`,
            `  device     ${emulator.deviceId} on ${linkPath} (emulated, activated for ${DEMO_IDENTITY.merchant_nif})`,
            `  cloud      ${cloud.url} (reference Stalela Cloud emulator; sealed invoices upload there)`,
            `  state      ${stateDir}${opts.state === undefined ? " (deleted on exit)" : ""}`,
            "",
            "Seal your first invoice:",
            "",
            `curl -s -X POST ${url}/v1/invoices \\`,
            `  -H 'Authorization: Bearer ${key}' \\`,
            `  -H "Idempotency-Key: demo-$(date +%s%N)" \\`,
            "  -H 'Content-Type: application/json' \\",
            `  -d '${body}'`,
            "",
            "Press Ctrl+C to stop.",
            "",
          ].join("\n"),
        );
      }),
    );
}
