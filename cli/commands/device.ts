/**
 * `stalela device …`: talks to the DEF for installation and audit tasks (through the running daemon,
 * which holds the port, else directly). Each subcommand registers itself here with one line.
 */
import type { Command } from "commander";
import { registerDeviceActivateCommand } from "./activate.js";
import { registerDeviceInfoCommands } from "./device-info.js";
import { registerDeviceExportCommand } from "./export.js";

/** Registers the `device` command group and its subcommands. */
export function registerDeviceCommand(program: Command): Command {
  const device = program.command("device").description("help.device");
  registerDeviceInfoCommands(device);
  registerDeviceActivateCommand(device);
  registerDeviceExportCommand(device);
  return device;
}
