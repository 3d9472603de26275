/**
 * One background loop of the sync agent: runs its drain, then sleeps as long as the drain says, and
 * again. The agent runs one per lane (invoices, reports), so neither ever waits for the other's
 * requests.
 */
export class DrainLoop {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private running = false;

  /** `round` drains once and answers how long to sleep before the next round, in ms. */
  constructor(private readonly round: () => Promise<number>) {}

  /** True while a round is in flight. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Starts the loop: a first round at once. */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  /** Runs the next round in `ms` (replacing the one planned), unless stopped. */
  schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.current = this.run().finally(() => {
        this.current = undefined;
      });
    }, ms);
  }

  /** Stops; a round in flight finishes before this resolves. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private async run(): Promise<void> {
    this.schedule(await this.round());
  }
}
