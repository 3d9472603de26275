/**
 * The append-only audit log of administrative actions (keys, activation, manual retries). Triggers
 * in the schema refuse updates and deletes.
 */
import type { Db } from "./database.js";

/** One audit entry. */
export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly details: Record<string, unknown>;
}

/** Appends and reads audit entries. Call `append` inside the transaction of the action it records. */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records an action. */
  append(actor: string, action: string, details: Record<string, unknown>): void {
    this.db
      .prepare("INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, ?, ?)")
      .run(this.now(), actor, action, JSON.stringify(details));
  }

  /** The latest entries, newest first. */
  latest(limit = 100): AuditEntry[] {
    const rows = this.db.prepare("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?").all(limit) as {
      id: number;
      at: number;
      actor: string;
      action: string;
      details_json: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      details: JSON.parse(r.details_json) as Record<string, unknown>,
    }));
  }
}
