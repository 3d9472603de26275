/**
 * The composition root of one emulated DEF: fiscal memory and firmware (FiscalDevice), fault plan,
 * and the LinkServer on its host links. Tests embed it with `startEmulator()` on an in-memory link;
 * the `stalela emulator` process wraps it with a PTY, TCP and a control channel.
 */
import { type ResultOf, toHex } from "../protocol/index.js";
import { type DeviceConfig, resolveDeviceConfig } from "./config.js";
import { FiscalDevice } from "./device/fiscal-device.js";
import { type FaultPatch, FaultPlan, type FaultSettings, parseFaultPatch } from "./faults.js";
import type { HostLink } from "./link/types.js";
import type { LinkCounters } from "./link-counters.js";
import { LinkServer } from "./link-server.js";
import { type EmulatorLogger, SILENT_LOGGER } from "./log.js";
import { randomSeed } from "./prng.js";

/** How to start an emulator. */
export interface EmulatorOptions {
  /** Directory of the fiscal memory; created, and the device manufactured, on first use. */
  readonly stateDir: string;
  /** Host links to serve from the start; the emulator owns them and closes them on stop. */
  readonly links?: readonly HostLink[];
  /** Device tunables; defaults from emulator/config.ts. */
  readonly device?: Partial<DeviceConfig>;
  /** Faults in force from the start. */
  readonly faults?: FaultPatch;
  /** Seed of every random fault decision; random (and reported) when omitted. */
  readonly faultSeed?: number;
  readonly logger?: EmulatorLogger;
}

/** What the control channel and tests can read about a running emulator. */
export interface EmulatorSnapshot {
  readonly device_id: string;
  readonly public_key: string;
  readonly status: ResultOf<"STATUS">;
  readonly fault_seed: number;
  readonly faults: FaultSettings;
  readonly link: LinkCounters;
}

/** Run-time control of the faults (the embedded form of the control channel). */
export interface FaultControl {
  /** Settings in force. */
  current(): FaultSettings;
  /** Validates and applies a change; throws FaultInputError for a bad one. */
  update(patch: FaultPatch): FaultSettings;
  /** Clears every fault. */
  reset(): FaultSettings;
  /** The seed every random decision draws from. */
  readonly seed: number;
}

/** One running emulated DEF. */
export class Emulator {
  readonly device: FiscalDevice;
  readonly faultSeed: number;
  private readonly plan: FaultPlan;
  private readonly server: LinkServer;
  private readonly links: HostLink[] = [];
  private readonly logger: EmulatorLogger;
  private started = false;

  /** Assigns only; `start()` opens the fiscal memory and the links. */
  constructor(private readonly options: EmulatorOptions) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.device = new FiscalDevice(options.stateDir, resolveDeviceConfig(options.device));
    this.faultSeed = options.faultSeed ?? randomSeed();
    this.plan = new FaultPlan(this.faultSeed, () => this.device.memory.lastFiscalNumber);
    this.server = new LinkServer(this.device, this.plan, this.logger);
  }

  /** Opens (or manufactures) the device, applies the start faults, and serves the links. */
  start(): void {
    // Checked before the fiscal memory opens, so a bad setting leaves nothing half-started.
    const startFaults = this.options.faults === undefined ? undefined : parseFaultPatch(this.options.faults);
    this.device.start();
    this.started = true;
    this.plan.onChange((settings) => {
      this.device.clock.skewMs = settings.clock_skew_ms;
      this.device.journalCapacity = settings.journal_capacity ?? this.device.config.journalCapacity;
      this.server.announceState();
    });
    if (startFaults !== undefined) this.plan.update(startFaults);
    for (const link of this.options.links ?? []) this.attach(link);
    this.logger.log("info", "emulator.started", {
      device_id: this.deviceId,
      public_key: toHex(this.publicKey),
      state: this.device.state,
      fault_seed: this.faultSeed,
    });
  }

  /**
   * Serves one more host link (owned from now on: closed on stop). `name` labels its host arrivals and
   * departures in the log (`link.host_attached`, `link.host_gone`), which tells a technician whether
   * the daemon holds the port.
   */
  attach(link: HostLink, name = "link"): void {
    this.links.push(link);
    this.server.attach(link);
    link.onHostAttached?.(() => this.logger.log("info", "link.host_attached", { link: name }));
    link.onHostGone(() => this.logger.log("info", "link.host_gone", { link: name }));
  }

  /** The device serial number. */
  get deviceId(): string {
    return this.device.deviceId;
  }

  /** The device's Ed25519 public key. */
  get publicKey(): Uint8Array {
    return this.device.publicKey;
  }

  /** Run-time fault control. */
  get faults(): FaultControl {
    const plan = this.plan;
    return {
      seed: plan.seed,
      current: () => plan.current(),
      update: (patch) => plan.update(patch),
      reset: () => plan.reset(),
    };
  }

  /** A copy of the link counters. */
  get counters(): LinkCounters {
    return { ...this.server.counters };
  }

  /** Unplugs every host link, as pulling the USB cable would. */
  disconnect(): void {
    this.server.disconnectAll();
  }

  /** Device identity, status, faults and link counters. */
  snapshot(): EmulatorSnapshot {
    return {
      device_id: this.deviceId,
      public_key: toHex(this.publicKey),
      status: this.device.execute("STATUS", {}),
      fault_seed: this.faultSeed,
      faults: this.plan.current(),
      link: this.counters,
    };
  }

  /** Stops serving, closes the links, then closes the fiscal memory (reverse of start). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const deviceId = this.deviceId;
    this.server.stop();
    for (const link of this.links.splice(0).reverse()) {
      try {
        await link.close();
      } catch (err) {
        this.logger.log("warn", "link.close_failed", { error: (err as Error).message });
      }
    }
    try {
      this.device.stop();
    } catch (err) {
      this.logger.log("error", "device.stop_failed", { error: (err as Error).message });
    }
    this.logger.log("info", "emulator.stopped", { device_id: deviceId });
  }
}

/** Builds and starts an emulator: the embedded API. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const emulator = new Emulator(options);
  emulator.start();
  return emulator;
}
