/**
 * Seeds and sizes of the chaos and fuzz suites. Every scenario and fuzz target draws all its random
 * choices (invoice types, amounts, the instants of kills and unplugs, hostile bytes) from mulberry32
 * streams seeded by `seedFromEnv`, and prints that seed, so a failing run can be replayed with the
 * same choices. `npm test` runs on a fixed seed (DEFAULT_SEED), so it tries the same inputs on every
 * run and every machine; `npm run chaos` sets CHAOS_RANDOM=1 and so tries new ones each time. Process
 * timing still varies between chaos runs; the seed fixes what the clients and the saboteur do.
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

/** The seed of every fuzz and chaos stream in `npm test` (and whenever no seed is asked for). */
export const DEFAULT_SEED = 0x57a1_e1a5;

/** Which suite a seed is for: its variable is `${suite}_SEED` (FUZZ_SEED, CHAOS_SEED). */
export type SeedSuite = "FUZZ" | "CHAOS";

function parseSeed(variable: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n > 0xffff_ffff)
    throw new Error(`${variable}=${text} is not a uint32 seed`);
  return n;
}

/**
 * The one place a seed is chosen. In order: `${suite}_SEED` when set (a replay); for FUZZ also
 * CHAOS_SEED, so one variable replays a whole `npm run chaos`; a fresh random seed when CHAOS_RANDOM=1
 * (npm run chaos); else DEFAULT_SEED. Callers print the seed with the variable that replays it
 * (`replayWith`).
 */
export function seedFromEnv(suite: SeedSuite, env: NodeJS.ProcessEnv = process.env): number {
  const variables = suite === "FUZZ" ? ["FUZZ_SEED", "CHAOS_SEED"] : ["CHAOS_SEED"];
  for (const variable of variables) {
    const text = env[variable];
    if (text !== undefined && text !== "") return parseSeed(variable, text);
  }
  if (env.CHAOS_RANDOM === "1") return Math.floor(Math.random() * 0x1_0000_0000);
  return DEFAULT_SEED;
}

/** How to replay `seed`, for the line every seeded test prints: `FUZZ_SEED=123`. */
export function replayWith(suite: SeedSuite, seed: number): string {
  return `${suite}_SEED=${seed}`;
}

/** True for `npm run chaos` (CHAOS_FULL=1): the full sizes of issue 8; else the reduced `npm test` sizes. */
export const CHAOS_FULL = process.env.CHAOS_FULL === "1";

/** Picks the reduced or the full value. */
export function size(reduced: number, full: number): number {
  return CHAOS_FULL ? full : reduced;
}
