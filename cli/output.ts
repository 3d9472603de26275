/**
 * How every CLI command reports: readable lines by default, JSON with --json, and exit codes that mean
 * something (docs/CLI.md): 0 ok, 2 usage, 3 device, 4 cloud, 5 verification, 1 anything else.
 */
import { errorGroupOf, isFiscalError } from "../protocol/index.js";

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

/** The exit code for an error, by its group. */
export function exitCodeOf(err: unknown): number {
  if (!isFiscalError(err)) return EXIT.FAILURE;
  const group = errorGroupOf(err.code);
  if (group === "device") return EXIT.DEVICE;
  if (group === "cloud") return EXIT.CLOUD;
  if (group === "validation" || group === "auth") return EXIT.USAGE;
  return EXIT.FAILURE;
}

/** Runs a command body, printing a coded error (as JSON with --json) and setting the exit code. */
export async function runAction(opts: OutputOptions, body: () => unknown): Promise<void> {
  try {
    await body();
  } catch (err) {
    const code = isFiscalError(err) ? err.code : undefined;
    const name = isFiscalError(err) ? err.errorName : "INTERNAL";
    const message = isFiscalError(err) ? err.text : (err as Error).message;
    if (opts.json) process.stdout.write(`${JSON.stringify({ error: { code, name, message } }, null, 2)}\n`);
    else process.stderr.write(`stalela: ${code === undefined ? "" : `E${code} ${name}: `}${message}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
