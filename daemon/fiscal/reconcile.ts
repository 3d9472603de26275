/**
 * Reconciliation with the device journal, at start-up and after every reconnect:
 *   1. settle every invoice left PREPARING/PREPARED (sealed on the device → FISCALIZED, else ABORTED),
 *      under its key's lock and re-read there, except a two-step invoice whose nonce the device holds
 *      at that moment: its POS may still commit it;
 *   2. import every journaled report (Z, closures) the store lacks, verified (daemon/reports/), then
 *      every journal record the store lacks (a crash right after COMMIT, a restored backup), verifying
 *      its signature and its chain link, which may pass through those reports (PROTOCOL.md §13.1). A
 *      record of a payload the store knows unsealed is attached to that invoice, never imported beside
 *      it; a broken chain link is recorded (audit log and a status condition until a technician
 *      acknowledges it);
 *   3. abort pending PREPAREs on the device that no open invoice owns.
 * The device journal is the authority: reconciliation only ever adds what it proves.
 */
import {
  chainTipAfter,
  decodeReport,
  openSealedRecord,
  type ReportLink,
  recordHash,
  toHex,
} from "../../protocol/index.js";
import type { ChainBreaks } from "../store/chain-breaks.js";
import type { FiscalReports } from "../store/fiscal-reports.js";
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
  /** Records of known invoices found sealed in the journal and attached to them. */
  readonly attached: number;
  readonly chain_breaks: number;
  /** Journaled reports (Z, closures) found on the device and stored. */
  readonly reports_imported: number;
  readonly stale_nonces_aborted: number;
  readonly duration_ms: number;
}

/** The journaled reports of the store, and how to import the device's (daemon/reports/day-reports.ts). */
export interface ReconcileReports {
  readonly store: FiscalReports;
  importJournaled(source: string): Promise<number>;
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
    private readonly breaks: ChainBreaks,
    private readonly now: () => number = Date.now,
    private readonly reports?: ReconcileReports,
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
    let settledSealed = 0;
    let settledAborted = 0;
    let leftPending = 0;
    for (const row of this.store.openInvoices()) {
      const settled = await this.service.settleOpen(row, "reconciliation");
      if (settled.state === "ABORTED") settledAborted++;
      else if (settled.state === "PREPARING" || settled.state === "PREPARED") leftPending++;
      else settledSealed++;
    }

    const reportsImported = (await this.reports?.importJournaled("reconciliation")) ?? 0;
    const status = await this.device.status();
    let imported = 0;
    let attached = 0;
    let chainBreaks = 0;
    let next: number | null = this.store.firstGap(deviceId) ?? this.store.journalExtent(deviceId).max + 1;
    while (next !== null && next <= status.last_fiscal_number) {
      const page = await this.device.readJournal(next, RECONCILE_PAGE);
      for (const entry of page.entries) {
        const record = openSealedRecord(entry, publicKey);
        if (this.store.recordByNumber(deviceId, record.fiscal_number) !== undefined) continue;
        const previous = this.store.recordByNumber(deviceId, record.fiscal_number - 1);
        if (
          previous !== undefined &&
          this.expectedPrev(deviceId, previous.fiscal_number, previous.record) !== toHex(record.prev_hash)
        ) {
          chainBreaks++;
          this.breaks.record(deviceId, record.fiscal_number, "reconciliation");
        }
        if (await this.service.attachJournalRecord(record, entry)) attached++;
        else {
          this.store.importRecord(record, entry);
          imported++;
        }
      }
      next = page.entries.length === 0 ? null : page.next;
    }

    let staleAborted = 0;
    for (const p of pending) {
      // Re-read: an invoice prepared since the snapshot owns its nonce now.
      if (this.store.openByNonce(p.nonce) ?? this.store.openByPayloadHash(p.payload_hash)) continue;
      // A one-shot sale between its PREPARE's answer and its first write owns it too (FiscalService).
      if (this.service.preparing(p.payload_hash)) continue;
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
      attached,
      chain_breaks: chainBreaks,
      reports_imported: reportsImported,
      stale_nonces_aborted: staleAborted,
      duration_ms: this.now() - started,
    };
    return this.last;
  }

  /** What the record after `fiscalNumber` must name: that record's hash, or the last report after it. */
  private expectedPrev(deviceId: string, fiscalNumber: number, recordBytes: Uint8Array): string {
    const links: ReportLink[] = (this.reports?.store.placedAfter(deviceId, fiscalNumber) ?? []).map((r) => ({
      hash: toHex(r.recordHash),
      prev: toHex(decodeReport(r.sealed.record).prev_hash),
    }));
    return chainTipAfter(toHex(recordHash(recordBytes)), links);
  }
}
