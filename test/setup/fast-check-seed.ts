/**
 * Every fast-check property in the suite runs on the chaos and fuzz seed (test/chaos/seed.ts):
 * `npm test` tries the same inputs on every run and every machine, and `npm run chaos`
 * (CHAOS_RANDOM=1) or FUZZ_SEED=N tries others. Without this, a property drew a new seed per run,
 * so a rare input could fail one run and pass the next.
 */
import fc from "fast-check";
import { seedFromEnv } from "../chaos/seed.js";

fc.configureGlobal({ seed: seedFromEnv("FUZZ") });
