/**
 * Reconciliation with the device journal, at start-up and after every reconnect:
 *   1. settle every invoice left PREPARING/PREPARED (sealed on the device → FISCALIZED, else ABORTED),
 *      except a two-step invoice whose nonce the device still holds: its POS may still commit it;
 *   2. import every journal record the store lacks (a crash right after COMMIT, a restored backup),
 *      verifying its signature and its chain link;
 *   3. abort pending PREPAREs on the device that no live invoice owns.
 * The device journal is the authority: reconciliation only ever adds what it proves.
 */
import { openSealedRecord, recordHash } from "../../protocol/index.js";
import type { InvoiceStore } from "../store/invoice-store.js";
import type { DevicePort } from "./device-port.js";
import type { DeviceIdentity } from "./identity.js";
import type { FiscalService } from "./service.js";

/** Most records asked per JOURNAL_READ during import. */
export const RECONCILE_PAGE = 32;

/** What one reconciliation did. */
export interface ReconcileReport {
  readonly at: string;
  readonly device_last_fiscal_number: number;
  readonly settled_sealed: number;
  readonly settled_aborted: number;
  readonly left_pending: number;
  readonly imported: number;
  readonly chain_breaks: number;
  readonly stale_nonces_aborted: number;
  readonly duration_ms: number;
}

/** Runs reconciliations; one at a time. */
export class Reconciler {
  private running: Promise<ReconcileReport> | undefined;
  /** The last completed reconciliation, for /v1/status. */
  last: ReconcileReport | undefined;

  constructor(
    private readonly store: InvoiceStore,
    private readonly device: DevicePort,
    private readonly service: FiscalService,
    private readonly identity: DeviceIdentity,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reconciles now, or joins the reconciliation already running. */
  run(): Promise<ReconcileReport> {
    if (this.running === undefined) {
      this.running = this.reconcile().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async reconcile(): Promise<ReconcileReport> {
    const started = this.now();
    const { deviceId, publicKey } = this.identity.require();
    const pending = (await this.device.listPending()).pending;
    const pendingHashes = new Set(pending.map((p) => Buffer.from(p.payload_hash).toString("hex")));
    let settledSealed = 0;
    let settledAborted = 0;
    let leftPending = 0;
    const liveHashes = new Set<string>();
    for (const row of this.store.openInvoices()) {
      const hash = Buffer.from(row.payload_hash).toString("hex");
      const twoStepLive =
        row.state === "PREPARED" &&
        row.commit_before !== null &&
        row.commit_before > this.now() &&
        pendingHashes.has(hash);
      if (twoStepLive && row.mode === "two-step") {
        leftPending++;
        liveHashes.add(hash);
        continue;
      }
      const settled = await this.service.settleOpen(row, "reconciliation");
      if (settled.state === "ABORTED") settledAborted++;
      else if (settled.state !== "PREPARING" && settled.state !== "PREPARED") settledSealed++;
    }

    const status = await this.device.status();
    let imported = 0;
    let chainBreaks = 0;
    let next: number | null = this.store.firstGap(deviceId) ?? this.store.journalExtent(deviceId).max + 1;
    while (next !== null && next <= status.last_fiscal_number) {
      const page = await this.device.readJournal(next, RECONCILE_PAGE);
      for (const entry of page.entries) {
        const record = openSealedRecord(entry, publicKey);
        if (this.store.recordByNumber(deviceId, record.fiscal_number) !== undefined) continue;
        const previous = this.store.recordByNumber(deviceId, record.fiscal_number - 1);
        if (previous !== undefined && Buffer.compare(recordHash(previous.record), record.prev_hash) !== 0)
          chainBreaks++;
        this.store.importRecord(record, entry);
        imported++;
      }
      next = page.entries.length === 0 ? null : page.next;
    }

    let staleAborted = 0;
    for (const p of pending) {
      if (liveHashes.has(Buffer.from(p.payload_hash).toString("hex"))) continue;
      try {
        await this.device.abort(p.nonce);
        staleAborted++;
      } catch {
        // Already expired or consumed since LIST_PENDING: nothing left to abort.
      }
    }
    this.last = {
      at: new Date(started).toISOString(),
      device_last_fiscal_number: status.last_fiscal_number,
      settled_sealed: settledSealed,
      settled_aborted: settledAborted,
      left_pending: leftPending,
      imported,
      chain_breaks: chainBreaks,
      stale_nonces_aborted: staleAborted,
      duration_ms: this.now() - started,
    };
    return this.last;
  }
}
