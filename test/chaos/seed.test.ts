/**
 * The seed choice of the fuzz and chaos suites (seed.ts): fixed unless asked otherwise, so `npm test`
 * tries the same inputs everywhere; random only in `npm run chaos`; any printed seed replays.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRng, DEFAULT_SEED, replayWith, seedFromEnv } from "./seed.js";

const PACKAGE_JSON = new URL("../../package.json", import.meta.url);

describe("seedFromEnv", () => {
  it("is the fixed DEFAULT_SEED when no seed is asked for, for both suites", () => {
    expect(seedFromEnv("FUZZ", {})).toBe(DEFAULT_SEED);
    expect(seedFromEnv("CHAOS", {})).toBe(DEFAULT_SEED);
    expect(seedFromEnv("CHAOS", { CHAOS_SEED: "", CHAOS_RANDOM: "0" })).toBe(DEFAULT_SEED);
  });

  it("replays a printed seed: the suite's own variable first, and CHAOS_SEED for the fuzz suite too", () => {
    expect(seedFromEnv("CHAOS", { CHAOS_SEED: "12345" })).toBe(12345);
    expect(seedFromEnv("FUZZ", { FUZZ_SEED: "4294967295" })).toBe(0xffff_ffff);
    expect(seedFromEnv("FUZZ", { CHAOS_SEED: "77" })).toBe(77);
    expect(seedFromEnv("FUZZ", { FUZZ_SEED: "5", CHAOS_SEED: "77" })).toBe(5);
    // The chaos suite does not read the fuzz suite's variable.
    expect(seedFromEnv("CHAOS", { FUZZ_SEED: "5" })).toBe(DEFAULT_SEED);
    // A replay wins over random mode, so `CHAOS_SEED=… npm run chaos` replays a chaos run.
    expect(seedFromEnv("CHAOS", { CHAOS_SEED: "9", CHAOS_RANDOM: "1" })).toBe(9);
    expect(replayWith("FUZZ", 42)).toBe("FUZZ_SEED=42");
  });

  it("refuses a seed that is not a uint32 instead of quietly replaying another one", () => {
    for (const bad of ["-1", "4294967296", "1.5", "0x10", "seed", "12abc"]) {
      expect(() => seedFromEnv("CHAOS", { CHAOS_SEED: bad }), bad).toThrow(/CHAOS_SEED=.* is not a uint32/);
    }
    expect(() => seedFromEnv("FUZZ", { FUZZ_SEED: "-3" })).toThrow(/FUZZ_SEED=-3/);
  });

  it("is random with CHAOS_RANDOM=1: different seeds, each a uint32", () => {
    const seeds = Array.from({ length: 20 }, () => seedFromEnv("FUZZ", { CHAOS_RANDOM: "1" }));
    expect(seeds).toHaveLength(20);
    for (const seed of seeds) {
      expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff, String(seed)).toBe(true);
    }
    // 20 draws from 2^32 values: a repeat, or all equal to the default, means it is not random.
    expect(new Set(seeds).size).toBe(20);
    expect(seeds).not.toContain(DEFAULT_SEED);
  });

  it("gives the same stream for the same seed and another for another seed", () => {
    const draw = (seed: number) => Array.from({ length: 8 }, createRng(seed).next);
    expect(draw(DEFAULT_SEED)).toEqual(draw(DEFAULT_SEED));
    expect(draw(DEFAULT_SEED)).not.toEqual(draw(DEFAULT_SEED + 1));
  });
});

describe("the npm scripts", () => {
  const scripts = (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { scripts: Record<string, string> })
    .scripts;

  it("npm test runs on the fixed seed: it never sets CHAOS_RANDOM nor a seed", () => {
    expect(scripts.test).toBeTypeOf("string");
    expect(scripts.test).not.toMatch(/CHAOS_RANDOM|_SEED/);
  });

  it("npm run chaos runs the chaos and fuzz suites at full size on random seeds", () => {
    expect(scripts.chaos).toMatch(/(^|\s)CHAOS_RANDOM=1\s/);
    expect(scripts.chaos).toMatch(/(^|\s)CHAOS_FULL=1\s/);
    expect(scripts.chaos).toMatch(/vitest run test\/chaos test\/fuzz/);
  });
});
