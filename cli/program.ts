/**
 * The `stalela` program: every command registered on one commander program, and the one place that
 * turns a command line commander refuses (an unknown option, a missing argument, a bad value) into
 * the CLI's error format with exit code 2 and E323 USAGE, instead of commander's own message and 1.
 */
import { Command, CommanderError, Option } from "commander";
import { DAEMON_VERSION } from "../daemon/daemon.js";
import { isLang, LANGS } from "../protocol/i18n/index.js";
import { FiscalError } from "../protocol/index.js";
import { registerBackupCommand } from "./commands/backup.js";
import { registerCloudEmulatorCommand } from "./commands/cloud-emulator.js";
import { registerConfigCommand } from "./commands/config.js";
import { registerConsoleCommand } from "./commands/console.js";
import { registerDaemonCommand } from "./commands/daemon.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDeviceCommand } from "./commands/device.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerEmulatorCommand } from "./commands/emulator.js";
import { registerInvoiceCommand } from "./commands/invoice.js";
import { registerJournalCommand } from "./commands/journal.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerQueueCommand } from "./commands/queue.js";
import { registerReportCommand } from "./commands/report.js";
import { registerVerifyCommand } from "./commands/verify.js";
import { registerVerifyQrCommand } from "./commands/verify-qr.js";
import { HELP_DESCRIPTION, helpConfiguration } from "./help.js";
import { setReaderLang } from "./lang.js";
import { EXIT, reportError, wantsJson } from "./output.js";

/**
 * Builds the program with every command registered. Commander's exit, error output and help are taken
 * over before any command is added, since each subcommand copies them from its parent when it is made.
 */
export function buildProgram(): Command {
  const program = new Command("stalela")
    .description("help.stalela")
    .version(DAEMON_VERSION, "--version", "help.stalela.version")
    .exitOverride()
    // runProgram prints the one coded line; commander's own "error: …" would be a second format.
    .configureOutput({ outputError: () => {} })
    // The help in the reader's language (cli/help.ts); every command made below copies it.
    .configureHelp(helpConfiguration())
    .helpOption("-h, --help", HELP_DESCRIPTION)
    .helpCommand("help [command]", HELP_DESCRIPTION)
    .addOption(new Option("--lang <lang>", "help.stalela.lang").choices([...LANGS]))
    .hook("preAction", () => {
      const lang = program.opts().lang as unknown;
      setReaderLang(isLang(lang) ? lang : undefined);
    });
  registerDaemonCommand(program);
  registerConfigCommand(program);
  registerDemoCommand(program);
  registerEmulatorCommand(program);
  registerCloudEmulatorCommand(program);
  registerDeviceCommand(program);
  registerVerifyCommand(program);
  registerVerifyQrCommand(program);
  registerKeysCommand(program);
  registerConsoleCommand(program);
  registerQueueCommand(program);
  registerInvoiceCommand(program);
  registerReportCommand(program);
  registerJournalCommand(program);
  registerBackupCommand(program);
  registerDoctorCommand(program);
  return program;
}

/** The subcommands `args` name, e.g. `stalela device info`, for the hint of a usage error. */
export function commandPathOf(program: Command, args: readonly string[]): string {
  const names = [program.name()];
  let command = program;
  for (const arg of args) {
    if (arg.startsWith("-")) continue;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (sub === undefined) break;
    names.push(sub.name());
    command = sub;
  }
  return names.join(" ");
}

/** A command line commander refused, as E323 USAGE with the place to read more. */
export function usageError(err: CommanderError, commandPath: string): FiscalError {
  const what =
    err.code === "commander.help" ? "a subcommand is required" : err.message.replace(/^error: /, "");
  // `-_fvRXGGTnUU` (an old key id) is no option: say how to pass it.
  const dash =
    err.code === "commander.unknownOption" && /'-[^-]./.test(err.message)
      ? "; a value that starts with - goes after --"
      : "";
  return new FiscalError("USAGE", `${what}${dash} (see \`${commandPath} --help\`)`, { commander: err.code });
}

/** Parses `args` (without node and the script) and runs the command; a refused line exits 2. */
export async function runProgram(program: Command, args: readonly string[]): Promise<void> {
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) {
      reportError(err, wantsJson(args));
      return;
    }
    // --help and --version end the parse through the same override, with exit code 0.
    if (err.exitCode === 0) return;
    reportError(usageError(err, commandPathOf(program, args)), wantsJson(args), EXIT.USAGE);
  }
}
