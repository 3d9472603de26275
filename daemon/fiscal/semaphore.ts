/**
 * A counting semaphore with a FIFO queue of waiters. The fiscal service uses it to bound how many
 * PREPARE→COMMIT pairs are open on the device at once: the DEF caps pending PREPAREs (10 by default),
 * and 32 POS tills posting together must queue here, in order, rather than be refused by the device.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** Runs `task` once a slot is free; the slot is released however the task ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.available > 0) this.available--;
    else await new Promise<void>((resolve) => this.waiters.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.available++;
    }
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.waiters.length;
  }
}
