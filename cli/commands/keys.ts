/**
 * `stalela keys create | list | revoke`: POS API keys, bound to a cashier. The CLI writes the daemon's
 * store directly (SQLite in WAL mode takes a second writer safely), so keys can be made before the
 * daemon first starts and a revocation takes effect on the very next request.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { defaultConfig } from "../../daemon/config.js";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { openDatabase } from "../../daemon/store/database.js";
import { printResult, runAction } from "../output.js";

/** The store file inside a daemon state directory. */
export const STORE_FILE = "daemon.sqlite";

function openKeys(stateDir: string): { keys: ApiKeyStore; close: () => void } {
  mkdirSync(stateDir, { recursive: true });
  const db = openDatabase(join(stateDir, STORE_FILE));
  return { keys: new ApiKeyStore(db, new AuditLog(db)), close: () => db.close() };
}

/** Registers `keys` and its subcommands. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("create, list and revoke POS API keys");
  const stateOption = ["--state <dir>", "daemon state directory", defaultConfig().stateDir] as const;

  keys
    .command("create")
    .description("create an API key for a cashier; the key is shown once")
    .requiredOption("--cashier <id>", "cashier the key is bound to (goes onto every record)")
    .option("--label <text>", "what the key is for, e.g. the till")
    .option(...stateOption)
    .option("--json", "machine-readable output")
    .action((opts: { cashier: string; label?: string; state: string; json?: boolean }) =>
      runAction(opts, () => {
        const { keys: store, close } = openKeys(opts.state);
        try {
          const { key, info } = store.create(opts.cashier, opts.label ?? null, "cli");
          printResult(opts, { key, ...info }, () => [
            `API key for cashier ${info.cashier_id} (id ${info.id}):`,
            "",
            `  ${key}`,
            "",
            "It is shown only now: store it in the POS configuration.",
          ]);
        } finally {
          close();
        }
      }),
    );

  keys
    .command("list")
    .description("list API keys (never their secrets)")
    .option(...stateOption)
    .option("--json", "machine-readable output")
    .action((opts: { state: string; json?: boolean }) =>
      runAction(opts, () => {
        const { keys: store, close } = openKeys(opts.state);
        try {
          const list = store.list();
          printResult(opts, list, () =>
            list.length === 0
              ? ["no API keys yet: stalela keys create --cashier ID"]
              : list.map(
                  (k) =>
                    `${k.id}  cashier ${k.cashier_id}  ${k.revoked_at ? `REVOKED ${k.revoked_at}` : "active"}  ${k.label ?? ""}`,
                ),
          );
        } finally {
          close();
        }
      }),
    );

  keys
    .command("revoke <id>")
    .description("revoke an API key; requests with it are refused from then on")
    .option(...stateOption)
    .option("--json", "machine-readable output")
    .action((id: string, opts: { state: string; json?: boolean }) =>
      runAction(opts, () => {
        const { keys: store, close } = openKeys(opts.state);
        try {
          const info = store.revoke(id, "cli");
          printResult(opts, info, () => [
            `revoked ${info.id} (cashier ${info.cashier_id}) at ${info.revoked_at}`,
          ]);
        } finally {
          close();
        }
      }),
    );
}
