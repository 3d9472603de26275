import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // test/install installs the .deb on the machine: `npm run test:install` (vitest.install.config.ts).
    // test/browser drives Chromium through the console: `npm run test:browser` (vitest.browser.config.ts).
    exclude: ["test/install/**", "test/browser/**", "**/node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // fast-check properties run on the fixed fuzz seed (test/setup/fast-check-seed.ts).
    setupFiles: ["test/setup/fast-check-seed.ts"],
  },
});
