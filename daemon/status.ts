/**
 * /v1/status: a severity-coded list of conditions plus counters, built from values held in memory
 * (the device status polled every few seconds, counters, the last reconciliation), so answering costs
 * the same with a million invoices as with none.
 */
import { DEFAULT_LANG, type Lang } from "../protocol/i18n/index.js";
import type { ResultOf } from "../protocol/index.js";
import { describeCondition } from "./conditions.js";
import type { ReconcileReport } from "./fiscal/reconcile.js";
import type { RaisedCondition, Severity, StatusReport, StatusSource } from "./fiscal/types.js";

/** Everything the status report reads; each getter must be O(1). */
export interface StatusInputs {
  readonly version: string;
  readonly clockSkewWarnMs: number;
  connected(): boolean;
  deviceStatus(): { readonly at: number; readonly status: ResultOf<"STATUS"> } | undefined;
  deviceId(): string | null;
  /** The connected and the bound device when they differ (`kind`: another id, or the same id with another key). */
  identityMismatch(): {
    readonly kind: "id" | "key";
    readonly connected: string;
    readonly bound: string;
  } | null;
  /** Why the connected device is refused by the trust check (daemon/fiscal/device-trust.ts), or null. */
  untrusted(): string | null;
  counters(): Readonly<Record<string, number>>;
  link(): Readonly<Record<string, number>>;
  lastReconcile(): ReconcileReport | undefined;
  /** Chain breaks no technician has acknowledged (an indexed count over a table of a few rows). */
  chainBreaks(): number;
  /** Extra conditions other parts raise (the sync agent: uploads pending too long, cloud unreachable). */
  extraConditions(): readonly RaisedCondition[];
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** Builds status reports and remembers since when each condition holds. */
export class StatusBoard implements StatusSource {
  private readonly since = new Map<string, string>();
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly inputs: StatusInputs,
    private readonly now: () => number = Date.now,
  ) {}

  status(lang: Lang = DEFAULT_LANG): StatusReport {
    const conditions = this.conditions();
    const worst = conditions.reduce<Severity | "ok">(
      (acc, c) => (acc === "ok" || RANK[c.severity] > RANK[acc] ? c.severity : acc),
      "ok",
    );
    const snapshot = this.inputs.deviceStatus()?.status;
    return {
      status: worst === "info" ? "ok" : worst,
      version: this.inputs.version,
      started_at: this.startedAt,
      device: {
        connected: this.inputs.connected(),
        device_id: this.inputs.deviceId(),
        state: snapshot?.state ?? null,
        last_fiscal_number: snapshot?.last_fiscal_number ?? null,
        journal_used: snapshot?.journal_used ?? null,
        journal_capacity: snapshot?.journal_capacity ?? null,
      },
      conditions: conditions.map((c) => describeCondition(c, lang)),
      counters: this.inputs.counters(),
      link: this.inputs.link(),
      last_reconcile: (this.inputs.lastReconcile() as Readonly<Record<string, unknown>> | undefined) ?? null,
    };
  }

  private conditions(): RaisedCondition[] {
    const raised: [string, Severity, Readonly<Record<string, string | number>>][] = [];
    const add = (
      code: string,
      severity: Severity,
      params: Readonly<Record<string, string | number>> = {},
    ): void => {
      raised.push([code, severity, params]);
    };
    const seen = this.inputs.deviceStatus();
    const mismatch = this.inputs.identityMismatch();
    if (mismatch !== null) add("DEVICE_IDENTITY_MISMATCH", "error", mismatch);
    const untrusted = this.inputs.untrusted();
    if (untrusted !== null) add("DEVICE_UNTRUSTED", "error", { reason: untrusted });
    if (!this.inputs.connected()) add("DEVICE_MISSING", "error");
    if (seen !== undefined) {
      const s = seen.status;
      if (s.state === "UNACTIVATED") add("DEVICE_NOT_ACTIVATED", "error");
      if (s.state === "LOCKED") add("DEVICE_LOCKED", "error", { reason: s.lock_reason ?? "none" });
      if (!s.clock.valid) add("CLOCK_INVALID", "error");
      const skew = s.clock.now - seen.at;
      if (Math.abs(skew) > this.inputs.clockSkewWarnMs)
        add("CLOCK_SKEW", "warning", { seconds: Math.round(skew / 1000) });
      if (s.journal_capacity > 0 && s.journal_used / s.journal_capacity >= 0.9)
        add("JOURNAL_NEARLY_FULL", "warning", { used: s.journal_used, capacity: s.journal_capacity });
    }
    const rec = this.inputs.lastReconcile();
    const breaks = this.inputs.chainBreaks();
    if (breaks > 0) add("JOURNAL_CHAIN_BROKEN", "error", { count: breaks });
    if (rec && rec.imported > 0) add("RECORDS_IMPORTED", "info", { count: rec.imported });
    const out: RaisedCondition[] = raised.map(([code, severity, params]) => ({
      code,
      severity,
      params,
      since: this.sinceOf(code),
    }));
    out.push(...this.inputs.extraConditions());
    for (const code of [...this.since.keys()]) if (!out.some((c) => c.code === code)) this.since.delete(code);
    return out.sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  }

  private sinceOf(code: string): string {
    let at = this.since.get(code);
    if (at === undefined) {
      at = new Date(this.now()).toISOString();
      this.since.set(code, at);
    }
    return at;
  }
}
