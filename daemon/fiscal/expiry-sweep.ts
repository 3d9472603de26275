/**
 * The timer that ends abandoned two-step invoices (docs/API.md §3), started by the composition root.
 */
import type { Logger } from "pino";
import type { FiscalService } from "./service.js";

/**
 * How often two-step invoices abandoned past their commit_before are ended (docs/API.md §3): an
 * abandoned PREPARED invoice is ABORTED, and its device slot freed, at most this long after it expired.
 */
export const EXPIRY_SWEEP_MS = 1_000;
/** Runs FiscalService.expireAbandoned on a timer, one run at a time. */
export class ExpirySweep {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly service: FiscalService,
    private readonly logger: Logger,
  ) {}

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.service
        .expireAbandoned()
        .then(
          (ended) => {
            if (ended > 0) this.logger.info({ ended }, "abandoned two-step invoices ended");
          },
          // The device is away: the next sweep after it is back ends them.
          (err: unknown) => this.logger.debug({ err }, "expiry sweep deferred"),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
