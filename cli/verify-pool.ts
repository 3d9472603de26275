/**
 * The worker threads of `stalela verify --threads N` (docs/CLI.md): the entries' own checks (two
 * Ed25519 verifications, decoding, the record's rules: almost all of the cost) run on N threads in
 * batches, while the caller's thread reads the file and runs the checks across entries on the
 * verdicts in file order (protocol/audit/entry-pipeline.ts), so the report is the one-thread report.
 * The pool is piscina: a worker that dies rejects its batch, and the verification fails rather than
 * hang or guess.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { EntryBatch, EntryChecks, EntryVerdict } from "../protocol/index.js";

/**
 * Entries per task: at ~0.3 ms of checks per entry a batch is ~150 ms of work, against well under a
 * millisecond to hand it over and clone its verdicts back.
 */
export const ENTRIES_PER_BATCH = 512;
/** Batches handed out per thread before the oldest is awaited: one to work on, one queued behind it. */
export const BATCHES_IN_FLIGHT_PER_THREAD = 2;

/**
 * The worker's file. Next to this one in dist/ (how the CLI ships); from the TypeScript sources (the
 * tests), the built one: a thread gets none of vitest's transform, and Node 20 cannot run .ts.
 */
export function verifyWorkerFile(): string {
  const here = import.meta.url;
  const built = here.endsWith(".ts") ? "../dist/cli/verify-worker.cjs" : "./verify-worker.cjs";
  return fileURLToPath(new URL(built, here));
}

/** A batch no verification thread could check (the thread died, or the pool was stopped). */
export class EntryCheckThreadError extends Error {
  override readonly name = "EntryCheckThreadError";
}

/** Options of `ExportCheckPool`. */
export interface ExportCheckPoolOptions {
  /** Entries per batch (default ENTRIES_PER_BATCH); tests use small ones to cross many batches. */
  readonly entriesPerBatch?: number;
}

/** Entry checks on `threads` worker threads. `start()` first, `stop()` at the end. */
export class ExportCheckPool implements EntryChecks {
  readonly entriesPerBatch: number;
  readonly batchesInFlight: number;
  private pool: Piscina<EntryBatch, (EntryVerdict | null)[]> | null = null;

  constructor(
    readonly threads: number,
    options: ExportCheckPoolOptions = {},
  ) {
    this.entriesPerBatch = options.entriesPerBatch ?? ENTRIES_PER_BATCH;
    this.batchesInFlight = threads * BATCHES_IN_FLIGHT_PER_THREAD;
  }

  /** Starts the threads. */
  start(): void {
    const filename = verifyWorkerFile();
    if (!existsSync(filename)) throw new Error(`${filename} is missing: run npm run build first`);
    this.pool = new Piscina({ filename, minThreads: this.threads, maxThreads: this.threads });
  }

  /** Checks one batch on a free thread (`checkEntryBatch` there); rejects with EntryCheckThreadError. */
  async check(batch: EntryBatch): Promise<readonly (EntryVerdict | null)[]> {
    if (this.pool === null) throw new EntryCheckThreadError("the verification threads are not started");
    try {
      return await this.pool.run(batch);
    } catch (err) {
      throw new EntryCheckThreadError(`a verification thread failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Stops the threads; batches still out are rejected (EntryCheckThreadError), never left waiting. */
  async stop(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }
}
