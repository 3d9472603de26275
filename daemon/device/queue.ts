/**
 * RequestQueue: one task at a time, the rest in FIFO order behind it, with a bound. Clearing it rejects
 * every waiter (never a silent drop), so no POS request is left hanging.
 */

interface Waiter {
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** A bounded FIFO of async tasks run one at a time while `canRun()` holds. */
export class RequestQueue {
  private readonly waiting: Waiter[] = [];
  private running: Promise<void> | null = null;

  /** Assigns only. `limit` bounds the waiting tasks, not counting the one running. */
  constructor(
    private readonly limit: number,
    private readonly canRun: () => boolean,
  ) {}

  /** Tasks waiting behind the running one. */
  get length(): number {
    return this.waiting.length;
  }

  /** True when one more task would exceed the bound. */
  get full(): boolean {
    return this.waiting.length >= this.limit;
  }

  /** Whether a task is running. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Queues a task; its promise settles with the task's outcome (or the reason it was cleared). */
  enqueue<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.pump();
    });
  }

  /** Starts the next task if none is running and `canRun()` allows it. */
  pump(): void {
    if (this.running !== null || !this.canRun()) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.running = next
      .run()
      .then(next.resolve, next.reject)
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }

  /** Rejects every waiting task with `reason` (the running one finishes on its own). */
  rejectWaiting(reason: unknown): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(reason);
  }

  /** Resolves once no task is running. */
  async drained(): Promise<void> {
    while (this.running !== null) await this.running;
  }
}
