/**
 * A small seeded PRNG (mulberry32) for fault injection. Every random fault decision draws from it,
 * so a failing test run is replayed exactly by starting the emulator with the same `--fault-seed`.
 */
import { randomInt } from "node:crypto";

/** Largest seed, exclusive: seeds are unsigned 32-bit integers. */
export const SEED_LIMIT = 2 ** 32;

/** A fresh random seed, for runs that did not ask for one (it is printed so the run can be replayed). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** Deterministic uniform numbers in [0, 1) from a 32-bit seed. */
export class SeededRandom {
  private state: number;

  /** `seed` is reduced to 32 bits. */
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p`; draws nothing when p is 0, so a disabled fault never shifts the stream. */
  chance(p: number): boolean {
    if (p <= 0) return false;
    return this.next() < p;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}
