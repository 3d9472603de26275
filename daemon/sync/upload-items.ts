/**
 * Builds the upload items of a batch from outbox rows, and matches the cloud's acks back to them.
 * The fiscal identifiers are taken from the signed record itself (never from mutable daemon state),
 * so what the cloud stores next to a record always agrees with what the device signed. An ack counts
 * only when it names an item of the batch it answers AND carries the hash of the record bytes sent
 * for that item: anything else is a mismatch (CLOUD_ACK_MISMATCH), never an ACK.
 */
import type { Logger } from "pino";
import { decodeStored, ERRORS, type FiscalRecord, sha256, toBase64Url } from "../../protocol/index.js";
import type { QueuedRecord, RowAck } from "../store/sync-queue.js";
import { ACK_OUTCOMES, type UploadAck, type UploadItem } from "./contract.js";

/** The contract item for one queued row. */
export function uploadItemOf(row: QueuedRecord): UploadItem {
  // The record was checked (canonical, schema, signature) when it was sealed and stored; only its
  // identifiers are read here, so the canonical re-encoding is not paid again.
  const record = decodeStored(row.record) as unknown as Pick<
    FiscalRecord,
    "merchant_nif" | "outlet_id" | "fiscal_authority_id"
  >;
  return {
    device_id: row.device_id,
    fiscal_number: row.fiscal_number,
    fiscal_authority_id: record.fiscal_authority_id,
    outlet_id: record.outlet_id,
    merchant_nif: record.merchant_nif,
    cashier_id: row.cashier_id,
    api_key_id: row.api_key_id,
    invoice_id: row.invoice_id,
    record: toBase64Url(row.record),
    signature: toBase64Url(row.signature),
    auth_code: row.auth_code,
    qr: row.qr,
    invoice: row.payload === null ? null : toBase64Url(row.payload),
  };
}

/** The key acks are matched by. */
export function ackKey(deviceId: string, fiscalNumber: number): string {
  return `${deviceId}#${fiscalNumber}`;
}

/** base64url(SHA-256(record bytes)): what an ack must carry for the record it acknowledges. */
export function recordHashOf(record: Uint8Array): string {
  return toBase64Url(sha256(record));
}

/** Why an ack was not taken. */
export type AckMismatchReason = "not-in-batch" | "hash-mismatch" | "repeated" | "unknown-outcome";

/** One ack that matches no record of the batch as sent. */
export interface AckMismatch {
  readonly reason: AckMismatchReason;
  readonly device_id: string;
  readonly fiscal_number: number;
  /** The batch row it named, if any. */
  readonly invoice_id: string | null;
  /** What the ack carried and what the daemon sent (null when the item is not in the batch). */
  readonly record_hash: string;
  readonly expected_hash: string | null;
}

/** A batch's answer sorted out: acks to apply, rows that stay unacked, and the mismatches. */
export interface MatchedAcks {
  readonly acks: RowAck[];
  /** Invoice ids of the rows with no valid ack: they stay PENDING and are sent again. */
  readonly unacked: string[];
  readonly mismatches: AckMismatch[];
}

const OUTCOMES: ReadonlySet<string> = new Set(ACK_OUTCOMES);

/**
 * Matches `acks` to the rows of the batch that was sent. A row is acked only by exactly one ack with
 * its (device_id, fiscal_number), a known outcome and the hash of its record bytes; a row named by
 * two acks takes neither (the cloud contradicts itself). The outcome check is kept although the
 * client's schema already refuses unknown outcomes, because any CloudPort may be plugged in.
 */
export function matchAcks(batch: readonly QueuedRecord[], acks: readonly UploadAck[]): MatchedAcks {
  const rows = new Map(batch.map((row) => [ackKey(row.device_id, row.fiscal_number), row]));
  const seen = new Map<string, UploadAck[]>();
  const mismatches: AckMismatch[] = [];
  for (const ack of acks) {
    const key = ackKey(ack.device_id, ack.fiscal_number);
    if (!rows.has(key)) {
      mismatches.push(mismatch(ack, "not-in-batch", undefined));
      continue;
    }
    const list = seen.get(key);
    if (list === undefined) seen.set(key, [ack]);
    else list.push(ack);
  }
  const matched: RowAck[] = [];
  const unacked: string[] = [];
  for (const [key, row] of rows) {
    const named = seen.get(key);
    if (named === undefined) {
      unacked.push(row.invoice_id);
      continue;
    }
    const expected = recordHashOf(row.record);
    if (named.length > 1) {
      for (const ack of named) mismatches.push(mismatch(ack, "repeated", row, expected));
      unacked.push(row.invoice_id);
      continue;
    }
    const ack = named[0]!;
    const reason: AckMismatchReason | undefined = !OUTCOMES.has(ack.outcome)
      ? "unknown-outcome"
      : ack.record_hash !== expected
        ? "hash-mismatch"
        : undefined;
    if (reason !== undefined) {
      mismatches.push(mismatch(ack, reason, row, expected));
      unacked.push(row.invoice_id);
      continue;
    }
    matched.push({
      invoiceId: row.invoice_id,
      outcome: ack.outcome,
      reason: ack.reason,
      dgiStatus: ack.dgi_status,
    });
  }
  return { acks: matched, unacked, mismatches };
}

function mismatch(
  ack: UploadAck,
  reason: AckMismatchReason,
  row: QueuedRecord | undefined,
  expected?: string,
): AckMismatch {
  return {
    reason,
    device_id: String(ack.device_id),
    fiscal_number: Number(ack.fiscal_number),
    invoice_id: row?.invoice_id ?? null,
    record_hash: String(ack.record_hash),
    expected_hash: expected ?? null,
  };
}

/** Mismatching acks logged one by one per attempt; the rest are counted in one summary line. */
export const MAX_MISMATCH_LOGS_PER_ATTEMPT = 20;

/**
 * Logs an answer's mismatching acks at error, each with code CLOUD_ACK_MISMATCH (507) and the item:
 * an invoice batch's (`AckMismatch`) or a report upload's (report-items.ts `ReportAckMismatch`).
 */
export function logAckMismatches(logger: Logger, batch: object, mismatches: readonly object[]): void {
  const code = "CLOUD_ACK_MISMATCH";
  const errorCode = ERRORS.CLOUD_ACK_MISMATCH.code;
  for (const item of mismatches.slice(0, MAX_MISMATCH_LOGS_PER_ATTEMPT)) {
    logger.error({ code, errorCode, batch, item }, "cloud ack matches no record sent: not taken");
  }
  if (mismatches.length > MAX_MISMATCH_LOGS_PER_ATTEMPT) {
    const more = mismatches.length - MAX_MISMATCH_LOGS_PER_ATTEMPT;
    logger.error({ code, errorCode, batch, more }, "more cloud acks match no record sent");
  }
}
