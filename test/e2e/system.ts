/** The whole system as real processes: see bench/system.ts, shared with the benchmarks. */
export * from "../../bench/system.js";
