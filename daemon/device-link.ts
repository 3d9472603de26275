/**
 * What the composition root needs from the device layer: the DEF commands (DevicePort), the fiscal
 * day's reports (ReportDevice), the link's maintenance commands (clock, self-test), the
 * link's life (open, close, connected, a hook after every connect) and its counters, plus a switch to refuse
 * fiscal calls while a wrong device is plugged in.
 */
import type { ArgsOf, FiscalError, ResultOf } from "../protocol/index.js";
import type { DevicePort } from "./fiscal/device-port.js";
import type { ReportDevice } from "./reports/day-reports.js";

/** The device, as the daemon drives it. */
export interface DeviceLink extends DevicePort, ReportDevice {
  /** Starts connecting (and reconnecting after unplugs) in the background; resolves once started. */
  open(): Promise<void>;
  /** Stops reconnecting, rejects every waiting request, closes the transport. */
  close(): Promise<void>;
  /** True while a link to the device is up. */
  readonly connected: boolean;
  /** Called after every successful (re)connect, including the first. */
  onConnected(handler: () => void): void;
  /** Requests waiting for the device (the session's queue depth). */
  readonly queued: number;
  /** Link statistics for status and metrics. */
  counters(): Readonly<Record<string, number>>;
  /** The device clock (TIME_GET). */
  timeGet(): Promise<ResultOf<"TIME_GET">>;
  /** Sets the device clock to `now`, ms since the epoch (TIME_SET). */
  timeSet(now: number): Promise<ResultOf<"TIME_SET">>;
  /** Runs the device's self-test (SELF_TEST). */
  selfTest(): Promise<ResultOf<"SELF_TEST">>;
  /** Activates the device with a cloud-signed bundle (the activation flow). */
  activate(bundle: ArgsOf<"ACTIVATE">["bundle"]): Promise<ResultOf<"ACTIVATE">>;
  /** While set, every fiscal call (PREPARE, COMMIT) fails with this error; null lifts it. */
  refuse(error: FiscalError | null): void;
}
