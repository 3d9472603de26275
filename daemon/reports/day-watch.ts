/**
 * The fiscal day's clock in the running daemon: the DAY_NOT_CLOSED status condition (a warning once
 * the closing time passed with the day open, an error after `day.errorAfterHours`), the optional
 * refusal of new sales (`day.refuseSalesAfterHours`, off by default), and the auto-close
 * (`day.autoClose`): at most one Z per minute check, never while one is being made.
 */
import type { Logger } from "pino";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import { FiscalError } from "../../protocol/index.js";
import type { RaisedCondition } from "../fiscal/types.js";
import { type DaySettings, dayStanding } from "./closing.js";
import type { DayReports } from "./day-reports.js";

/** How often the auto-close looks at the clock. */
export const DAY_WATCH_MS = 60_000;

/** Watches the open day against the closing rules. */
export class DayWatch {
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly day: Pick<DayReports, "openSince" | "closeDay">,
    private readonly settings: DaySettings,
    private readonly timeZone: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private standing() {
    return dayStanding(this.now(), this.day.openSince(), this.settings, this.timeZone);
  }

  /** DAY_NOT_CLOSED while the day is overdue; nothing otherwise. */
  conditions(): RaisedCondition[] {
    const s = this.standing();
    if (s.severity === null || s.overdueSince === null) return [];
    return [
      {
        code: "DAY_NOT_CLOSED",
        severity: s.severity,
        params: { closing: formatLocalTime(s.overdueSince, this.timeZone), hours: s.overdueHours },
        since: new Date(s.overdueSince).toISOString(),
      },
    ];
  }

  /** The refusal of a new sale while the shop's policy says so (DAY_NOT_CLOSED 337), else undefined. */
  admission(): FiscalError | undefined {
    // Asked at every sale: with the refusal off (the default) the day's standing is not even read.
    if (this.settings.refuseSalesAfterHours <= 0) return undefined;
    const s = this.standing();
    if (!s.refuseSales || s.overdueSince === null) return undefined;
    return new FiscalError(
      "DAY_NOT_CLOSED",
      `the fiscal day is not closed ${s.overdueHours} h after its closing time (day.refuseSalesAfterHours is ${this.settings.refuseSalesAfterHours}): make the Z report first`,
    );
  }

  /** Starts the auto-close check (only when `day.autoClose` is on). */
  start(everyMs = DAY_WATCH_MS): void {
    if (!this.settings.autoClose) return;
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
  }

  /** One auto-close check: a Z when the day is overdue and none is being made. */
  tick(): Promise<void> {
    if (this.closing !== undefined || !this.standing().closeNow || this.standing().overdueSince === null) {
      return this.closing ?? Promise.resolve();
    }
    this.closing = this.day
      .closeDay("auto-close")
      .then(
        ({ z }) =>
          this.logger.info({ z: z.report.kind === "Z_REPORT" ? z.report.number : null }, "fiscal day closed"),
        // The device is away or refused: the next check tries again.
        (err: unknown) => this.logger.warn({ err }, "auto-close of the fiscal day failed; retrying"),
      )
      .finally(() => {
        this.closing = undefined;
      });
    return this.closing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.closing;
  }
}
