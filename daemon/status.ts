/**
 * /v1/status: a severity-coded list of conditions plus counters, built from values held in memory
 * (the device status polled every few seconds, counters, the last reconciliation), so answering costs
 * the same with a million invoices as with none.
 */
import type { ResultOf } from "../protocol/index.js";
import type { ReconcileReport } from "./fiscal/reconcile.js";
import type { Severity, StatusCondition, StatusReport, StatusSource } from "./fiscal/types.js";

/** Everything the status report reads; each getter must be O(1). */
export interface StatusInputs {
  readonly version: string;
  readonly clockSkewWarnMs: number;
  connected(): boolean;
  deviceStatus(): { readonly at: number; readonly status: ResultOf<"STATUS"> } | undefined;
  deviceId(): string | null;
  identityMismatch(): string | null;
  /** Why the connected device is refused by the trust check (daemon/fiscal/device-trust.ts), or null. */
  untrusted(): string | null;
  counters(): Readonly<Record<string, number>>;
  link(): Readonly<Record<string, number>>;
  lastReconcile(): ReconcileReport | undefined;
  /** Chain breaks no technician has acknowledged (an indexed count over a table of a few rows). */
  chainBreaks(): number;
  /** Extra conditions other parts raise (the sync agent: uploads pending too long, cloud unreachable). */
  extraConditions(): readonly StatusCondition[];
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

  status(): StatusReport {
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
      conditions,
      counters: this.inputs.counters(),
      link: this.inputs.link(),
      last_reconcile: (this.inputs.lastReconcile() as Readonly<Record<string, unknown>> | undefined) ?? null,
    };
  }

  private conditions(): StatusCondition[] {
    const raised: [string, Severity, string][] = [];
    const add = (code: string, severity: Severity, message: string): void => {
      raised.push([code, severity, message]);
    };
    const seen = this.inputs.deviceStatus();
    const mismatch = this.inputs.identityMismatch();
    if (mismatch !== null) add("DEVICE_IDENTITY_MISMATCH", "error", mismatch);
    const untrusted = this.inputs.untrusted();
    if (untrusted !== null)
      add(
        "DEVICE_UNTRUSTED",
        "error",
        `appareil fiscal refusé / device refused: ${untrusted}. Aucune facture n'est scellée / no invoice is sealed`,
      );
    if (!this.inputs.connected())
      add("DEVICE_MISSING", "error", "the fiscal device is not connected: invoices cannot be sealed");
    if (seen !== undefined) {
      const s = seen.status;
      if (s.state === "UNACTIVATED")
        add(
          "DEVICE_NOT_ACTIVATED",
          "error",
          "the fiscal device is not activated: run `stalela device activate`",
        );
      if (s.state === "LOCKED")
        add("DEVICE_LOCKED", "error", `the fiscal device is locked (${s.lock_reason ?? "no reason given"})`);
      if (!s.clock.valid)
        add(
          "CLOCK_INVALID",
          "error",
          "the device clock is earlier than its last record: fiscalisation is refused",
        );
      const skew = s.clock.now - seen.at;
      if (Math.abs(skew) > this.inputs.clockSkewWarnMs) {
        add(
          "CLOCK_SKEW",
          "warning",
          `the device clock differs from this computer's by ${Math.round(skew / 1000)} s`,
        );
      }
      if (s.journal_capacity > 0 && s.journal_used / s.journal_capacity >= 0.9) {
        add(
          "JOURNAL_NEARLY_FULL",
          "warning",
          `the device journal is ${s.journal_used} of ${s.journal_capacity} records full`,
        );
      }
    }
    const rec = this.inputs.lastReconcile();
    const breaks = this.inputs.chainBreaks();
    if (breaks > 0) {
      add(
        "JOURNAL_CHAIN_BROKEN",
        "error",
        `${breaks} journal records do not chain to their predecessor: check the device, then acknowledge with \`stalela journal ack --by NAME\``,
      );
    }
    if (rec && rec.imported > 0)
      add("RECORDS_IMPORTED", "info", `${rec.imported} records were imported from the device journal`);
    const out: StatusCondition[] = raised.map(([code, severity, message]) => ({
      code,
      severity,
      message,
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
