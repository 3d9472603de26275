/**
 * The console's lockout after repeated failed logins (docs/CONSOLE.md §Access): after
 * MAX_FAILURES wrong passwords within WINDOW_MS, every login is refused for LOCK_MS, even with the
 * right password, so that guessing costs hours. One counter for the whole console: it listens on
 * loopback, where every caller has the same address. The clock is injected.
 */

/** Failed logins that lock the console. */
export const MAX_FAILURES = 5;
/** The window the failures are counted in. */
export const WINDOW_MS = 15 * 60_000;
/** How long the console stays locked. */
export const LOCK_MS = 15 * 60_000;

/** Counts failed logins and says when the console is locked. */
export class LoginLockout {
  private failures: number[] = [];
  private lockedUntil = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The time (ms) until which logins are refused, or null when they are not. */
  lockedTill(): number | null {
    return this.now() < this.lockedUntil ? this.lockedUntil : null;
  }

  /** Counts a failed login; true when it locks the console. */
  failed(): boolean {
    const now = this.now();
    this.failures = [...this.failures.filter((at) => now - at < WINDOW_MS), now];
    if (this.failures.length < MAX_FAILURES) return false;
    this.failures = [];
    this.lockedUntil = now + LOCK_MS;
    return true;
  }

  /** A successful login forgets the failures before it. */
  succeeded(): void {
    this.failures = [];
  }
}
