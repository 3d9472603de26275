/**
 * `stalela doctor`: checks the installation (device path and permissions, udev rule, clocks, disk,
 * store, daemon, cloud) and prints, for each problem, what is wrong and the command that fixes it.
 * Probing is in cli/doctor/probes.ts, the verdicts in cli/doctor/report.ts (pure, unit-tested).
 */
import type { Command } from "commander";
import { DEFAULT_HTTP_PORT } from "../../daemon/config.js";
import { type Lang, t } from "../../protocol/i18n/index.js";
import { observe } from "../doctor/probes.js";
import {
  CHECK_AREAS,
  CHECK_LEVELS,
  type CheckArea,
  type CheckLevel,
  type CheckResult,
  doctorExitCode,
  doctorReport,
} from "../doctor/report.js";
import { afterHelp } from "../help.js";
import { readerLang, readerTimeZone } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { STATE_DIR_HELP, stateDirOf } from "../state.js";
import { deviceUri, positiveInt } from "./device-connect.js";

interface DoctorFlags extends OutputOptions {
  readonly device?: string;
  readonly state?: string;
  readonly url: string;
  readonly cloud?: string;
  readonly deviceTimeoutMs?: number;
}

/**
 * The human report: one line per check (level, area, message), its fix under it when something is
 * wrong, then the verdict. Columns fit the longest level and area name of the language.
 */
function reportLines(checks: readonly CheckResult[], exitCode: number, lang: Lang): string[] {
  const level = (l: CheckLevel): string => t(lang, `cli.doctor.level.${l}`);
  const area = (a: CheckArea): string => t(lang, `cli.doctor.area.${a}`);
  const levelWidth = Math.max(...CHECK_LEVELS.map((l) => level(l).length));
  const areaWidth = Math.max(...CHECK_AREAS.map((a) => area(a).length));
  const indent = " ".repeat(levelWidth + 2 + areaWidth + 2);
  return [
    ...checks.flatMap((c) => [
      `${level(c.level).padEnd(levelWidth)}  ${area(c.area).padEnd(areaWidth)}  ${c.message}`,
      ...(c.fix === undefined || c.level === "ok"
        ? []
        : [`${indent}${t(lang, "cli.doctor.fix", { fix: c.fix })}`]),
    ]),
    "",
    t(lang, exitCode === 0 ? "cli.doctor.all_ok" : "cli.doctor.some_failed"),
  ];
}

/** Registers `doctor`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("help.doctor")
    .option("--device <uri>", "help.option.device")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--url <url>", "help.doctor.url", `http://127.0.0.1:${DEFAULT_HTTP_PORT}`)
    .option("--cloud <url>", "help.doctor.cloud")
    .option("--device-timeout-ms <ms>", "help.doctor.device-timeout-ms", positiveInt)
    .option("--json", "help.doctor.json")
    .addHelpText("after", afterHelp("help.doctor.after"))
    .action((flags: DoctorFlags) =>
      runAction(flags, async () => {
        const progress = flags.json !== true && process.stderr.isTTY === true;
        const lang = readerLang();
        if (progress) process.stderr.write(`${t(lang, "cli.doctor.progress")}\r`);
        const observations = await observe({
          deviceUri: deviceUri(flags),
          stateDir: stateDirOf(flags),
          daemonUrl: flags.url,
          cloudUrl: flags.cloud ?? process.env.STALELA_CLOUD_URL ?? null,
          deviceTimeoutMs: flags.deviceTimeoutMs,
        });
        if (progress) process.stderr.write("\x1b[2K");
        // --json keeps its stable form (English, UTC times); the human report is the reader's.
        const checks = doctorReport(observations);
        const exitCode = doctorExitCode(checks);
        printResult(flags, { ok: exitCode === 0, exit_code: exitCode, checks }, () =>
          reportLines(doctorReport(observations, { lang, timeZone: readerTimeZone() }), exitCode, lang),
        );
        process.exitCode = exitCode;
      }),
    );
}
