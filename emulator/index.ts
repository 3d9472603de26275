/**
 * The software DEF emulator's public surface: the embedded API tests and tools start devices with.
 * The process (`stalela emulator`) lives in process.ts; docs/EMULATOR.md describes both.
 */
export { type DeviceConfig, resolveDeviceConfig } from "./config.js";
export { ControlServer } from "./control-server.js";
export { DEV_CLOUD_ROOT_PUBLIC_KEY, DEV_CLOUD_ROOT_SEED } from "./dev-keys.js";
export {
  Emulator,
  type EmulatorOptions,
  type EmulatorSnapshot,
  type FaultControl,
  startEmulator,
} from "./emulator.js";
export { type FaultPatch, type FaultSettings, NO_FAULTS, parseFaultPatch } from "./faults.js";
export type { LinkCounters } from "./link-counters.js";
export { type EmulatorLogger, jsonLogger, SILENT_LOGGER } from "./log.js";
