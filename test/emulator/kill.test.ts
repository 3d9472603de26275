/**
 * Kill-during-commit: SIGKILL the real emulator process at seeded random instants during a burst of
 * PREPARE+COMMIT, restart it each time, then audit the whole journal over the wire; and SIGKILL it at
 * the one instant that matters, inside COMMIT's transaction after the journal row was written and
 * before the counters moved.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../emulator/prng.js";
import { FISCAL_MEMORY_FILE } from "../../emulator/store/fiscal-memory.js";
import {
  bytesEqual,
  ERRORS,
  genesisHash,
  openSealedRecord,
  type ResultOf,
  recordHash,
  type SealedRecord,
  sha256,
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
/** The refund line of the burst: 0.001 RICE at 10.00 CDF, so round_half_up(1 × 1,000 / 1000) = 1. */
const REFUND_LINE = { quantity: "0.001", unit_price: 1_000 } as const;

const stateDir = mkdtempSync(join(tmpdir(), "stalela-kill-"));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function start(dir = stateDir): Promise<{ proc: SpawnedEmulator; host: WireHost }> {
  const proc = await spawnEmulator([
    "--state",
    dir,
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
    // Every fifth invoice is a small refund of invoice 1 (0.001 of its 1,000 RICE: 1 centime), so
    // credit sums and credited quantities are exercised too.
    const invoice = i % 5 === 4 ? credit(ref, 1, 0, { items: [REFUND_LINE] }) : sale(ref, 1_000 + i);
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
        const original = sale("K-ORIGINAL", 1_000, "SALE", 1_000);
        const first = await host.call("PREPARE", { invoice: original as never });
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

describe("SIGKILL inside COMMIT, between the journal insert and the counter move", () => {
  it("loses nothing: after the restart neither the row nor any counter moved, and the invoice seals again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stalela-kill-between-"));
    try {
      const first = await start(dir);
      await first.host.call("ACTIVATE", { bundle: bundleFor(first.proc.ready.device_id) });
      const p1 = await first.host.call("PREPARE", { invoice: sale("KB-1") as never });
      const one = await first.host.call("COMMIT", { nonce: p1.nonce, payload_hash: p1.payload_hash });
      const publicKey = (await first.host.call("INFO", {})).public_key;
      first.proc.child.kill("SIGTERM");
      await first.proc.exited;
      // A trigger that runs inside COMMIT's transaction right after the journal row is inserted and
      // holds it there (a cross join of 4·10^8 rows takes many seconds): the kill lands in between.
      slowDownJournalInsert(dir, true);

      const second = await start(dir);
      const invoice = sale("KB-2");
      const p2 = await second.host.call("PREPARE", { invoice: invoice as never });
      const committing = second.host.call("COMMIT", { nonce: p2.nonce, payload_hash: p2.payload_hash });
      committing.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 500));
      second.proc.child.kill("SIGKILL");
      expect((await second.proc.exited).signal).toBe("SIGKILL");
      await expect(committing).rejects.toThrow();
      slowDownJournalInsert(dir, false);

      const third = await start(dir);
      const status = await third.host.call("STATUS", {});
      expect(status.last_fiscal_number).toBe(1);
      expect(status.type_counters.SALE).toBe(1);
      expect(toHex(status.last_hash!)).toBe(toHex(recordHash(one.record)));
      const lost = await third.host.fail("GET_RECORD", { payload_hash: p2.payload_hash });
      expect(lost.code).toBe(ERRORS.RECORD_NOT_FOUND.code);
      expect((await third.host.call("SELF_TEST", {})).passed).toBe(true);
      const p3 = await third.host.call("PREPARE", { invoice: invoice as never });
      const two = openSealedRecord(
        await third.host.call("COMMIT", { nonce: p3.nonce, payload_hash: p3.payload_hash }),
        publicKey,
      );
      expect(two).toMatchObject({ fiscal_number: 2, type_number: 2, year_number: 2 });
      expect(toHex(two.prev_hash)).toBe(toHex(recordHash(one.record)));
      third.proc.child.kill("SIGTERM");
      expect((await third.proc.exited).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Installs (or removes) a trigger that keeps COMMIT's transaction busy after its journal insert. */
function slowDownJournalInsert(dir: string, on: boolean): void {
  const db = new Database(join(dir, FISCAL_MEMORY_FILE));
  try {
    if (on) {
      db.exec("CREATE TABLE ballast (x INTEGER) STRICT");
      const insert = db.prepare("INSERT INTO ballast (x) VALUES (?)");
      db.transaction(() => {
        for (let i = 0; i < 20_000; i++) insert.run(i);
      })();
      db.exec(`CREATE TRIGGER hold_after_insert AFTER INSERT ON journal
        BEGIN SELECT COUNT(*) FROM ballast a, ballast b; END`);
    } else {
      db.exec("DROP TRIGGER hold_after_insert; DROP TABLE ballast");
    }
  } finally {
    db.close();
  }
}

async function audit(
  host: WireHost,
  publicKey: Uint8Array,
  replied: Map<string, SealedRecord>,
): Promise<void> {
  const info = await host.call("INFO", {});
  let prev = genesisHash(info.activation!.bytes);
  const typeNumbers = new Map<string, number>();
  const yearNumbers = new Map<number, number>();
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
      if (record.v !== 2) throw new Error(`record ${record.fiscal_number} is not a record v2`);
      const yearNumber = (yearNumbers.get(record.fiscal_year) ?? 0) + 1;
      expect(record.year_number).toBe(yearNumber);
      yearNumbers.set(record.fiscal_year, yearNumber);
      expect(toHex(sha256(entry.invoice!))).toBe(toHex(record.payload_hash));
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
