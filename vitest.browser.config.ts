import { defineConfig } from "vitest/config";

/**
 * `npm run test:browser`: the console in Debian's Chromium (test/browser), after `npm run build`,
 * against the real daemon and emulator. One file at a time, in order: the pages follow one visit.
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
