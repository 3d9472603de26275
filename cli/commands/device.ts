/**
 * `stalela device …`: talks to the DEF for installation and audit tasks. Each subcommand registers
 * itself here with one line.
 */
import type { Command } from "commander";
import { registerDeviceExportCommand } from "./export.js";

/** Registers the `device` command group and its subcommands. */
export function registerDeviceCommand(program: Command): Command {
  const device = program.command("device").description("talk to the fiscal device (DEF) directly");
  registerDeviceExportCommand(device);
  return device;
}
