/**
 * What the console calls of the daemon (the composition root, daemon/daemon.ts, hands it over). Each
 * is a part the API, the admin socket or the CLI already use: the console is one more view on them,
 * and changes state only through them, with the console as the actor in the audit log.
 */

import type { ActivationService } from "../activation/activation.js";
import type { AdminDevice } from "../admin/device-routes.js";
import type { ExportJournalOptions } from "../export/journal-export.js";
import type { InvoiceOperations, StatusSource } from "../fiscal/types.js";
import type { DayReportOperations } from "../http/context.js";
import type { Receipts } from "../receipt/receipts.js";
import type { ReportPrinter } from "../receipt/report-printer.js";
import type { ApiKeyStore } from "../store/api-keys.js";
import type { AuditLog } from "../store/audit.js";
import type { ConsolePasswords } from "../store/console-password.js";
import type { InvoiceReads } from "../store/invoice-reads.js";
import type { SyncAttemptLog } from "../store/sync-log.js";
import type { SyncQueue } from "../store/sync-queue.js";
import type { SyncAgent } from "../sync/agent.js";
import type { LoginLockout } from "./lockout.js";

/** The cloud upload parts, when the daemon has a cloud to upload to. */
export interface ConsoleSync {
  readonly queue: Pick<SyncQueue, "summary" | "list" | "entryOf">;
  readonly agent: Pick<SyncAgent, "retry">;
  readonly attempts: Pick<SyncAttemptLog, "lastContactAt" | "covering">;
}

/** What the console needs. */
export interface ConsoleDeps {
  readonly passwords: Pick<ConsolePasswords, "verify" | "setAt">;
  readonly lockout: LoginLockout;
  readonly audit: Pick<AuditLog, "append">;
  readonly status: StatusSource;
  readonly invoices: Pick<InvoiceOperations, "get" | "list">;
  readonly reads: Pick<InvoiceReads, "recordByNumber" | "recordsIssuedBetween">;
  readonly receipts: Receipts;
  readonly keys: Pick<ApiKeyStore, "create" | "list" | "revoke">;
  /** The fiscal day: X, Z and A reports and the stored ones (daemon/reports/day-reports.ts). */
  readonly reports: DayReportOperations;
  readonly reportPrinter: Pick<ReportPrinter, "print">;
  readonly sync?: ConsoleSync;
  /** The device link, for the device page (info, clock, self-test, export). */
  readonly device: AdminDevice;
  readonly activation: Pick<ActivationService, "activateWithCode">;
  /** The receipt log of a record, for the export's `prints`. */
  readonly printsOf: NonNullable<ExportJournalOptions["printsOf"]>;
  /** The bound device's id, or null before one is bound. */
  readonly deviceId: () => string | null;
  /** The shop's time zone (IANA), for every time shown. */
  readonly timeZone: string;
  /** Seconds between two refreshes of the live parts. */
  readonly refreshSeconds: number;
  readonly now: () => number;
}
