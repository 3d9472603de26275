/**
 * `stalela keys create | list | revoke`: POS API keys, bound to a cashier. The CLI writes the daemon's
 * store directly (SQLite in WAL mode takes a second writer safely), so a revocation takes effect on
 * the very next request, daemon running or not. The store must exist: the daemon creates it on its
 * first start, and no key command makes one.
 */
import type { Command } from "commander";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface KeyFlags extends OutputOptions {
  readonly state?: string;
}

/** Opens the key store of the command's state directory, runs `body`, and closes the store. */
function withKeys<T>(flags: KeyFlags, body: (keys: ApiKeyStore) => T): T {
  const db = openStore(enterStateDir(flags));
  try {
    return body(new ApiKeyStore(db, new AuditLog(db)));
  } finally {
    db.close();
  }
}

/** Registers `keys` and its subcommands. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command("keys").description("create, list and revoke POS API keys");
  const common = (c: Command): Command =>
    c.option("--state <dir>", STATE_DIR_HELP).option("--json", "machine-readable output");

  common(
    keys
      .command("create")
      .description("create an API key for a cashier; the key is shown once")
      .requiredOption("--cashier <id>", "cashier the key is bound to (goes onto every record)")
      .option("--label <text>", "what the key is for, e.g. the till")
      .option("--key-only", "print the key alone on one line, for a script"),
  ).action((opts: KeyFlags & { cashier: string; label?: string; keyOnly?: boolean }) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const { key, info } = store.create(opts.cashier, opts.label ?? null, "cli");
        if (opts.keyOnly === true && opts.json !== true) {
          process.stdout.write(`${key}\n`);
          return;
        }
        printResult(opts, { key, ...info }, () => [
          `API key for cashier ${info.cashier_id} (id ${info.id}):`,
          "",
          `  ${key}`,
          "",
          "It is shown only now: store it in the POS configuration.",
        ]);
      }),
    ),
  );

  common(keys.command("list").description("list API keys (never their secrets)")).action((opts: KeyFlags) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const list = store.list();
        printResult(opts, list, () =>
          list.length === 0
            ? ["no API keys yet: `stalela keys create --cashier ID`"]
            : list.map(
                (k) =>
                  `${k.id}  cashier ${k.cashier_id}  ${k.revoked_at ? `REVOKED ${k.revoked_at}` : "active"}  ${k.label ?? ""}`,
              ),
        );
      }),
    ),
  );

  common(
    keys
      .command("revoke <id>")
      .description("revoke an API key; requests with it are refused from then on")
      .addHelpText(
        "after",
        "\nAn id made by an earlier version may start with -: put it after --, as in\n" +
          "`stalela keys revoke -- -_fvRXGGTnUU`.",
      ),
  ).action((id: string, opts: KeyFlags) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const info = store.revoke(id, "cli");
        printResult(opts, info, () => [
          `revoked ${info.id} (cashier ${info.cashier_id}) at ${info.revoked_at}`,
        ]);
      }),
    ),
  );
}
