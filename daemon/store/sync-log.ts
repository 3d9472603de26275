/**
 * The append-only log of upload attempts (migration 2, `sync_attempts`): time, batch, outcome and
 * error of every attempt, which the DGI's surveillance rules ask the service to keep (seed
 * 000_6b323b98522d8959). Triggers refuse updates and deletes.
 */
import type { Db } from "./database.js";

/** How an attempt ended. */
export type AttemptOutcome = "ok" | "partial" | "unreachable" | "cloud-error" | "auth-refused";

/** One attempt, as appended. */
export interface SyncAttempt {
  readonly at: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly items: number;
  readonly outcome: AttemptOutcome;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly error: string | null;
  readonly durationMs: number;
}

/** One attempt as read back. */
export interface SyncAttemptRow {
  readonly id: number;
  readonly at: number;
  readonly first_seq: number;
  readonly last_seq: number;
  readonly items: number;
  readonly outcome: AttemptOutcome;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly error: string | null;
  readonly duration_ms: number;
}

/** Appends and reads sync attempts. */
export class SyncAttemptLog {
  constructor(private readonly db: Db) {}

  /** Appends one attempt (its own small transaction: the log must survive a crash right after). */
  append(a: SyncAttempt): void {
    this.db
      .prepare(
        `INSERT INTO sync_attempts (at, first_seq, last_seq, items, outcome, accepted, duplicate, rejected, error,
           duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.at,
        a.firstSeq,
        a.lastSeq,
        a.items,
        a.outcome,
        a.accepted,
        a.duplicate,
        a.rejected,
        a.error,
        a.durationMs,
      );
  }

  /** The latest attempts, newest first. */
  latest(limit = 100): SyncAttemptRow[] {
    return this.db
      .prepare("SELECT * FROM sync_attempts ORDER BY id DESC LIMIT ?")
      .all(limit) as SyncAttemptRow[];
  }

  /** The attempts whose batch held queue row `seq`, newest first: one invoice's upload history. */
  covering(seq: number, limit = 50): SyncAttemptRow[] {
    return this.db
      .prepare("SELECT * FROM sync_attempts WHERE first_seq <= ? AND last_seq >= ? ORDER BY id DESC LIMIT ?")
      .all(seq, seq, limit) as SyncAttemptRow[];
  }

  /** Time of the last attempt the cloud answered (ok or partial), or undefined when there was none. */
  lastContactAt(): number | undefined {
    const row = this.db
      .prepare("SELECT MAX(at) AS at FROM sync_attempts WHERE outcome IN ('ok', 'partial')")
      .get() as { at: number | null };
    return row.at ?? undefined;
  }

  /** Totals per outcome over the whole log. */
  totals(): { accepted: number; duplicate: number; rejected: number; attempts: number } {
    return this.db
      .prepare(
        `SELECT COALESCE(SUM(accepted), 0) AS accepted, COALESCE(SUM(duplicate), 0) AS duplicate,
           COALESCE(SUM(rejected), 0) AS rejected, COUNT(*) AS attempts FROM sync_attempts`,
      )
      .get() as { accepted: number; duplicate: number; rejected: number; attempts: number };
  }
}
