/**
 * `stalela doctor`: checks the installation (device path and permissions, udev rule, clocks, disk,
 * store, daemon, cloud) and prints, for each problem, what is wrong and the command that fixes it.
 * Probing is in cli/doctor/probes.ts, the verdicts in cli/doctor/report.ts (pure, unit-tested).
 */
import type { Command } from "commander";
import { DEFAULT_HTTP_PORT } from "../../daemon/config.js";
import { observe } from "../doctor/probes.js";
import { doctorExitCode, doctorReport } from "../doctor/report.js";
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

const MARK = { ok: "ok  ", warn: "WARN", fail: "FAIL" } as const;

/** Registers `doctor`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check device access, udev, clocks, disk, store, daemon and cloud; say how to fix each")
    .option("--device <uri>", "device URI (default $STALELA_DEVICE, else auto: USB discovery)")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--url <url>", "the daemon's API", `http://127.0.0.1:${DEFAULT_HTTP_PORT}`)
    .option("--cloud <url>", "Stalela Cloud URL to test (default $STALELA_CLOUD_URL; skipped when neither)")
    .option("--device-timeout-ms <ms>", "wait this long for the device", positiveInt)
    .option("--json", "machine-readable report")
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing failed (warnings allowed), 3 the device check failed, 4 only the cloud\n" +
        "check failed, 1 another check failed.",
    )
    .action((flags: DoctorFlags) =>
      runAction(flags, async () => {
        const progress = flags.json !== true && process.stderr.isTTY === true;
        if (progress) process.stderr.write("checking device, store, daemon and cloud…\r");
        const observations = await observe({
          deviceUri: deviceUri(flags),
          stateDir: stateDirOf(flags),
          daemonUrl: flags.url,
          cloudUrl: flags.cloud ?? process.env.STALELA_CLOUD_URL ?? null,
          deviceTimeoutMs: flags.deviceTimeoutMs,
        });
        if (progress) process.stderr.write("\x1b[2K");
        const checks = doctorReport(observations);
        const exitCode = doctorExitCode(checks);
        printResult(flags, { ok: exitCode === 0, exit_code: exitCode, checks }, () => [
          ...checks.flatMap((c) => [
            `${MARK[c.level]}  ${c.area.padEnd(8)}  ${c.message}`,
            ...(c.fix === undefined || c.level === "ok" ? [] : [`${" ".repeat(16)}fix: ${c.fix}`]),
          ]),
          "",
          exitCode === 0 ? "no problems found" : "fix the FAIL lines above, then run `stalela doctor` again",
        ]);
        process.exitCode = exitCode;
      }),
    );
}
