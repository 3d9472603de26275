/**
 * Builds the items of a report upload from stored reports, and matches the cloud's acks back to them,
 * as upload-items.ts does for invoices: an ack counts only when it names a report of the request it
 * answers — (device_id, kind, number), the device being the one of the request's path — AND carries
 * the hash of the report bytes sent for it. Anything else is a mismatch (CLOUD_ACK_MISMATCH), never
 * an ACK.
 */
import { toBase64Url } from "../../protocol/index.js";
import type { StoredReport } from "../store/fiscal-reports.js";
import {
  ACK_OUTCOMES,
  type ReportAck,
  type ReportItem,
  UPLOADED_REPORT_KINDS,
  type UploadedReportKind,
} from "./contract.js";
import { type AckMismatchReason, recordHashOf } from "./upload-items.js";

const KINDS: ReadonlySet<string> = new Set(UPLOADED_REPORT_KINDS);
const OUTCOMES: ReadonlySet<string> = new Set(ACK_OUTCOMES);

/** True for a stored report of a kind the contract carries. */
export function isUploadedKind(kind: string): kind is UploadedReportKind {
  return KINDS.has(kind);
}

/** The contract item for one stored report: its key, its bytes and signature as the device gave them. */
export function reportItemOf(report: StoredReport): ReportItem {
  if (!isUploadedKind(report.kind)) throw new Error(`a ${report.kind} is not uploaded`);
  return {
    kind: report.kind,
    number: report.number,
    record: toBase64Url(report.sealed.record),
    signature: toBase64Url(report.sealed.signature),
  };
}

/** The key report acks are matched by (within one device's request). */
export function reportKey(kind: string, number: number): string {
  return `${kind}#${number}`;
}

/** How a person names a stored report in a log line: `Z_REPORT 12`. */
export function reportLabel(report: Pick<StoredReport, "kind" | "number">): string {
  return `${report.kind} ${report.number}`;
}

/** One report ack that matches no report of the request as sent. */
export interface ReportAckMismatch {
  readonly reason: AckMismatchReason;
  readonly device_id: string;
  readonly kind: string;
  readonly number: number;
  /** What the ack carried and what the daemon sent (null when the report is not in the request). */
  readonly record_hash: string;
  readonly expected_hash: string | null;
}

/** The cloud's verdict on one report of the request. */
export interface ReportVerdict {
  readonly report: StoredReport;
  readonly outcome: "accepted" | "duplicate" | "rejected";
  readonly reason?: string;
}

/** A report upload's answer sorted out: verdicts to apply, reports that stay unacked, mismatches. */
export interface MatchedReportAcks {
  readonly verdicts: ReportVerdict[];
  /** Reports the cloud sent no ack for: they stay pending and are sent again. */
  readonly unacked: StoredReport[];
  /** Reports named by a mismatching ack: they stay pending and are sent again. */
  readonly mismatched: StoredReport[];
  readonly mismatches: ReportAckMismatch[];
}

/**
 * Matches `acks` to the reports of `deviceId` that were sent. A report is acked only by exactly one
 * ack with the request's device, its (kind, number), a known outcome and the hash of its bytes; a
 * report named by two acks takes neither (the cloud contradicts itself).
 */
export function matchReportAcks(
  deviceId: string,
  batch: readonly StoredReport[],
  acks: readonly ReportAck[],
): MatchedReportAcks {
  const reports = new Map(batch.map((r) => [reportKey(r.kind, r.number), r]));
  const seen = new Map<string, ReportAck[]>();
  const mismatches: ReportAckMismatch[] = [];
  for (const ack of acks) {
    const key = reportKey(ack.kind, ack.number);
    if (ack.device_id !== deviceId || !reports.has(key)) {
      mismatches.push(mismatch(ack, "not-in-batch"));
      continue;
    }
    const list = seen.get(key);
    if (list === undefined) seen.set(key, [ack]);
    else list.push(ack);
  }
  const verdicts: ReportVerdict[] = [];
  const unacked: StoredReport[] = [];
  const mismatched: StoredReport[] = [];
  for (const [key, report] of reports) {
    const named = seen.get(key);
    if (named === undefined) {
      unacked.push(report);
      continue;
    }
    const expected = recordHashOf(report.sealed.record);
    if (named.length > 1) {
      for (const ack of named) mismatches.push(mismatch(ack, "repeated", expected));
      mismatched.push(report);
      continue;
    }
    const ack = named[0]!;
    const reason: AckMismatchReason | undefined = !OUTCOMES.has(ack.outcome)
      ? "unknown-outcome"
      : ack.record_hash !== expected
        ? "hash-mismatch"
        : undefined;
    if (reason !== undefined) {
      mismatches.push(mismatch(ack, reason, expected));
      mismatched.push(report);
      continue;
    }
    verdicts.push({ report, outcome: ack.outcome, reason: ack.reason });
  }
  return { verdicts, unacked, mismatched, mismatches };
}

function mismatch(ack: ReportAck, reason: AckMismatchReason, expected?: string): ReportAckMismatch {
  return {
    reason,
    device_id: String(ack.device_id),
    kind: String(ack.kind),
    number: Number(ack.number),
    record_hash: String(ack.record_hash),
    expected_hash: expected ?? null,
  };
}
