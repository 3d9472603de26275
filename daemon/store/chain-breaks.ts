/**
 * Chain breaks reconciliation found: a journal record whose `prev_hash` is not the hash of the record
 * before it. Each is written once, with an audit entry, and stays an error condition of /v1/status
 * until a technician acknowledges it (`stalela journal ack`, docs/CLI.md): a broken chain is never
 * forgotten at the next reconciliation. Triggers refuse deletes and any change but the acknowledgement.
 */
import type { AuditLog } from "./audit.js";
import { type Db, statement } from "./database.js";

/** One chain break as stored. */
export interface ChainBreak {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly found_at: number;
  readonly acknowledged_at: number | null;
  readonly acknowledged_by: string | null;
}

/** Records, lists and acknowledges chain breaks. */
export class ChainBreaks {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a break at `fiscalNumber` (its record does not chain to the one before); once per record. */
  record(deviceId: string, fiscalNumber: number, actor: string): void {
    this.db
      .transaction(() => {
        const added = statement(
          this.db,
          "INSERT OR IGNORE INTO chain_breaks (device_id, fiscal_number, found_at) VALUES (?, ?, ?)",
        ).run(deviceId, fiscalNumber, this.now()).changes;
        if (added > 0) {
          this.audit.append(actor, "journal.chain-break", {
            device_id: deviceId,
            fiscal_number: fiscalNumber,
          });
        }
      })
      .immediate();
  }

  /** How many breaks no technician has acknowledged yet. */
  unacknowledged(): number {
    return (
      statement(this.db, "SELECT COUNT(*) AS n FROM chain_breaks WHERE acknowledged_at IS NULL").get() as {
        n: number;
      }
    ).n;
  }

  /** Every break, oldest first. */
  list(): ChainBreak[] {
    return statement(this.db, "SELECT * FROM chain_breaks ORDER BY id").all() as ChainBreak[];
  }

  /**
   * Acknowledges the open breaks (all, or the one at `fiscalNumber`) in the technician's name, with an
   * audit entry; returns how many were acknowledged.
   */
  acknowledge(actor: string, fiscalNumber?: number): number {
    return this.db
      .transaction(() => {
        const at = this.now();
        const changed =
          fiscalNumber === undefined
            ? statement(
                this.db,
                "UPDATE chain_breaks SET acknowledged_at = ?, acknowledged_by = ? WHERE acknowledged_at IS NULL",
              ).run(at, actor).changes
            : statement(
                this.db,
                `UPDATE chain_breaks SET acknowledged_at = ?, acknowledged_by = ?
                   WHERE acknowledged_at IS NULL AND fiscal_number = ?`,
              ).run(at, actor, fiscalNumber).changes;
        if (changed > 0) {
          this.audit.append(actor, "journal.chain-break-ack", {
            fiscal_number: fiscalNumber ?? "all",
            count: changed,
          });
        }
        return changed;
      })
      .immediate();
  }
}
