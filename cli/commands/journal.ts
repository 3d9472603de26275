/**
 * `stalela journal breaks | ack`: the chain breaks reconciliation found in the device journal (a
 * record whose prev_hash is not the hash of the record before it). Each stays an error condition of
 * /v1/status until a technician has looked at the device and acknowledges it here, in their name; the
 * acknowledgement is in the audit log. Like `keys`, it writes the daemon's store directly (WAL takes a
 * second writer), so the condition clears at the daemon's next status answer.
 */
import type { Command } from "commander";
import { AuditLog } from "../../daemon/store/audit.js";
import { ChainBreaks } from "../../daemon/store/chain-breaks.js";
import { t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { FiscalError } from "../../protocol/index.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface JournalFlags extends OutputOptions {
  readonly state?: string;
}

/** A line of the journal commands' human output, `cli.journal.<key>`, in the reader's language. */
function say(key: string, values?: Record<string, string | number>): string {
  return t(readerLang(), `cli.journal.${key}`, values);
}

/** An instant in the shop's zone with its offset. */
function local(ms: number): string {
  return formatLocalTime(ms, readerTimeZone(), readerLang());
}

function withBreaks<T>(flags: JournalFlags, body: (breaks: ChainBreaks) => T): T {
  const db = openStore(enterStateDir(flags));
  try {
    return body(new ChainBreaks(db, new AuditLog(db)));
  } finally {
    db.close();
  }
}

/** Registers `journal` and its subcommands. */
export function registerJournalCommand(program: Command): void {
  const journal = program.command("journal").description("help.journal");
  const common = (c: Command): Command =>
    c.option("--state <dir>", STATE_DIR_HELP).option("--json", "help.option.json");

  common(journal.command("breaks").description("help.journal.breaks")).action((opts: JournalFlags) =>
    runAction(opts, () =>
      withBreaks(opts, (breaks) => {
        const found = breaks.list();
        const list = found.map((b) => ({
          device_id: b.device_id,
          fiscal_number: b.fiscal_number,
          found_at: new Date(b.found_at).toISOString(),
          acknowledged_at: b.acknowledged_at === null ? null : new Date(b.acknowledged_at).toISOString(),
          acknowledged_by: b.acknowledged_by,
        }));
        printResult(opts, list, () =>
          found.length === 0
            ? [say("no_breaks")]
            : found.map((b) => {
                const values = {
                  device: b.device_id,
                  number: String(b.fiscal_number),
                  found: local(b.found_at),
                };
                return b.acknowledged_at === null
                  ? say("break_open", values)
                  : say("break_acknowledged", {
                      ...values,
                      at: local(b.acknowledged_at),
                      by: b.acknowledged_by ?? "",
                    });
              }),
        );
      }),
    ),
  );

  common(
    journal
      .command("ack")
      .description("help.journal.ack")
      .requiredOption("--by <name>", "help.journal.ack.by")
      .option("--record <n>", "help.journal.ack.record"),
  ).action((opts: JournalFlags & { by: string; record?: string }) =>
    runAction(opts, () =>
      withBreaks(opts, (breaks) => {
        const record = opts.record === undefined ? undefined : Number(opts.record);
        if (record !== undefined && (!Number.isSafeInteger(record) || record < 1)) {
          throw new FiscalError("USAGE", `--record must be a fiscal number (1 or more), not ${opts.record}`);
        }
        const count = breaks.acknowledge(`technician:${opts.by}`, record);
        printResult(opts, { acknowledged: count }, () => [
          count === 0 ? say("nothing_to_acknowledge") : say("acknowledged", { count, by: opts.by }),
        ]);
      }),
    ),
  );
}
