/**
 * `stalela console password`: sets or resets the operator console's password (docs/CONSOLE.md
 * §Access), on the machine, by whoever can write the state directory. The password is read from the
 * terminal (asked twice, not echoed) or, with `--stdin`, from the first line of standard input; never
 * from an argument, which would stay in the shell's history and in `ps`. Only its scrypt hash is
 * stored (daemon/store/console-password.ts); a running daemon checks the next login against it.
 */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { AuditLog } from "../../daemon/store/audit.js";
import { ConsolePasswords } from "../../daemon/store/console-password.js";
import { t } from "../../protocol/i18n/index.js";
import { FiscalError } from "../../protocol/index.js";
import { readerLang } from "../lang.js";
import { type OutputOptions, printResult, runAction } from "../output.js";
import { enterStateDir, openStore, STATE_DIR_HELP } from "../state.js";

interface PasswordFlags extends OutputOptions {
  readonly state?: string;
  readonly stdin?: boolean;
}

const say = (key: string): string => t(readerLang(), `cli.console.${key}`);

/** The first line of standard input (a script's, or a pipe's). */
async function firstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return "";
}

/** Asks for the password on the terminal without echoing it. */
async function ask(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.resume();
  let typed = "";
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") {
            input.off("data", onData);
            resolve(typed);
            return;
          }
          if (ch === "\u0003") {
            input.off("data", onData);
            reject(new FiscalError("FIELD_REQUIRED", "interrupted"));
            return;
          }
          typed = ch === "\u007f" || ch === "\b" ? typed.slice(0, -1) : typed + ch;
        }
      };
      input.on("data", onData);
    });
  } finally {
    input.setRawMode(false);
    input.pause();
    process.stderr.write("\n");
  }
}

async function readPassword(flags: PasswordFlags): Promise<string> {
  if (flags.stdin === true || process.stdin.isTTY !== true) return firstLine();
  const first = await ask(say("ask"));
  const again = await ask(say("again"));
  if (first !== again) throw new FiscalError("FIELD_RANGE", say("differ"));
  return first;
}

/** Registers `console` and its subcommand. */
export function registerConsoleCommand(program: Command): void {
  const group = program.command("console").description("help.console");
  group
    .command("password")
    .description("help.console.password")
    .option("--stdin", "help.console.password.stdin")
    .option("--state <dir>", STATE_DIR_HELP)
    .option("--json", "help.option.json")
    .action((opts: PasswordFlags) =>
      runAction(opts, async () => {
        const password = await readPassword(opts);
        const db = openStore(enterStateDir(opts));
        try {
          const passwords = new ConsolePasswords(db, new AuditLog(db));
          const reset = passwords.setAt() !== null;
          await passwords.set(password, "cli");
          printResult(opts, { set: true, reset }, () => [say(reset ? "reset" : "set")]);
        } finally {
          db.close();
        }
      }),
    );
}
