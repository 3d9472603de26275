/**
 * `stalela queue status | list [--failed] | retry [ID…]`: the upload queue to the Stalela Cloud, read
 * and nudged through the running daemon's admin channel (docs/ADMIN.md). The daemon owns the sync
 * agent, so without it there is nothing to ask: that is a clear error, not a guess from the store.
 */

import type { Command } from "commander";
import type { AdminClient } from "../../daemon/admin/client.js";
import { describeCondition } from "../../daemon/conditions.js";
import type { QueueEntry } from "../../daemon/store/sync-queue.js";
import { t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { FiscalError } from "../../protocol/index.js";
import { START_DAEMON_FIX } from "../doctor/report.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, stateDirHelp } from "../state.js";
import { adminSocketPath, liveAdminClient } from "./admin-socket.js";

/** Entries fetched per admin call while listing (the server allows up to 1000). */
export const QUEUE_PAGE_SIZE = 500;

interface QueueFlags extends OutputOptions {
  readonly state?: string;
}

/** A line of the queue commands' human output, `cli.queue.<key>`, in the reader's language. */
function say(key: string, values?: Record<string, string | number>): string {
  return t(readerLang(), `cli.queue.${key}`, values);
}

/** An instant in the shop's zone with its offset. */
function local(ms: number): string {
  return formatLocalTime(ms, readerTimeZone(), readerLang());
}

/**
 * The running daemon's admin client. Without one, E400 STORAGE_FAILURE (exit 1, as docs/CLI.md says):
 * the queue lives in the daemon, and the table has no code of its own for "no daemon".
 */
async function client(flags: QueueFlags): Promise<AdminClient> {
  const stateDir = enterStateDir(flags);
  const admin = await liveAdminClient(stateDir);
  if (admin !== undefined) return admin;
  throw new FiscalError(
    "STORAGE_FAILURE",
    `no daemon answers on ${adminSocketPath(stateDir)}: the queue lives in the running daemon. ` +
      `Start it, ${START_DAEMON_FIX}; or check --state`,
    { path: adminSocketPath(stateDir) },
  );
}

/** Registers `queue` and its subcommands. */
export function registerQueueCommand(program: Command): void {
  const queue = program.command("queue").description("help.queue");
  const common = (c: Command): Command =>
    c
      .option("--state <dir>", stateDirHelp("help.option.state.admin-sock"))
      .option("--json", "help.option.json")
      .addHelpText("after", afterHelp("help.exits.queue"));

  common(queue.command("status").description("help.queue.status")).action((flags: QueueFlags) =>
    runAction(flags, async () => {
      const s = await (await client(flags)).queueStatus();
      printResult(flags, s, () => [
        s.oldestPendingAt
          ? say("pending_oldest", { count: String(s.pending), when: local(s.oldestPendingAt) })
          : say("pending", { count: String(s.pending) }),
        say(s.failed > 0 ? "failed_hint" : "failed", { count: String(s.failed) }),
        say("acked", { count: String(s.acked) }),
        ...(s.conditions.length === 0
          ? [say("conditions_none")]
          : s.conditions
              .map((c) => describeCondition(c, readerLang()))
              .flatMap((c) => [
                say("condition", {
                  severity: c.severity.padEnd(8),
                  code: c.code,
                  message: c.message,
                  since: local(Date.parse(c.since)),
                }),
                `         → ${c.hint}`,
              ])),
      ]);
    }),
  );

  common(
    queue.command("list").description("help.queue.list").option("--failed", "help.queue.list.failed"),
  ).action((flags: QueueFlags & { failed?: boolean }) =>
    runAction(flags, async () => {
      const admin = await client(flags);
      const items: QueueEntry[] = [];
      let after: number | undefined;
      do {
        const page = await admin.queueList({
          status: flags.failed ? "FAILED" : undefined,
          after,
          limit: QUEUE_PAGE_SIZE,
        });
        items.push(...page.items);
        after = page.next_after ?? undefined;
      } while (after !== undefined);
      printResult(flags, items, () =>
        items.length === 0
          ? [say(flags.failed ? "no_failed" : "empty")]
          : items.map((i) => {
              const values = {
                invoice: i.invoice_id,
                device: i.device_id,
                number: String(i.fiscal_number),
                status: i.status,
                attempts: i.attempts,
              };
              return i.last_error
                ? say("entry_error", { ...values, error: i.last_error })
                : say("entry", values);
            }),
      );
    }),
  );

  common(queue.command("retry [ids...]").description("help.queue.retry")).action(
    (ids: string[], flags: QueueFlags) =>
      runAction(flags, async () => {
        const result = await (await client(flags)).retry(ids.length === 0 ? undefined : ids);
        printResult(flags, result, () => [say("requeued", { count: result.requeued })]);
      }),
  );
}
