#!/usr/bin/env node
/**
 * `stalela`: the technician CLI (docs/CLI.md). The settings of `$STALELA_ENV_FILE` (the installed
 * /etc/stalela/daemon.env) are loaded first, so every default that reads the environment sees them;
 * then the program (cli/program.ts) parses the command line and runs the command.
 */
import { loadEnvFile } from "./env-file.js";
import { reportError, wantsJson } from "./output.js";
import { buildProgram, runProgram } from "./program.js";

async function main(args: readonly string[]): Promise<void> {
  try {
    loadEnvFile(process.env);
  } catch (err) {
    reportError(err, wantsJson(args));
    return;
  }
  await runProgram(buildProgram(), args);
}

await main(process.argv.slice(2));
