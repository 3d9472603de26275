/**
 * Seeds and sizes of the chaos suite. Every scenario draws all its random choices (invoice types,
 * amounts, the instants of kills and unplugs) from one mulberry32 stream seeded by `CHAOS_SEED`
 * (random when unset) and prints that seed, so a failing run can be replayed with the same choices.
 * Process timing still varies between runs; the seed fixes what the clients and the saboteur do.
 */

/** A seeded pseudo-random source. */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** One of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast and good enough to choose test actions. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/** The run's base seed: `CHAOS_SEED` when set, else random. */
export function chaosSeed(): number {
  const env = process.env.CHAOS_SEED;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
      throw new Error(`CHAOS_SEED=${env} is not a uint32`);
    return n;
  }
  return Math.floor(Math.random() * 0x1_0000_0000);
}

/** True for `npm run chaos` (CHAOS_FULL=1): the full sizes of issue 8; else the reduced `npm test` sizes. */
export const CHAOS_FULL = process.env.CHAOS_FULL === "1";

/** Picks the reduced or the full value. */
export function size(reduced: number, full: number): number {
  return CHAOS_FULL ? full : reduced;
}
