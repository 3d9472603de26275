/**
 * A clock a test moves by hand, injected as the emulator's raw clock (`device.systemNow`), so nonce
 * lifetimes are tested on exact instants instead of real sleeps.
 */

/** 2026-01-01T08:30:00Z, the instant the protocol's test vectors use. */
export const T0 = Date.UTC(2026, 0, 1, 8, 30);

/** A raw clock that only moves when told. */
export class ManualClock {
  /** Starts at `ms` (ms since the epoch). */
  constructor(private ms: number = T0) {}

  /** The reading; pass as `systemNow`. */
  readonly now = (): number => this.ms;

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.ms += ms;
  }

  /** Sets the clock to `ms`. */
  set(ms: number): void {
    this.ms = ms;
  }
}
