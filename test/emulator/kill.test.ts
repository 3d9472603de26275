/**
 * Kill-during-commit: SIGKILL the real emulator process at seeded random instants during a burst of
 * PREPARE+COMMIT, restart it each time, then audit the whole journal over the wire.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../emulator/prng.js";
import {
  bytesEqual,
  genesisHash,
  openSealedRecord,
  type ResultOf,
  recordHash,
  type SealedRecord,
  toHex,
} from "../../protocol/index.js";
import { bundleFor, credit, sale } from "./fixtures.js";
import { connectTcp, type SpawnedEmulator, spawnEmulator } from "./spawn.js";
import type { WireHost } from "./wire-host.js";

/** Kills per run (CI budget: each costs a process start). */
const KILLS = 5;
/** The kill lands this long after the burst starts, at a seeded random point within, in ms. */
const KILL_WINDOW_MS: readonly [number, number] = [40, 400];
const SEED = Number(process.env.STALELA_KILL_SEED ?? 20_261_123);

const stateDir = mkdtempSync(join(tmpdir(), "stalela-kill-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function start(): Promise<{ proc: SpawnedEmulator; host: WireHost }> {
  const proc = await spawnEmulator([
    "--state",
    stateDir,
    "--no-link",
    "--tcp",
    "127.0.0.1:0",
    "--log-level",
    "warn",
  ]);
  const { host } = await connectTcp(proc.ready.tcp!.port);
  await host.waitEvent("BOOT");
  return { proc, host };
}

/** PREPARE+COMMIT as fast as possible until the link dies; returns the replies that arrived. */
async function burst(host: WireHost, round: number, replied: Map<string, SealedRecord>): Promise<void> {
  for (let i = 0; ; i++) {
    const ref = `K${round}-${i}`;
    // Every fifth invoice is a small refund of invoice 1, so credit sums are exercised too.
    const invoice = i % 5 === 4 ? credit(ref, 1, 1) : sale(ref, 1_000 + i);
    try {
      const p = await host.call("PREPARE", { invoice: invoice as never });
      const sealed = await host.call("COMMIT", { nonce: p.nonce, payload_hash: p.payload_hash });
      replied.set(ref, sealed);
    } catch {
      return;
    }
  }
}

describe("SIGKILL during a burst of commits", () => {
  it(`leaves no torn record, gap or broken chain after ${KILLS} kills (seed ${SEED})`, async () => {
    const random = new SeededRandom(SEED);
    const replied = new Map<string, SealedRecord>();
    let publicKey: Uint8Array | null = null;
    for (let round = 0; round <= KILLS; round++) {
      const { proc, host } = await start();
      if (round === 0) {
        await host.call("ACTIVATE", { bundle: bundleFor(proc.ready.device_id) });
        const first = await host.call("PREPARE", { invoice: sale("K-ORIGINAL", 1_000_000) as never });
        replied.set(
          "K-ORIGINAL",
          await host.call("COMMIT", { nonce: first.nonce, payload_hash: first.payload_hash }),
        );
        publicKey = (await host.call("INFO", {})).public_key;
      } else {
        // A restart forgets pending PREPAREs and keeps everything sealed.
        expect((await host.call("LIST_PENDING", {})).pending).toEqual([]);
        expect(toHex((await host.call("INFO", {})).public_key)).toBe(toHex(publicKey!));
      }
      if (round === KILLS) {
        await audit(host, publicKey!, replied);
        proc.child.kill("SIGTERM");
        expect((await proc.exited).code).toBe(0);
        return;
      }
      const killAfter = KILL_WINDOW_MS[0] + random.below(KILL_WINDOW_MS[1] - KILL_WINDOW_MS[0]);
      const running = burst(host, round, replied);
      await new Promise((resolve) => setTimeout(resolve, killAfter));
      proc.child.kill("SIGKILL");
      expect((await proc.exited).signal).toBe("SIGKILL");
      await running;
    }
  }, 60_000);
});

async function audit(
  host: WireHost,
  publicKey: Uint8Array,
  replied: Map<string, SealedRecord>,
): Promise<void> {
  const info = await host.call("INFO", {});
  let prev = genesisHash(info.activation!.bytes);
  const typeNumbers = new Map<string, number>();
  const byRef = new Map<string, SealedRecord>();
  let expected = 1;
  for (let from: number | null = 1; from !== null; ) {
    const page: ResultOf<"JOURNAL_READ"> = await host.call("JOURNAL_READ", { from, limit: 32 });
    for (const entry of page.entries) {
      const record = openSealedRecord(entry, publicKey);
      expect(record.fiscal_number).toBe(expected++);
      expect(bytesEqual(record.prev_hash, prev)).toBe(true);
      prev = recordHash(entry.record);
      const typeNumber = (typeNumbers.get(record.invoice_type) ?? 0) + 1;
      expect(record.type_number).toBe(typeNumber);
      typeNumbers.set(record.invoice_type, typeNumber);
      expect(byRef.has(record.client_ref)).toBe(false);
      byRef.set(record.client_ref, entry);
    }
    from = page.next;
  }
  const status = await host.call("STATUS", {});
  expect(status.last_fiscal_number).toBe(expected - 1);
  expect(toHex(status.last_hash!)).toBe(toHex(prev));
  for (const [type, n] of typeNumbers) expect(status.type_counters[type]).toBe(n);
  for (const [ref, sealed] of replied) {
    expect(byRef.get(ref)?.signature && toHex(byRef.get(ref)!.signature)).toBe(toHex(sealed.signature));
  }
  expect(replied.size).toBeGreaterThan(KILLS);
  expect((await host.call("SELF_TEST", {})).passed).toBe(true);
}
