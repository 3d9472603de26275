/**
 * Retry delays: exponential from a base, capped, with jitter so a fleet of shops coming back online
 * together does not hit the cloud in lock-step. Pure: the random source is injected for tests.
 */

/** What a delay depends on. */
export interface BackoffPolicy {
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly backoffJitter: number;
}

/**
 * The delay before retry number `failures` (1 for the first retry), in ms:
 * `min(max, base·2^(failures−1))`, of which a `jitter` share is random. `random()` is in [0, 1).
 */
export function backoffDelayMs(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** exponent);
  return Math.round(ceiling * (1 - policy.backoffJitter * random()));
}
