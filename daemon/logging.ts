/**
 * The daemon's logger: one JSON line per event, each with an ISO 8601 UTC `time` (not epoch
 * milliseconds) so `journalctl` output reads without a converter, and secrets redacted by path as a
 * second line behind the rule that no code logs one. The events a technician looks for by name:
 * `daemon ready`, `device.link_up` / `device.link_down` (replug / unplug), `device activated`.
 */
import pino, { type Logger } from "pino";
import type { LogLevel } from "./config.js";
import { LOG_REDACT_PATHS } from "./sync/log-redact.js";

/** The daemon's logger at `level`. */
export function createDaemonLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: "stalela-daemon" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...LOG_REDACT_PATHS], censor: "[Redacted]" },
  });
}
