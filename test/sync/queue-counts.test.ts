/**
 * The outbox depth behind status is kept by triggers (migration 3) instead of being counted: after any
 * sequence of seals, acks, rejections, failures and manual retries it must equal a real count, and a
 * store upgraded from version 2 must start from the real count.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase, SCHEMA_VERSION } from "../../daemon/store/database.js";
import { InvoiceStore } from "../../daemon/store/invoice-store.js";
import { SyncQueue } from "../../daemon/store/sync-queue.js";
import { SyntheticDevice } from "../../emulator/cloud/synthetic.js";
import { openStoreAtVersion } from "../daemon/store/old-store.js";
import { SHOP } from "./fixtures.js";

let dir: string;
let db: Db;
let store: InvoiceStore;
let queue: SyncQueue;
let device: SyntheticDevice;

function open(): void {
  db = openDatabase(join(dir, "d.sqlite"));
  store = new InvoiceStore(db);
  queue = new SyncQueue(db, store);
}

function seal(n: number): void {
  for (let i = 0; i < n; i++) {
    const { record, sealed } = device.seal("CASHIER-1");
    store.importRecord(record, sealed);
  }
}

/** The depth by a full count, as summary() reported it before migration 3. */
function counted(): { pending: number; failed: number; acked: number } {
  const rows = db.prepare("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status").all() as {
    status: string;
    n: number;
  }[];
  const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
  return { pending: by.PENDING ?? 0, failed: by.FAILED ?? 0, acked: by.ACKED ?? 0 };
}

function ids(status: string): string[] {
  return (
    db.prepare("SELECT invoice_id FROM outbox WHERE status = ? ORDER BY seq").all(status) as {
      invoice_id: string;
    }[]
  ).map((r) => r.invoice_id);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-counts-"));
  device = new SyntheticDevice("SYN-DEF-7", SHOP);
  device.activate(new Uint8Array(8));
  open();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

type Op =
  | { kind: "seal"; n: number }
  | { kind: "ack"; pick: number; outcome: "accepted" | "duplicate" | "rejected" }
  | { kind: "fail"; pick: number; counts: boolean }
  | { kind: "retry"; all: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("seal" as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.record({
    kind: fc.constant("ack" as const),
    pick: fc.nat(),
    outcome: fc.constantFrom("accepted" as const, "duplicate" as const, "rejected" as const),
  }),
  fc.record({ kind: fc.constant("fail" as const), pick: fc.nat(), counts: fc.boolean() }),
  fc.record({ kind: fc.constant("retry" as const), all: fc.boolean() }),
);

describe("outbox depth kept by triggers", () => {
  it("equals a real count after any sequence of seals, acks, failures and retries", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => {
        for (const op of ops) {
          const pending = ids("PENDING");
          const pick = "pick" in op ? op.pick : 0;
          const target = pending.length > 0 ? [pending[pick % pending.length]!] : [];
          if (op.kind === "seal") seal(op.n);
          else if (op.kind === "ack" && target.length > 0)
            queue.applyAcks(target.map((invoiceId) => ({ invoiceId, outcome: op.outcome, dgiStatus: null })));
          else if (op.kind === "fail") queue.recordFailure(target, "test", Date.now(), op.counts, 2);
          else if (op.kind === "retry") queue.retry(op.all ? undefined : ids("FAILED").slice(0, 1));
          const { oldestPendingAt: _, ...depth } = queue.summary();
          expect(depth).toEqual(counted());
        }
      }),
      { numRuns: 40 },
    );
  });

  it("starts from the real count when a version-2 store is upgraded", () => {
    // A store as the release before migration 3 wrote it: version 2, filled without the triggers.
    db.close();
    rmSync(join(dir, "d.sqlite"));
    db = openStoreAtVersion(join(dir, "d.sqlite"), 2);
    store = new InvoiceStore(db);
    queue = new SyncQueue(db, store);
    seal(7);
    queue.applyAcks(
      ids("PENDING")
        .slice(0, 3)
        .map((invoiceId) => ({ invoiceId, outcome: "accepted", dgiStatus: null })),
    );
    queue.applyAcks([{ invoiceId: ids("PENDING")[0]!, outcome: "rejected", dgiStatus: null }]);
    seal(2);
    expect(counted()).toEqual({ pending: 5, failed: 1, acked: 3 });
    db.close();
    open();
    expect(db.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(queue.summary()).toMatchObject({ pending: 5, failed: 1, acked: 3 });
    seal(1);
    expect(queue.summary()).toMatchObject({ pending: 6, failed: 1, acked: 3 });
  });
});
