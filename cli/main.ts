#!/usr/bin/env node
/**
 * `stalela`: the technician CLI. Each command lives in cli/commands/ and registers itself here.
 */
import { Command } from "commander";
import { registerCloudEmulatorCommand } from "./commands/cloud-emulator.js";
import { registerDaemonCommand } from "./commands/daemon.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDeviceCommand } from "./commands/device.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerEmulatorCommand } from "./commands/emulator.js";
import { registerInvoiceCommand } from "./commands/invoice.js";
import { registerKeysCommand } from "./commands/keys.js";
import { registerQueueCommand } from "./commands/queue.js";
import { registerVerifyCommand } from "./commands/verify.js";
import { registerVerifyQrCommand } from "./commands/verify-qr.js";

/** Builds the program with every command registered. */
function buildProgram(): Command {
  const program = new Command("stalela")
    .description("Stalela Local Fiscal Service: DEF emulator, daemon and technician tools")
    .showHelpAfterError("(add --help for usage)");
  registerDaemonCommand(program);
  registerDemoCommand(program);
  registerEmulatorCommand(program);
  registerCloudEmulatorCommand(program);
  registerDeviceCommand(program);
  registerVerifyCommand(program);
  registerVerifyQrCommand(program);
  registerKeysCommand(program);
  registerQueueCommand(program);
  registerInvoiceCommand(program);
  registerDoctorCommand(program);
  return program;
}

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`stalela: ${(err as Error).message}\n`);
    process.exitCode = 1;
  });
