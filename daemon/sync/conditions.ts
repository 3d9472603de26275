/**
 * The sync agent's status conditions for /v1/status, as a pure function of its live state, so each
 * threshold is tested without a clock or a cloud.
 */
import type { RaisedCondition } from "../fiscal/types.js";
import type { SyncHealth } from "./agent.js";
import type { SyncConfig } from "./config.js";

const DAY_MS = 86_400_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Conditions for the given state at `now`. */
export function syncConditions(
  health: SyncHealth,
  config: Pick<SyncConfig, "pendingWarnMs" | "offlineWarnDays">,
  now: number,
): RaisedCondition[] {
  const out: RaisedCondition[] = [];
  const { summary } = health;
  if (!health.cloudConfigured) {
    out.push({
      code: "CLOUD_NOT_CONFIGURED",
      severity: "error",
      since: iso(health.startedAt),
    });
  }
  if (health.ackMismatchSince !== undefined) {
    out.push({
      code: "CLOUD_ACK_MISMATCH",
      severity: "error",
      params: { count: health.ackMismatches },
      since: iso(health.ackMismatchSince),
    });
  }
  if (!health.hasCredential && summary.pending > 0) {
    out.push({
      code: "CLOUD_NOT_ACTIVATED",
      severity: "warning",
      params: { count: summary.pending },
      since: iso(summary.oldestPendingAt ?? health.startedAt),
    });
  }
  if (summary.failed > 0) {
    out.push({
      code: "SYNC_FAILED",
      severity: "error",
      params: { count: summary.failed },
      since: iso(now),
    });
  }
  if (summary.oldestPendingAt !== null && now - summary.oldestPendingAt > config.pendingWarnMs) {
    out.push({
      code: "SYNC_PENDING_TOO_LONG",
      severity: "warning",
      params: { count: summary.pending, minutes: Math.round(config.pendingWarnMs / 60_000) },
      since: iso(summary.oldestPendingAt),
    });
  }
  if (health.unreachableSince !== undefined) {
    out.push({
      code: "CLOUD_UNREACHABLE",
      severity: "warning",
      since: iso(health.unreachableSince),
    });
  }
  if (health.credentialRefusedAt !== undefined) {
    out.push({
      code: "CLOUD_CREDENTIAL_REFUSED",
      severity: "error",
      since: iso(health.credentialRefusedAt),
    });
  }
  const lastContact = health.lastContactAt ?? health.startedAt;
  // Without a cloud URL there is no contact to miss: CLOUD_NOT_CONFIGURED already says so.
  if (
    health.cloudConfigured &&
    health.hasCredential &&
    now - lastContact >= config.offlineWarnDays * DAY_MS
  ) {
    const days = Math.floor((now - lastContact) / DAY_MS);
    out.push({
      code: "CLOUD_OFFLINE_DAYS",
      severity: "warning",
      params: { days },
      since: iso(lastContact),
    });
  }
  return out;
}
