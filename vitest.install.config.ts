import { defineConfig } from "vitest/config";

/**
 * `npm run test:install`: the package tests (test/install), after `npm run release`, as root on a
 * machine they may install on (CI's). One file at a time: each installs and purges the package.
 */
export default defineConfig({
  test: {
    include: ["test/install/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
