/**
 * The journaled reports of an export (format /4; docs/EXPORT.md §3.6), each on its own: a well-formed
 * entry, canonical report bytes of a journaled kind (PROTOCOL §13.2), the signature, the device and
 * merchant identity, and no kind and number twice. What decodes goes on to the checks across reports
 * (report-days.ts, report-closures.ts) and into the journal's chain (chain.ts).
 */
import Type from "typebox";
import { fromBase64Url, toHex } from "../bytes.js";
import { decodeReport, reportName } from "../reports/record.js";
import { type Closure, JOURNALED_REPORT_KINDS, type ZReport } from "../reports/schema.js";
import { compileChecker } from "../schema-issues.js";
import type { ActivationRecord } from "../security/activation.js";
import { SignContext, verifyWith } from "../security/ed25519.js";
import { recordHash } from "../security/record.js";
import { identityProblems, messageOf } from "./entry-check.js";
import type { ReportFailureReason } from "./report.js";

const entryChecker = compileChecker(
  Type.Object(
    {
      kind: Type.Enum([...JOURNALED_REPORT_KINDS]),
      number: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
      record: Type.String(),
      signature: Type.String(),
    },
    { additionalProperties: false },
  ),
);

/** A journaled report that decoded. */
export interface CheckedReport<R extends ZReport | Closure = ZReport | Closure> {
  readonly index: number;
  readonly report: R;
  /** Hex SHA-256 of its bytes, and its prev_hash: its link in the journal's chain. */
  readonly hash: string;
  readonly prev: string;
}

/** What report entries are checked against. */
export interface ReportEntryContext {
  readonly deviceId: string;
  readonly key: Uint8Array | null;
  readonly activation: ActivationRecord | null;
}

/** Reports one report failure. */
export type ReportFail = (
  reason: ReportFailureReason,
  message: string,
  at: { readonly kind: string | null; readonly number: number | null; readonly index: number | null },
) => void;

/** Where a failure of a decoded report is reported. */
export function placeOf(r: CheckedReport): { kind: string; number: number; index: number } {
  return { kind: r.report.kind, number: r.report.number, index: r.index };
}

/** Checks the `reports` array; returns the reports that decoded, in file order. */
export function checkReportEntries(
  raws: readonly unknown[],
  ctx: ReportEntryContext,
  fail: ReportFail,
): CheckedReport[] {
  const checked: CheckedReport[] = [];
  const seen = new Map<string, number>();
  raws.forEach((raw, index) => {
    const r = checkReportEntry(raw, index, ctx, fail);
    if (r === null) return;
    const key = `${r.report.kind} ${r.report.number}`;
    const first = seen.get(key);
    if (first !== undefined) {
      fail("report_duplicate", `${reportName(r.report)} appears again (first at entry ${first})`, placeOf(r));
      return;
    }
    seen.set(key, index);
    checked.push(r);
  });
  return checked;
}

function checkReportEntry(
  raw: unknown,
  index: number,
  ctx: ReportEntryContext,
  fail: ReportFail,
): CheckedReport | null {
  const claimed = raw as { kind?: unknown; number?: unknown } | null;
  const at = {
    kind: typeof claimed?.kind === "string" ? claimed.kind : null,
    number: Number.isSafeInteger(claimed?.number) ? (claimed!.number as number) : null,
    index,
  };
  if (!entryChecker.check(raw)) {
    const first = entryChecker.issues(raw)[0];
    fail("report_malformed", `report entry ${index}: ${first?.path ?? ""} ${first?.message ?? ""}`, at);
    return null;
  }
  const entry = raw as { kind: string; number: number; record: string; signature: string };
  let bytes: Uint8Array;
  let signature: Uint8Array;
  try {
    bytes = fromBase64Url(entry.record);
    signature = fromBase64Url(entry.signature);
  } catch (err) {
    fail("report_malformed", `report entry ${index}: ${messageOf(err)}`, at);
    return null;
  }
  let report: ZReport | Closure;
  try {
    const decoded = decodeReport(bytes);
    if (decoded.kind === "X_REPORT" || decoded.kind === "A_REPORT") {
      fail("report_not_a_report", `an ${decoded.kind} is not journaled`, at);
      return null;
    }
    report = decoded;
  } catch (err) {
    fail("report_not_a_report", `report bytes: ${messageOf(err)}`, at);
    return null;
  }
  const place = { kind: report.kind, number: report.number, index };
  if (entry.kind !== report.kind || entry.number !== report.number) {
    fail(
      "report_malformed",
      `the entry says ${entry.kind} ${entry.number}, the report is ${reportName(report)}`,
      place,
    );
  }
  if (ctx.key !== null && !verifyWith(ctx.key, SignContext.RECORD, bytes, signature)) {
    fail("report_signature", `${reportName(report)}: signature does not verify with the device key`, place);
  }
  for (const problem of identityProblems("report", report, ctx))
    fail("report_foreign_device", problem, place);
  return { index, report, hash: toHex(recordHash(bytes)), prev: toHex(report.prev_hash) };
}
