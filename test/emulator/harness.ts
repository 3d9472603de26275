/**
 * Starts an embedded emulator on an in-memory link with a WireHost on the other end, in a fresh
 * temporary state directory, and cleans everything up afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeviceConfig } from "../../emulator/config.js";
import { type Emulator, startEmulator } from "../../emulator/emulator.js";
import type { FaultPatch } from "../../emulator/faults.js";
import { createMemoryLinkPair, type MemoryHostEnd } from "../../emulator/link/memory.js";
import type { DeviceEvent } from "../../protocol/index.js";
import { bundleFor } from "./fixtures.js";
import { WireHost } from "./wire-host.js";

/** A running device and a host talking to it. */
export interface Bench {
  readonly emulator: Emulator;
  readonly host: WireHost;
  readonly hostEnd: MemoryHostEnd;
  readonly stateDir: string;
  /** The BOOT event the device greeted the host with. */
  readonly bootEvent: DeviceEvent;
}

/** Options for `boot`. */
export interface BootOptions {
  readonly stateDir?: string;
  readonly device?: Partial<DeviceConfig>;
  readonly faults?: FaultPatch;
  /** Activate with a development bundle once booted. */
  readonly activate?: boolean;
}

const cleanups: (() => Promise<void>)[] = [];

/** Boots a device (in `stateDir`, or a new temporary one) and waits for its BOOT event. */
export async function boot(options: BootOptions = {}): Promise<Bench> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "stalela-emu-"));
  const pair = createMemoryLinkPair();
  const emulator = await startEmulator({
    stateDir,
    links: [pair.device],
    device: options.device,
    faults: options.faults,
    faultSeed: 1234,
  });
  cleanups.push(() => emulator.stop());
  if (options.stateDir === undefined) {
    cleanups.push(async () => rmSync(stateDir, { recursive: true, force: true }));
  }
  const host = new WireHost(pair.host);
  const bootEvent = await host.waitEvent("BOOT");
  if (options.activate === true) {
    await host.call("ACTIVATE", { bundle: bundleFor(emulator.deviceId) });
  }
  return { emulator, host, hostEnd: pair.host, stateDir, bootEvent };
}

/** A temporary state directory, removed by `shutdownAll` after every device is stopped. */
export function tempStateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stalela-emu-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Stops every device booted so far and removes temporary state (call from afterEach). */
export async function shutdownAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}
