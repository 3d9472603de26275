/**
 * `stalela keys create | list | revoke`: POS API keys, bound to a cashier. The CLI writes the daemon's
 * store directly (SQLite in WAL mode takes a second writer safely), so a revocation takes effect on
 * the very next request, daemon running or not. The store must exist: the daemon creates it on its
 * first start, and no key command makes one.
 */
import type { Command } from "commander";
import { ApiKeyStore } from "../../daemon/store/api-keys.js";
import { AuditLog } from "../../daemon/store/audit.js";
import { t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface KeyFlags extends OutputOptions {
  readonly state?: string;
}

/** A line of the keys commands' human output, `cli.keys.<key>`, in the reader's language. */
function say(key: string, values?: Record<string, string>): string {
  return t(readerLang(), `cli.keys.${key}`, values);
}

/** An ISO 8601 UTC time of the store, in the shop's zone with its offset. */
function local(iso: string): string {
  return formatLocalTime(Date.parse(iso), readerTimeZone(), readerLang());
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
  const keys = program.command("keys").description("help.keys");
  const common = (c: Command): Command =>
    c.option("--state <dir>", STATE_DIR_HELP).option("--json", "help.option.json");

  common(
    keys
      .command("create")
      .description("help.keys.create")
      .requiredOption("--cashier <id>", "help.keys.create.cashier")
      .option("--label <text>", "help.keys.create.label")
      .option("--key-only", "help.keys.create.key-only"),
  ).action((opts: KeyFlags & { cashier: string; label?: string; keyOnly?: boolean }) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const { key, info } = store.create(opts.cashier, opts.label ?? null, "cli");
        if (opts.keyOnly === true && opts.json !== true) {
          process.stdout.write(`${key}\n`);
          return;
        }
        printResult(opts, { key, ...info }, () => [
          say("created", { cashier: info.cashier_id, id: info.id }),
          "",
          `  ${key}`,
          "",
          say("shown_once"),
        ]);
      }),
    ),
  );

  common(keys.command("list").description("help.keys.list")).action((opts: KeyFlags) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const list = store.list();
        printResult(opts, list, () =>
          list.length === 0
            ? [say("none")]
            : list.map((k) => {
                const values = {
                  id: k.id,
                  cashier: k.cashier_id,
                  created: local(k.created_at),
                  label: k.label ?? "",
                };
                return k.revoked_at
                  ? say("revoked_line", { ...values, revoked: local(k.revoked_at) })
                  : say("active", values);
              }),
        );
      }),
    ),
  );

  common(
    keys
      .command("revoke <id>")
      .description("help.keys.revoke")
      .addHelpText("after", afterHelp("help.keys.revoke.after")),
  ).action((id: string, opts: KeyFlags) =>
    runAction(opts, () =>
      withKeys(opts, (store) => {
        const info = store.revoke(id, "cli");
        printResult(opts, info, () => [
          say("revoked", {
            id: info.id,
            cashier: info.cashier_id,
            when: info.revoked_at === null ? "" : local(info.revoked_at),
          }),
        ]);
      }),
    ),
  );
}
