/**
 * The session's outward side: device events to listeners, structured log lines, and cancellable pauses
 * (so `close()` never waits out a back-off).
 */
import type { DeviceEvent } from "../../protocol/index.js";

/** Log severity. */
export type SessionLogLevel = "debug" | "info" | "warn" | "error";

/** Where the session writes its log lines (the daemon passes its structured JSON logger). */
export interface SessionLogger {
  log(level: SessionLogLevel, event: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A logger that drops everything (tests, tools). */
export const SILENT_SESSION_LOGGER: SessionLogger = Object.freeze({ log: () => {} });

/** Event listeners, logging and sleeps of one session. */
export class SessionEvents {
  private readonly listeners = new Set<(event: DeviceEvent) => void>();
  private readonly sleepers = new Set<() => void>();

  /** Assigns only. */
  constructor(private readonly logger: SessionLogger) {}

  /** Adds an event listener; returns its remover. */
  onEvent(listener: (event: DeviceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hands an event to every listener; a throwing listener is logged and cannot stop the I/O loop. */
  emit(event: DeviceEvent): void {
    this.logger.log("info", "device.event", { event: event.event, state: event.state });
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.logger.log("error", "device.event_listener_failed", { error: (err as Error).message });
      }
    }
  }

  /** Writes one log line. */
  log(level: SessionLogLevel, event: string, fields?: Readonly<Record<string, unknown>>): void {
    this.logger.log(level, event, fields);
  }

  /** Waits `ms`, or less if `cancelSleeps()` is called. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** Ends every pending sleep now. */
  cancelSleeps(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
