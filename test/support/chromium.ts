/**
 * Debian's Chromium (the `chromium` package, installed by .ci/run) as the tests run it: headless,
 * without its sandbox (CI runs as root), and with nothing that reaches a network or a profile of
 * its own. The receipt tests call it directly; the console's browser tests through playwright-core.
 */
export const CHROMIUM = "/usr/bin/chromium";

/** The switches of every test run of Chromium (headless is the caller's). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
