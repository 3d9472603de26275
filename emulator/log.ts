/**
 * Structured logs: one JSON object per line on stderr, so a technician can grep them and a test can
 * parse them. The embedded emulator is silent unless given a logger.
 */

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where the emulator reports what it does. */
export interface EmulatorLogger {
  log(level: LogLevel, event: string, fields?: Readonly<Record<string, unknown>>): void;
}

const LEVELS: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger that drops everything (the embedded default). */
export const SILENT_LOGGER: EmulatorLogger = { log: () => undefined };

/** A logger writing JSON lines at or above `minLevel` to `write` (stderr by default). */
export function jsonLogger(
  minLevel: LogLevel = "info",
  write: (line: string) => void = (line) => process.stderr.write(line),
): EmulatorLogger {
  return {
    log(level, event, fields) {
      if (LEVELS[level] < LEVELS[minLevel]) return;
      write(
        `${JSON.stringify({ time: new Date().toISOString(), level, component: "emulator", event, ...fields })}\n`,
      );
    },
  };
}
