/**
 * `stalela daemon`: runs the fiscal daemon in the foreground (systemd runs it the same way). Config
 * from defaults, `--config FILE`, STALELA_* environment variables and flags, in that order.
 * SIGTERM/SIGINT stop it gracefully: in-flight fiscalisations finish, then the link and store close.
 */
import { execFile } from "node:child_process";
import { type Command, InvalidArgumentError } from "commander";
import type { Logger } from "pino";
import {
  type ConfigLayer,
  configFromEnv,
  configFromFile,
  DEFAULT_HTTP_PORT,
  type LogLevel,
  type ResolvedConfig,
  resolveConfigLayers,
} from "../../daemon/config.js";
import { Daemon, type DaemonHooks } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import { createDaemonLogger } from "../../daemon/logging.js";
import { helpKey } from "../help.js";
import { runAction } from "../output.js";
import { actAsStateOwner } from "../state-owner.js";

/** The flags of `stalela daemon`. */
export interface DaemonFlags {
  config?: string;
  device?: string;
  state?: string;
  host?: string;
  port?: number;
  logLevel?: LogLevel;
  allowEmulator?: boolean;
  json?: boolean;
}

function port(text: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n > 65_535)
    throw new InvalidArgumentError("must be a port number (0 picks a free one)");
  return n;
}

/** Tells systemd the daemon is ready, when it runs under Type=notify. */
function notifySystemd(state: string): void {
  if (!process.env.NOTIFY_SOCKET) return;
  // --pid names the daemon, so systemd credits the message to the service, not to this short-lived child.
  execFile("systemd-notify", [`--pid=${process.pid}`, state], () => {
    // Best effort: outside systemd, or without systemd-notify, there is nobody to tell.
  });
}

/**
 * The crash-test hooks (cli/crash-points.ts), loaded only when STALELA_CRASH_POINT is set. The release
 * package does not ship that file: there the import fails, a warning is logged and no hook is set.
 */
async function loadCrashHooks(point: string | undefined, logger: Logger): Promise<DaemonHooks> {
  if (point === undefined || point === "") return {};
  try {
    const { crashHooks } = await import("../crash-points.js");
    return crashHooks(point);
  } catch (err) {
    logger.warn(
      { point, err: (err as Error).message },
      "STALELA_CRASH_POINT is set but this build has no crash points: ignored",
    );
    return {};
  }
}

/** The flags' part of the configuration, each value's origin its flag. */
export function configFromFlags(flags: DaemonFlags): ConfigLayer {
  const patch = {
    device: { uri: flags.device },
    stateDir: flags.state,
    logLevel: flags.logLevel,
    http: { host: flags.host, port: flags.port },
    trust: { allowEmulator: flags.allowEmulator },
  };
  return {
    patch,
    origin: {
      "device.uri": "flag:--device",
      stateDir: "flag:--state",
      logLevel: "flag:--log-level",
      "http.host": "flag:--host",
      "http.port": "flag:--port",
      "trust.allowEmulator": "flag:--allow-emulator",
    },
  };
}

/** Builds the configuration from every source: defaults < --config FILE < environment < flags. */
export function daemonConfig(flags: DaemonFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const file: ConfigLayer[] = flags.config ? [configFromFile(flags.config)] : [];
  return resolveConfigLayers([...file, configFromEnv(env), configFromFlags(flags)]);
}

/** Registers `daemon`. */
export function registerDaemonCommand(program: Command): void {
  program
    .command("daemon")
    .description("help.daemon")
    .option("--config <file>", "help.daemon.config")
    .option("--device <uri>", "help.daemon.device")
    .option("--state <dir>", "help.daemon.state")
    .option("--host <address>", "help.daemon.host")
    .option("--port <n>", helpKey("help.daemon.port", { port: String(DEFAULT_HTTP_PORT) }), port)
    .option("--log-level <level>", "help.daemon.log-level")
    .option("--allow-emulator", "help.daemon.allow-emulator")
    .action(async (flags: DaemonFlags) => {
      await runAction(flags, async () => {
        // The daemon logs the configuration's warnings itself at start (configWarnings).
        const { config } = daemonConfig(flags);
        // Started by root on an installed state directory, the daemon runs as its owner, so the lock,
        // the store's -wal/-shm and admin.sock stay the service's (systemd starts it as stalela anyway).
        actAsStateOwner(config.stateDir);
        // One logger for the daemon and its device session (link_down, reply_lost, write_failed…).
        const logger = createDaemonLogger(config.logLevel);
        const device = createFiscalDevice(config.device, { logger });
        const hooks = await loadCrashHooks(process.env.STALELA_CRASH_POINT, logger);
        const running = new Daemon(config, device, logger, hooks);
        const starting = running.start();
        let stopping = false;
        const stop = (signal: string): void => {
          if (stopping) return;
          stopping = true;
          running.logger.info({ signal }, "stopping");
          notifySystemd("--stopping");
          // A signal during start waits for it: a failed start has already stopped what it had started
          // (and keeps its non-zero exit code).
          void starting
            .catch(() => {})
            .then(() => running.stop())
            .then(() => process.exit());
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
        await starting;
        notifySystemd("--ready");
      });
      // A start that failed has stopped its parts and runAction has printed the coded error: exit now
      // with its code, so that nothing left over (a library's timer) can keep a failed daemon alive
      // under systemd instead of letting Restart= do its work.
      if (process.exitCode !== undefined && process.exitCode !== 0) process.exit();
    });
}
