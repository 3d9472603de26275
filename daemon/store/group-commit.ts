/**
 * Group commit: seals that complete close together share one fsync, and no fsync blocks the event loop.
 *
 * A durable write is committed at once, in its own immediate transaction, with synchronous=NORMAL: the
 * WAL frames are in the OS's page cache, so the write survives a crash of the process, and every later
 * read sees it. It is durable — it survives a power cut — once the WAL file has been fsync'd after the
 * commit, which is exactly what synchronous=FULL does inside the commit. Here that fsync runs on
 * libuv's thread pool; the write's promise resolves only when an fsync that BEGAN AFTER its commit has
 * completed. Writes committed while an fsync runs wait for the next one, which then covers them all:
 * under load, one fsync per group rather than one per invoice, and none on the event loop.
 *
 * Why an fsync of the WAL file is enough: in WAL mode a transaction is the frames appended to the WAL
 * up to its commit frame; the database file only changes at a checkpoint, and SQLite fsyncs the WAL
 * itself before any checkpoint copies it (synchronous=NORMAL), so a frame is either still in the WAL
 * (our fsync covers it: fsync flushes the file, whichever descriptor wrote it) or already in a
 * checkpointed, fsync'd database file. The WAL is never deleted while the daemon's connection is open.
 *
 * A caller answers its POS only after the promise resolves (FiscalService): durable before 201.
 */
import { closeSync, fdatasync, openSync } from "node:fs";
import { FiscalError } from "../../protocol/index.js";
import type { Db } from "./database.js";

/** Flushes a file descriptor to the disk, calling back when done (fs.fdatasync by default). */
export type SyncFile = (fd: number, done: (err: Error | null) => void) => void;

/** What the group commit has done, for /metrics and the bench. */
export interface GroupCommitCounters {
  /** Durable writes committed. */
  writes: number;
  /** fsyncs that made them durable. */
  syncs: number;
}

/** Durable writes on one connection, grouped under shared fsyncs of its WAL. */
export class GroupCommit {
  readonly counters: GroupCommitCounters = { writes: 0, syncs: 0 };
  private fd: number | undefined;
  /** The fsync running now. */
  private running: Promise<void> | undefined;
  /** The fsync the writes committed while `running` runs wait for; it starts when `running` ends. */
  private queued: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly syncFile: SyncFile = fdatasync,
  ) {}

  /**
   * Runs `write` now as one immediate transaction (a throw rolls it back and rejects) and resolves with
   * its result once it is on the disk. Without a WAL file (an in-memory store) it commits with FULL.
   */
  async durable<T>(write: () => T): Promise<T> {
    const fd = this.walFd();
    if (fd === undefined) return this.db.transaction(write).immediate();
    this.db.pragma("synchronous = NORMAL");
    let result: T;
    try {
      result = this.db.transaction(write).immediate();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
    this.counters.writes++;
    await this.flushed(fd);
    return result;
  }

  /** Waits for the fsyncs in flight, then closes the WAL's descriptor (before the store closes). */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** An fsync that begins after now and has completed. */
  private flushed(fd: number): Promise<void> {
    if (this.running === undefined) return this.start(fd);
    // The running fsync may have begun before this commit: only the next one is sure to cover it.
    this.queued ??= this.running.then(
      () => this.startQueued(fd),
      () => this.startQueued(fd),
    );
    return this.queued;
  }

  private startQueued(fd: number): Promise<void> {
    this.queued = undefined;
    return this.start(fd);
  }

  private start(fd: number): Promise<void> {
    const sync = new Promise<void>((resolve, reject) => {
      this.counters.syncs++;
      this.syncFile(fd, (err) =>
        err
          ? // The disk refused the flush (EIO, ENOSPC): the write may not survive a power cut, so it is
            // not reported durable. It stays committed; the device journal holds the record anyway.
            reject(
              new FiscalError("STORAGE_FAILURE", `the store could not be flushed to disk: ${err.message}`),
            )
          : resolve(),
      );
    });
    const done = sync.finally(() => {
      if (this.running === done) this.running = undefined;
    });
    this.running = done;
    return done;
  }

  private walFd(): number | undefined {
    if (this.fd !== undefined) return this.fd;
    if (this.db.memory) return undefined;
    try {
      this.fd = openSync(`${this.db.name}-wal`, "r+");
    } catch {
      // No WAL yet (nothing was ever written): this write commits with FULL; the next opens it.
      return undefined;
    }
    return this.fd;
  }
}
