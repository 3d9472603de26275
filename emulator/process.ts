/**
 * The `stalela emulator` process: one emulated DEF on a PTY (the virtual serial port) and/or TCP,
 * with an optional control channel, JSON logs on stderr, and a graceful stop on SIGTERM/SIGINT.
 */
import { toHex } from "../protocol/index.js";
import type { DeviceConfig } from "./config.js";
import { ControlServer } from "./control-server.js";
import { Emulator } from "./emulator.js";
import type { FaultPatch } from "./faults.js";
import { openPtyLink } from "./link/pty.js";
import { listenTcpLink } from "./link/tcp.js";
import { type EmulatorLogger, jsonLogger, type LogLevel } from "./log.js";

/** Default state directory, relative to the working directory. */
export const DEFAULT_STATE_DIR = "./.state/emulator";
/** Default PTY symlink path. */
export const DEFAULT_LINK_PATH = "/tmp/stalela-def";

/** A host and port to bind. */
export interface BindAddress {
  readonly host: string;
  readonly port: number;
}

/** Everything the process needs, already parsed and validated by the CLI. */
export interface EmulatorProcessOptions {
  readonly stateDir: string;
  /** PTY symlink path, or null for no PTY. */
  readonly linkPath: string | null;
  readonly tcp: BindAddress | null;
  readonly control: BindAddress | null;
  readonly device: Partial<DeviceConfig>;
  readonly faults: FaultPatch;
  readonly faultSeed: number | undefined;
  readonly logLevel: LogLevel;
}

/** What the process opened, as printed on start. */
export interface EmulatorEndpoints {
  readonly deviceId: string;
  readonly publicKey: string;
  readonly link: string | null;
  readonly tcp: BindAddress | null;
  readonly control: BindAddress | null;
  readonly faultSeed: number;
}

/** A running emulator process. */
export class EmulatorProcess {
  private emulator: Emulator | null = null;
  private control: ControlServer | null = null;
  private stopping: Promise<void> | null = null;
  private readonly logger: EmulatorLogger;

  /** Assigns only. */
  constructor(private readonly options: EmulatorProcessOptions) {
    this.logger = jsonLogger(options.logLevel);
  }

  /** Opens the device, then its links, then the control channel; undoes what it did on failure. */
  async start(): Promise<EmulatorEndpoints> {
    const o = this.options;
    const emulator = new Emulator({
      stateDir: o.stateDir,
      device: o.device,
      faults: o.faults,
      faultSeed: o.faultSeed,
      logger: this.logger,
    });
    try {
      emulator.start();
      this.emulator = emulator;
      let link: string | null = null;
      if (o.linkPath !== null) {
        const pty = await openPtyLink({ path: o.linkPath });
        emulator.attach(pty, "pty");
        link = pty.path;
      }
      let tcp: BindAddress | null = null;
      if (o.tcp !== null) {
        const tcpLink = await listenTcpLink(o.tcp);
        emulator.attach(tcpLink, "tcp");
        tcp = tcpLink.address;
      }
      let control: BindAddress | null = null;
      if (o.control !== null) {
        this.control = new ControlServer(emulator, o.control, this.logger);
        control = await this.control.start();
      }
      const endpoints = {
        deviceId: emulator.deviceId,
        publicKey: toHex(emulator.publicKey),
        link,
        tcp,
        control,
        faultSeed: emulator.faultSeed,
      };
      // Always written, whatever the log level: scripts and tests read the bound ports from it.
      jsonLogger("debug").log("info", "emulator.ready", {
        device_id: endpoints.deviceId,
        public_key: endpoints.publicKey,
        link,
        tcp,
        control,
        fault_seed: endpoints.faultSeed,
        state_dir: o.stateDir,
      });
      return endpoints;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Stops the control channel, then the emulator (links, then fiscal memory). Idempotent. */
  stop(reason = "stop"): Promise<void> {
    this.stopping ??= (async () => {
      this.logger.log("info", "emulator.stopping", { reason });
      try {
        await this.control?.stop();
      } catch (err) {
        this.logger.log("warn", "control.stop_failed", { error: (err as Error).message });
      }
      try {
        await this.emulator?.stop();
      } catch (err) {
        this.logger.log("error", "emulator.stop_failed", { error: (err as Error).message });
      }
    })();
    return this.stopping;
  }
}

/** Human-readable start banner for stdout. */
export function formatEndpoints(e: EmulatorEndpoints): string {
  const lines = [
    "stalela emulator: DEF ready",
    `  device_id    ${e.deviceId}`,
    `  public_key   ${e.publicKey}`,
  ];
  if (e.link !== null) lines.push(`  serial port  ${e.link}`);
  if (e.tcp !== null) lines.push(`  tcp          ${e.tcp.host}:${e.tcp.port}`);
  if (e.control !== null) lines.push(`  control      http://${e.control.host}:${e.control.port}`);
  lines.push(`  fault_seed   ${e.faultSeed}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Runs the emulator until SIGTERM or SIGINT, then stops it gracefully. Resolves once stopped.
 * The handlers are in place before the start, so a signal that comes as soon as the ready line is out
 * (or during the start) still stops gracefully. A second signal while stopping exits at once.
 */
export async function runEmulatorProcess(options: EmulatorProcessOptions): Promise<void> {
  const proc = new EmulatorProcess(options);
  const starting = proc.start();
  let signalled = false;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) process.exit(130);
    signalled = true;
    void starting
      .catch(() => {})
      .then(() => proc.stop(signal))
      .then(stopped, stopped);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const endpoints = await starting;
    if (!signalled) process.stdout.write(formatEndpoints(endpoints));
  } catch (err) {
    // start() has already stopped what it had opened.
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    throw err;
  }
  await done;
}
