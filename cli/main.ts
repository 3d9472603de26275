#!/usr/bin/env node
/**
 * `stalela`: the technician CLI. Each command lives in cli/commands/ and registers itself here.
 */
import { Command } from "commander";
import { registerDaemonCommand } from "./commands/daemon.js";
import { registerDeviceCommand } from "./commands/device.js";
import { registerEmulatorCommand } from "./commands/emulator.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerVerifyCommand } from "./commands/verify.js";
import { registerVerifyQrCommand } from "./commands/verify-qr.js";

/** Builds the program with every command registered. */
function buildProgram(): Command {
  const program = new Command("stalela")
    .description("Stalela Local Fiscal Service: DEF emulator, daemon and technician tools")
    .showHelpAfterError("(add --help for usage)");
  registerDaemonCommand(program);
  registerEmulatorCommand(program);
  registerDeviceCommand(program);
  registerVerifyCommand(program);
  registerVerifyQrCommand(program);
  registerKeysCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`stalela: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
