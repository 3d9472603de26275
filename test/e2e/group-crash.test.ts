/**
 * A kill that lands in a group commit (issue 19): concurrent one-shot sales are sealed by the device
 * and committed to the store while the first fsync is slowed, so they wait together for the next
 * fsync; the daemon is SIGKILLed as that shared fsync is asked for (STALELA_CRASH_POINT=in-group,
 * cli/crash-points.ts). After a restart, before any POS retries, every record the device sealed is in
 * the store under its POS's key (none imported beside it); then each POS follows its retry table and
 * gets its one invoice back. Nothing lost, nothing sealed twice, the journal equal to the 201s.
 */
import { afterEach, expect, it } from "vitest";
import { type Answer, ask, CrashSystem, fiscaliseBasket, type Pos, traceOf } from "./crash-points.js";
import { sale } from "./system.js";

/** Sales sent at once: the first one's slow fsync lets the others commit behind it, as one group. */
const SALES = 8;
const FIRST_AMOUNT = 41_000;
/** Two processes, a crash, a restart and eight table walks: a hung case fails after this. */
const CASE_TIMEOUT_MS = 120_000;

let sys: CrashSystem | undefined;
afterEach(async () => {
  await sys?.stop();
  sys = undefined;
});

it(
  "a daemon killed while a group of committed seals waits for its fsync loses and duplicates nothing",
  async () => {
    const s = new CrashSystem();
    sys = s;
    await s.start({ daemonEnv: { STALELA_CRASH_POINT: "in-group" } });
    const poses: Pos[] = Array.from({ length: SALES }, (_, i) => ({
      mode: "one-shot",
      key: `GROUP-${i}`,
      body: sale(FIRST_AMOUNT + i),
    }));
    const first: (Answer | null)[] = await Promise.all(poses.map((pos) => ask(s, pos, "send")));
    expect((await s.daemon.exited).signal, "the crash point killed the daemon").toBe("SIGKILL");
    const answered = first.filter((a) => a?.status === 201).length;
    const sealedAtCrash = await s.lastFiscalNumber();
    // The kill landed in a group: at least two seals the device made were never answered.
    expect(sealedAtCrash - answered).toBeGreaterThanOrEqual(2);

    await s.startDaemon();
    await s.reconciled();
    const status = await s.api("GET", "/v1/status");
    // Committed before the kill (or attached to its key's row): nothing needed importing.
    expect(status.body.last_reconcile.imported).toBe(0);
    for (const [i, pos] of poses.entries()) {
      const records = await s.basketRecords(FIRST_AMOUNT + i);
      if (records.length === 0) continue;
      const stored = await s.api("GET", `/v1/invoices/${pos.key}`);
      expect(stored.body.state, `${pos.key}, sealed on the device, before any retry`).toBe("FISCALIZED");
      expect(stored.body.fiscal.fiscal_number).toBe(records[0]!.fiscal_number);
    }

    const outcomes = await Promise.all(
      poses.map((pos, i) => fiscaliseBasket(s, pos, FIRST_AMOUNT + i, "send")),
    );
    const journal = await s.deviceJournal();
    const invoices = (await s.allInvoices()).filter((inv) => inv.fiscal !== null);
    for (const [i, outcome] of outcomes.entries()) {
      const amount = FIRST_AMOUNT + i;
      expect.soft(outcome.end, `${poses[i]!.key}:\n${traceOf(outcome.steps)}`).toBe("fiscalized");
      expect.soft(outcome.finalKey).toBe(poses[i]!.key);
      expect.soft(journal.filter((r) => r.totals.total === amount)).toHaveLength(1);
    }
    // The journal holds one record per sale, each the store's, each under its POS's key.
    expect(journal).toHaveLength(SALES);
    expect(invoices.map((inv) => inv.idempotency_key).sort()).toEqual(poses.map((p) => p.key).sort());
    expect(new Set(invoices.map((inv) => inv.fiscal.fiscal_number)).size).toBe(SALES);
  },
  CASE_TIMEOUT_MS,
);
