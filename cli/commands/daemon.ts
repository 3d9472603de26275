/**
 * `stalela daemon`: runs the fiscal daemon in the foreground (systemd runs it the same way). Config
 * from defaults, `--config FILE`, STALELA_* environment variables and flags, in that order.
 * SIGTERM/SIGINT stop it gracefully: in-flight fiscalisations finish, then the link and store close.
 */
import { execFile } from "node:child_process";
import { type Command, InvalidArgumentError } from "commander";
import {
  type ConfigPatch,
  configFromEnv,
  configFromFile,
  type DaemonConfig,
  resolveConfig,
} from "../../daemon/config.js";
import { Daemon } from "../../daemon/daemon.js";
import { createFiscalDevice } from "../../daemon/device/index.js";
import type { FiscalServiceHooks } from "../../daemon/fiscal/service.js";
import { runAction } from "../output.js";
import { actAsStateOwner } from "../state-owner.js";

interface DaemonFlags {
  config?: string;
  device?: string;
  state?: string;
  host?: string;
  port?: number;
  logLevel?: DaemonConfig["logLevel"];
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
 * Crash points for the crash-safety tests (test/e2e/crash.test.ts, commit-crash.test.ts); the process
 * kills itself with SIGKILL, so nothing after the instant runs, not even an exit handler:
 *   STALELA_CRASH_POINT=before-commit  the PREPARED state is stored, the COMMIT is about to be sent;
 *   STALELA_CRASH_POINT=after-commit   the device has sealed the record, the store has not written it.
 * Any other value (or none) sets no hook.
 */
export function crashHooks(point: string | undefined): FiscalServiceHooks {
  const die = (): void => {
    process.kill(process.pid, "SIGKILL");
  };
  if (point === "before-commit") return { beforeDeviceCommit: die };
  if (point === "after-commit") return { afterDeviceCommit: die };
  return {};
}

/** Builds the configuration from every source. */
export function daemonConfig(flags: DaemonFlags, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const file: ConfigPatch = flags.config ? configFromFile(flags.config) : {};
  const fromFlags: ConfigPatch = {
    device: flags.device,
    stateDir: flags.state,
    logLevel: flags.logLevel,
    http: { host: flags.host, port: flags.port },
  };
  return resolveConfig(file, configFromEnv(env), fromFlags);
}

/** Registers `daemon`. */
export function registerDaemonCommand(program: Command): void {
  program
    .command("daemon")
    .description("run the fiscal daemon: POS HTTP API on 127.0.0.1, device link, store")
    .option("--config <file>", "JSON configuration file")
    .option(
      "--device <uri>",
      "device: serial:PATH, hid:VID:PID[:SERIAL], usb:VID:PID[:SERIAL], tcp:HOST:PORT, auto",
    )
    .option("--state <dir>", "state directory (SQLite store)")
    .option("--host <address>", "address the POS API binds to (default 127.0.0.1)")
    .option("--port <n>", "port of the POS API (default 8765)", port)
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent")
    .action(async (flags: DaemonFlags) => {
      await runAction(flags, async () => {
        const config = daemonConfig(flags);
        // Started by root on an installed state directory, the daemon runs as its owner, so the lock,
        // the store's -wal/-shm and admin.sock stay the service's (systemd starts it as stalela anyway).
        actAsStateOwner(config.stateDir);
        const device = createFiscalDevice(config.device);
        const running = new Daemon(config, device, undefined, crashHooks(process.env.STALELA_CRASH_POINT));
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
