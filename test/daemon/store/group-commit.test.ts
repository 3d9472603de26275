/**
 * The group commit (daemon/store/group-commit.ts): a durable write is committed at once and resolves
 * only after an fsync of the WAL that began after its commit; the writes committed while an fsync
 * runs share the next one. The fsync is injected, so each test holds and releases it by hand.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, openDatabase } from "../../../daemon/store/database.js";
import { GroupCommit } from "../../../daemon/store/group-commit.js";
import { isFiscalError } from "../../../protocol/index.js";
import { track } from "../../support/settle.js";

/** An fsync held until the test releases it; `fds` are the descriptors it was asked to flush. */
class HeldSync {
  readonly calls: { fd: number; done: (err: Error | null) => void }[] = [];
  readonly sync = (fd: number, done: (err: Error | null) => void): void => {
    this.calls.push({ fd, done });
  };
  release(i: number, err: Error | null = null): void {
    this.calls[i]!.done(err);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

let dir: string;
let db: Db;
let held: HeldSync;
let group: GroupCommit;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stalela-group-"));
  db = openDatabase(join(dir, "store.sqlite"));
  db.exec("CREATE TABLE t (n INTEGER NOT NULL)");
  held = new HeldSync();
  group = new GroupCommit(db, held.sync);
});
afterEach(async () => {
  for (const call of held.calls) call.done(null);
  await group.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const insert = (n: number) => () => db.prepare("INSERT INTO t (n) VALUES (?)").run(n).changes;

describe("group commit", () => {
  it("commits at once, and resolves only when an fsync begun after the commit has completed", async () => {
    const first = group.durable(insert(1));
    const done = track(first).settled;
    // Committed: another connection (another process) reads it before any fsync completed.
    const other = new Database(join(dir, "store.sqlite"), { readonly: true });
    expect(other.prepare("SELECT n FROM t").all()).toEqual([{ n: 1 }]);
    other.close();
    expect(held.calls).toHaveLength(1);
    await turn();
    expect(done()).toBe(false);
    held.release(0);
    await expect(first).resolves.toBe(1);
  });

  it("makes the writes committed during an fsync wait for the next one, which covers them all", async () => {
    const first = group.durable(insert(1));
    const second = group.durable(insert(2));
    const third = group.durable(insert(3));
    const [s1, s2, s3] = [track(first).settled, track(second).settled, track(third).settled];
    expect(held.calls).toHaveLength(1);
    held.release(0);
    await first;
    await turn();
    // The first fsync may have begun before the second and third commits: they are not durable yet.
    expect([s1(), s2(), s3()]).toEqual([true, false, false]);
    expect(held.calls).toHaveLength(2);
    held.release(1);
    await Promise.all([second, third]);
    expect(group.counters).toEqual({ writes: 3, syncs: 2 });
    // Every fsync was of the store's WAL file, whichever descriptor SQLite wrote it with.
    expect(new Set(held.calls.map((c) => c.fd)).size).toBe(1);
  });

  it("reports a failed fsync as STORAGE_FAILURE, and the next write gets its own", async () => {
    const first = group.durable(insert(1));
    held.release(0, Object.assign(new Error("EIO: i/o error"), { code: "EIO" }));
    const error = await first.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isFiscalError(error, "STORAGE_FAILURE")).toBe(true);
    expect((error as Error).message).toContain("EIO");
    const second = group.durable(insert(2));
    expect(held.calls).toHaveLength(2);
    held.release(1);
    await expect(second).resolves.toBe(1);
  });

  it("rolls back a write that throws, and asks no fsync for it", async () => {
    const failing = group.durable(() => {
      insert(9)();
      throw new Error("the write fails half-way");
    });
    await expect(failing).rejects.toThrow("half-way");
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 0 });
    expect(held.calls).toHaveLength(0);
  });

  it("closes only after the fsyncs in flight", async () => {
    const write = group.durable(insert(1));
    const closed = track(group.close()).settled;
    await turn();
    expect(closed()).toBe(false);
    held.release(0);
    await write;
    await turn();
    expect(closed()).toBe(true);
  });
});
