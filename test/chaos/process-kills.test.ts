/**
 * Chaos scenarios 1 and 2: the daemon, then the emulated device, SIGKILLed at seeded random instants
 * of a concurrent run and restarted each time. Nothing fiscal may be lost or duplicated (checker.ts).
 */
import { describe, expect, it } from "vitest";
import { instants, runScenario, waitIssued } from "./runner.js";
import { size } from "./seed.js";

/** Vitest's budget for one scenario, in ms (the full sizes take minutes). */
const SCENARIO_TIMEOUT_MS = size(150_000, 1_800_000);

describe("chaos: process kills", () => {
  it(
    "scenario 1: SIGKILL the daemon at random instants and restart it",
    async () => {
      const kills = size(3, 20);
      const result = await runScenario({
        name: "daemon-kill",
        invoices: size(240, 2_000),
        async sabotage({ cluster, workload, rng, facts }) {
          let done = 0;
          for (const at of instants(rng, kills, this.invoices)) {
            await waitIssued(workload, at);
            // A random instant inside the invoice in flight, not just between two of them.
            await new Promise((r) => setTimeout(r, rng.int(0, 40)));
            await cluster.crashDaemon();
            done++;
          }
          facts.daemonKills = done;
        },
      });
      expect(result.facts.daemonKills).toBe(kills);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "scenario 2: SIGKILL the emulator at instants and restart it",
    async () => {
      const kills = size(2, 5);
      const result = await runScenario({
        name: "emulator-kill",
        invoices: size(200, 2_000),
        async sabotage({ cluster, workload, rng, facts }) {
          let done = 0;
          for (const at of instants(rng, kills, this.invoices)) {
            await waitIssued(workload, at);
            await new Promise((r) => setTimeout(r, rng.int(0, 40)));
            await cluster.crashEmulator();
            done++;
          }
          facts.emulatorKills = done;
        },
      });
      expect(result.facts.emulatorKills).toBe(kills);
      expect(result.report.failures).toEqual([]);
    },
    SCENARIO_TIMEOUT_MS,
  );
});
