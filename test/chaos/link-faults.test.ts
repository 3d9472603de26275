/**
 * Chaos scenarios 3 and 4: a noisy line (corrupted bytes both ways and dropped replies, throughout the
 * run) and a device link unplugged and replugged again and again (the emulator's control channel).
 */
import { describe, expect, it } from "vitest";
import { instants, runScenario, waitIssued } from "./runner.js";
import { size } from "./seed.js";

/** Vitest's budget for one scenario, in ms. */
const SCENARIO_TIMEOUT_MS = size(150_000, 1_800_000);
/**
 * Probability that any one byte on the line (each way) has a bit flipped. Issue 8 asks for "1 %
 * corrupted"; per byte that would damage ~99.9 % of the ~700-byte sealed replies and no exchange would
 * ever complete, so the rate is set per byte such that about 1 % of frames arrive damaged
 * (1 % ÷ ~200 bytes, the mean frame on the wire). docs/RELIABILITY.md explains the choice.
 */
const NOISE_BYTE_RATE = 0.000_05;
/** Probability that the device's reply frame is lost. */
const DROP_REPLY_RATE = 0.01;

/** The emulator's link counters (docs/EMULATOR.md §5). */
type LinkCounters = Record<string, number>;

describe("chaos: link faults", () => {
  it(
    "scenario 3: line noise, corrupted bytes and dropped replies throughout",
    async () => {
      const result = await runScenario({
        name: "line-noise",
        invoices: size(200, 2_000),
        async sabotage({ cluster, workload, facts }) {
          await cluster.control("PUT", "/faults", {
            corrupt_tx_rate: NOISE_BYTE_RATE,
            corrupt_rx_rate: NOISE_BYTE_RATE,
            drop_rate: DROP_REPLY_RATE,
          });
          await workload.done;
          const state = (await cluster.control("GET", "/state")) as { link: LinkCounters };
          facts.link = state.link;
        },
      });
      const link = result.facts.link as LinkCounters;
      // The noise really happened (about a dozen events expected even in the reduced run).
      expect(
        (link.repliesDropped ?? 0) + (link.frameCrcErrors ?? 0) + (link.headerCrcErrors ?? 0),
      ).toBeGreaterThan(0);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "scenario 4: unplug and replug the device link repeatedly",
    async () => {
      const unplugs = size(5, 50);
      const result = await runScenario({
        name: "unplug",
        invoices: size(200, 2_000),
        async sabotage({ cluster, workload, rng, facts }) {
          let done = 0;
          for (const at of instants(rng, unplugs, this.invoices)) {
            await waitIssued(workload, at);
            await new Promise((r) => setTimeout(r, rng.int(0, 40)));
            await cluster.unplug();
            done++;
          }
          facts.unplugs = done;
        },
      });
      expect(result.facts.unplugs).toBe(unplugs);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
