/**
 * The sync agent's status conditions for /v1/status, as a pure function of its live state, so each
 * threshold is tested without a clock or a cloud.
 */
import type { StatusCondition } from "../fiscal/types.js";
import type { SyncHealth } from "./agent.js";
import type { SyncConfig } from "./config.js";

const DAY_MS = 86_400_000;

/** What an operator reads when no cloud URL is configured: French first, then English. */
export const CLOUD_NOT_CONFIGURED_HINT =
  "Aucune URL du Cloud Stalela n'est configurée : aucune facture n'est envoyée ; définissez STALELA_CLOUD_URL " +
  "dans /etc/stalela/daemon.env / No Stalela Cloud URL is configured: nothing is uploaded; set " +
  "STALELA_CLOUD_URL in /etc/stalela/daemon.env";

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Conditions for the given state at `now`. */
export function syncConditions(
  health: SyncHealth,
  config: Pick<SyncConfig, "pendingWarnMs" | "offlineWarnDays">,
  now: number,
): StatusCondition[] {
  const out: StatusCondition[] = [];
  const { summary } = health;
  if (!health.cloudConfigured) {
    out.push({
      code: "CLOUD_NOT_CONFIGURED",
      severity: "error",
      message: CLOUD_NOT_CONFIGURED_HINT,
      since: iso(health.startedAt),
    });
  }
  if (health.ackMismatchSince !== undefined) {
    out.push({
      code: "CLOUD_ACK_MISMATCH",
      severity: "error",
      message:
        `le Cloud Stalela a accusé réception de factures qu'il n'a pas reçues (${health.ackMismatches} accusés refusés) : ` +
        "elles restent en attente / the Stalela Cloud acknowledged records the daemon did not send " +
        `(${health.ackMismatches} acks refused): the invoices stay pending; check the cloud URL`,
      since: iso(health.ackMismatchSince),
    });
  }
  if (!health.hasCredential && summary.pending > 0) {
    out.push({
      code: "CLOUD_NOT_ACTIVATED",
      severity: "warning",
      message: `${summary.pending} sealed invoices wait for upload, but the daemon has no cloud credential (activate the device)`,
      since: iso(summary.oldestPendingAt ?? health.startedAt),
    });
  }
  if (summary.failed > 0) {
    out.push({
      code: "SYNC_FAILED",
      severity: "error",
      message: `${summary.failed} invoices failed to upload; see \`stalela queue list --failed\`, then \`stalela queue retry\``,
      since: iso(now),
    });
  }
  if (summary.oldestPendingAt !== null && now - summary.oldestPendingAt > config.pendingWarnMs) {
    out.push({
      code: "SYNC_PENDING_TOO_LONG",
      severity: "warning",
      message: `${summary.pending} invoices pending upload, the oldest for more than ${Math.round(config.pendingWarnMs / 60_000)} min`,
      since: iso(summary.oldestPendingAt),
    });
  }
  if (health.unreachableSince !== undefined) {
    out.push({
      code: "CLOUD_UNREACHABLE",
      severity: "warning",
      message: "the Stalela Cloud is unreachable; invoices are kept and will be uploaded when it is back",
      since: iso(health.unreachableSince),
    });
  }
  if (health.credentialRefusedAt !== undefined) {
    out.push({
      code: "CLOUD_CREDENTIAL_REFUSED",
      severity: "error",
      message: "the Stalela Cloud refuses the daemon's credential; re-activate or rotate it",
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
      message: `no successful contact with the Stalela Cloud for ${days} days`,
      since: iso(lastContact),
    });
  }
  return out;
}
