/**
 * How every CLI command reports: readable lines by default, JSON with --json, and exit codes that mean
 * something (docs/CLI.md): 0 ok, 2 usage, 3 device, 4 cloud, 5 verification, 1 anything else. Every
 * failure prints in one format, `stalela: E<code> NAME: message` on stderr, or with --json
 * `{ "error": { "code", "name", "message" } }` on stdout, with a code from the shared table.
 */
import { t } from "../protocol/i18n/index.js";
import { ERRORS, errorGroupOf, FiscalError, isFiscalError } from "../protocol/index.js";
import { readerLang } from "./lang.js";

/** Documented exit codes. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, DEVICE: 3, CLOUD: 4, VERIFICATION: 5 } as const;

/** Options every command shares. */
export interface OutputOptions {
  readonly json?: boolean;
}

/** Prints a result as JSON or as the lines `human()` gives. */
export function printResult(opts: OutputOptions, value: unknown, human: () => readonly string[]): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${human().join("\n")}\n`);
}

/**
 * Any failure as a coded error: a FiscalError as it is; anything else gets the table's one generic
 * server fault, E400 STORAGE_FAILURE, as the daemon's API answers an internal error (docs/API.md).
 */
export function codedError(err: unknown): FiscalError {
  if (isFiscalError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FiscalError("STORAGE_FAILURE", message, undefined, { cause: err });
}

/**
 * The exit code for an error, by its group. RECORD_NOT_FOUND is the exception: in the CLI it means
 * the operator named something that is not there (an invoice id, an API key, a store), a usage error.
 */
export function exitCodeOf(err: unknown): number {
  if (!isFiscalError(err)) return EXIT.FAILURE;
  if (err.errorName === "RECORD_NOT_FOUND") return EXIT.USAGE;
  const group = errorGroupOf(err.code);
  if (group === "device") return EXIT.DEVICE;
  if (group === "cloud") return EXIT.CLOUD;
  if (group === "validation" || group === "auth") return EXIT.USAGE;
  return EXIT.FAILURE;
}

/** True when the arguments ask for JSON (`--json` before any `--`), for failures before options parse. */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}

/** Prints a failure in the one format and sets the exit code (its group's unless given). */
export function reportError(
  err: unknown,
  json: boolean | undefined,
  exitCode: number = exitCodeOf(err),
): void {
  const error = codedError(err);
  const { code, errorName: name } = error;
  const message = t(readerLang(), `error.${name}`);
  // What this occurrence adds (the file, the value, the device's words), in English, when there is more.
  const detail = error.text === ERRORS[name].text ? undefined : error.text;
  if (json) {
    const body = { error: { code, name, message, ...(detail === undefined ? {} : { detail }) } };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else
    process.stderr.write(
      `stalela: E${code} ${name}: ${message}${detail === undefined ? "" : ` — ${detail}`}\n`,
    );
  process.exitCode = exitCode;
}

/** Runs a command body, printing a coded error (as JSON with --json) and setting the exit code. */
export async function runAction(opts: OutputOptions, body: () => unknown): Promise<void> {
  try {
    await body();
  } catch (err) {
    reportError(err, opts.json);
  }
}
