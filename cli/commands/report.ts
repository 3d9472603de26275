/**
 * `stalela report z | x | a | list | show KIND N`: the fiscal day's reports (docs/CLI.md §Reports,
 * docs/PROTOCOL.md §13) through the running daemon's admin channel, which holds the device. Printed
 * as the daemon prints them (daemon/receipt/report-render.ts), in the technician's language and the
 * shop's time; `--json` gives the report views of docs/API.md §Reports.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { AdminClient } from "../../daemon/admin/client.js";
import { RECEIPT_WIDTHS, type ReceiptWidth } from "../../daemon/receipt/lines.js";
import { renderTextReport } from "../../daemon/receipt/report-render.js";
import { type ReportSeller, reportDocumentOf } from "../../daemon/receipt/report-view.js";
import type { ReportView } from "../../daemon/reports/views.js";
import { FiscalError, REPORT_KINDS } from "../../protocol/index.js";
import { START_DAEMON_FIX } from "../doctor/report.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, stateDirHelp } from "../state.js";
import { adminSocketPath, liveAdminClient } from "./admin-socket.js";

interface ReportFlags extends OutputOptions {
  readonly state?: string;
  readonly width: ReceiptWidth;
}

function widthOf(text: string): ReceiptWidth {
  const n = Number(text);
  if (!(RECEIPT_WIDTHS as readonly number[]).includes(n))
    throw new InvalidArgumentError(`must be one of ${RECEIPT_WIDTHS.join(", ")}`);
  return n as ReceiptWidth;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

/** The running daemon's admin client; without one, E400 with how to start it (exit 1). */
async function client(flags: ReportFlags): Promise<AdminClient> {
  const stateDir = enterStateDir(flags);
  const admin = await liveAdminClient(stateDir);
  if (admin !== undefined) return admin;
  throw new FiscalError(
    "STORAGE_FAILURE",
    `no daemon answers on ${adminSocketPath(stateDir)}: the daemon holds the fiscal device. ` +
      `Start it, ${START_DAEMON_FIX}; or check --state`,
    { path: adminSocketPath(stateDir) },
  );
}

/** The printed text of `reports`, one after the other, for the technician. */
function printed(reports: readonly ReportView[], seller: ReportSeller | null, width: ReceiptWidth): string[] {
  const who = seller ?? { name: "", address: "" };
  return reports.map((view) =>
    renderTextReport(reportDocumentOf(view, who, readerLang(), readerTimeZone()), width).trimEnd(),
  );
}

/** Registers `report` and its subcommands. */
export function registerReportCommand(program: Command): void {
  const report = program.command("report").description("help.report");
  const common = (c: Command): Command =>
    c
      .option("--state <dir>", stateDirHelp("help.option.state.admin-sock"))
      .option("--width <chars>", "help.option.width", widthOf, 48)
      .option("--json", "help.option.json")
      .addHelpText("after", afterHelp("help.exits.report"));

  common(report.command("z").description("help.report.z")).action((flags: ReportFlags) =>
    runAction(flags, async () => {
      const made = await (await client(flags)).closeDay();
      printResult(flags, made, () => printed([...made.closures, made.z], made.seller, flags.width));
    }),
  );

  common(report.command("x").description("help.report.x")).action((flags: ReportFlags) =>
    runAction(flags, async () => {
      const read = await (await client(flags)).readDay();
      printResult(flags, read.report, () => printed([read.report], read.seller, flags.width));
    }),
  );

  common(
    report
      .command("a")
      .description("help.report.a")
      .option("--from <n>", "help.report.a.from", positiveInt)
      .option("--to <n>", "help.report.a.to", positiveInt),
  ).action((flags: ReportFlags & { from?: number; to?: number }) =>
    runAction(flags, async () => {
      const made = await (await client(flags)).articles({ from: flags.from, to: flags.to });
      printResult(flags, made.report, () => printed([made.report], made.seller, flags.width));
    }),
  );

  common(
    report
      .command("list")
      .description("help.report.list")
      .addOption(new Option("--kind <kind>", "help.report.list.kind").choices([...REPORT_KINDS]))
      .option("--limit <n>", "help.report.list.limit", positiveInt, 20),
  ).action((flags: ReportFlags & { kind?: string; limit: number }) =>
    runAction(flags, async () => {
      const list = await (await client(flags)).reports(flags.kind, flags.limit);
      printResult(flags, list.items, () => printed(list.items, list.seller, flags.width));
    }),
  );

  common(
    report
      .command("show")
      .description("help.report.show")
      .argument("<kind>", "help.report.show.kind")
      .argument("<number>", "help.report.show.number", positiveInt),
  ).action((kind: string, number: number, flags: ReportFlags) =>
    runAction(flags, async () => {
      if (!(REPORT_KINDS as readonly string[]).includes(kind)) {
        throw new FiscalError("USAGE", `the kind is one of ${REPORT_KINDS.join(", ")}, not ${kind}`);
      }
      const got = await (await client(flags)).report(kind, number);
      printResult(flags, got.report, () => printed([got.report], got.seller, flags.width));
    }),
  );
}
