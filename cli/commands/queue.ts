/**
 * `stalela queue status | list [--failed] | retry [ID…]`: the upload queue to the Stalela Cloud, read
 * and nudged through the running daemon's admin channel (docs/ADMIN.md). The daemon owns the sync
 * agent, so without it there is nothing to ask: that is a clear error, not a guess from the store.
 */

import type { Command } from "commander";
import type { AdminClient } from "../../daemon/admin/client.js";
import { describeCondition } from "../../daemon/conditions.js";
import type { QueueEntry } from "../../daemon/store/sync-queue.js";
import { FiscalError } from "../../protocol/index.js";
import { START_DAEMON_FIX } from "../doctor/report.js";
import { readerLang } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, STATE_DIR_HELP } from "../state.js";
import { adminSocketPath, liveAdminClient } from "./admin-socket.js";

/** Entries fetched per admin call while listing (the server allows up to 1000). */
export const QUEUE_PAGE_SIZE = 500;

interface QueueFlags extends OutputOptions {
  readonly state?: string;
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
  const queue = program
    .command("queue")
    .description("the upload queue to the Stalela Cloud (needs the daemon)");
  const common = (c: Command): Command =>
    c
      .option("--state <dir>", `${STATE_DIR_HELP}, where admin.sock is`)
      .option("--json", "machine-readable output")
      .addHelpText("after", "\nExit codes: 0 ok, 1 no daemon on the admin socket or other failure.");

  common(
    queue.command("status").description("pending, failed and acknowledged counts, sync conditions"),
  ).action((flags: QueueFlags) =>
    runAction(flags, async () => {
      const s = await (await client(flags)).queueStatus();
      printResult(flags, s, () => [
        `pending  ${s.pending}${s.oldestPendingAt ? ` (oldest since ${new Date(s.oldestPendingAt).toISOString()})` : ""}`,
        `failed   ${s.failed}${s.failed > 0 ? "  (see: `stalela queue list --failed`; retry: `stalela queue retry`)" : ""}`,
        `acked    ${s.acked}`,
        ...(s.conditions.length === 0
          ? ["conditions  none"]
          : s.conditions
              .map((c) => describeCondition(c, readerLang()))
              .flatMap((c) => [
                `${c.severity.padEnd(8)} ${c.code}: ${c.message} (since ${c.since})`,
                `         → ${c.hint}`,
              ])),
      ]);
    }),
  );

  common(
    queue
      .command("list")
      .description("queue entries in order, with attempts and the last error")
      .option("--failed", "only entries that gave up (FAILED)"),
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
          ? [flags.failed ? "no failed uploads" : "the queue is empty"]
          : items.map(
              (i) =>
                `${i.invoice_id}  ${i.device_id} #${i.fiscal_number}  ${i.status}  attempts ${i.attempts}` +
                `${i.last_error ? `  last error: ${i.last_error}` : ""}`,
            ),
      );
    }),
  );

  common(
    queue
      .command("retry [ids...]")
      .description("requeue FAILED uploads: all of them, or the given invoice ids"),
  ).action((ids: string[], flags: QueueFlags) =>
    runAction(flags, async () => {
      const result = await (await client(flags)).retry(ids.length === 0 ? undefined : ids);
      printResult(flags, result, () => [`requeued ${result.requeued} failed upload(s)`]);
    }),
  );
}
