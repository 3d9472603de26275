/**
 * The CLI's client for the admin channel: HTTP over the daemon's Unix socket with node:http (global
 * fetch cannot speak to a socket path). Error answers become the same FiscalError the daemon threw,
 * so the CLI prints the same `E503 ACTIVATION_CODE_USED: …` and can branch on the code.
 */

import { request } from "node:http";
import { errorNameOf, FiscalError, type JournaledReportKind } from "../../protocol/index.js";
import type { ActivationResult } from "../activation/activation.js";
import type { RaisedCondition, SyncStatus } from "../fiscal/types.js";
import type { ReportSeller } from "../receipt/report-view.js";
import type { ReportView } from "../reports/views.js";
import type { SyncAttemptRow } from "../store/sync-log.js";
import type { QueueEntry, QueueSummary } from "../store/sync-queue.js";
import type { SyncCounters } from "../sync/agent.js";
import type {
  InfoReport,
  JournalPage,
  ReportPage,
  SelfTestReport,
  StatusReport,
  TimeReport,
} from "./device-routes.js";

/** How long the client waits for an admin answer, in ms (activation talks to the cloud and device). */
export const ADMIN_REQUEST_TIMEOUT_MS = 120_000;

/** `GET /admin/v1/queue`. */
export interface QueueStatus extends QueueSummary {
  readonly counters: SyncCounters;
  /** As raised: the CLI words them in its reader's language (daemon/conditions.ts). */
  readonly conditions: readonly RaisedCondition[];
}

/** Talks to a running daemon's admin socket. */
export class AdminClient {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs: number = ADMIN_REQUEST_TIMEOUT_MS,
  ) {}

  /** Online activation with a code. */
  activateWithCode(code: string): Promise<ActivationResult> {
    return this.call("POST", "/admin/v1/activate", { code });
  }

  /** Offline activation with the bytes of a bundle file. */
  activateWithBundle(fileBytes: Uint8Array): Promise<ActivationResult> {
    return this.call("POST", "/admin/v1/activate", { bundle: Buffer.from(fileBytes).toString("base64") });
  }

  queueStatus(): Promise<QueueStatus> {
    return this.call("GET", "/admin/v1/queue");
  }

  /** One page of queue entries in seq order; pass `next_after` back as `after` for the next page. */
  queueList(filter: { status?: SyncStatus; after?: number; limit?: number } = {}): Promise<{
    items: QueueEntry[];
    next_after: number | null;
  }> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v !== undefined) query.set(k, String(v));
    return this.call("GET", `/admin/v1/queue/items?${query}`);
  }

  /** Requeues FAILED invoices (all, or the given ids). */
  retry(invoiceIds?: readonly string[]): Promise<{ requeued: number }> {
    return this.call(
      "POST",
      "/admin/v1/queue/retry",
      invoiceIds === undefined ? {} : { invoice_ids: invoiceIds },
    );
  }

  /** Rotates the daemon's cloud upload credential. */
  rotateCredential(): Promise<{ old_valid_until: string }> {
    return this.call("POST", "/admin/v1/credential/rotate", {});
  }

  /** The device's INFO, bytes as hex (what `stalela device info --json` prints). */
  deviceInfo(): Promise<InfoReport> {
    return this.call("GET", "/admin/v1/device/info");
  }

  /** The device's STATUS with the clock judged against this computer's. */
  deviceStatus(): Promise<StatusReport> {
    return this.call("GET", "/admin/v1/device/status");
  }

  /** The device clock against this computer's. */
  deviceTime(): Promise<TimeReport> {
    return this.call("GET", "/admin/v1/device/time");
  }

  /** Sets the device clock (ms since the epoch, or "now": the daemon's time just before sending). */
  setDeviceTime(now: number | "now"): Promise<TimeReport> {
    return this.call("POST", "/admin/v1/device/time", { now });
  }

  /** Runs the device self-test. */
  deviceSelfTest(): Promise<SelfTestReport> {
    return this.call("POST", "/admin/v1/device/self-test", {});
  }

  /** One JOURNAL_READ page (at most JOURNAL_PAGE_MAX records), bytes as hex. */
  deviceJournal(from: number, limit: number): Promise<JournalPage> {
    return this.call("GET", `/admin/v1/device/journal?from=${from}&limit=${limit}`);
  }

  /** One journaled report as the device signed it (GET_REPORT; the latest of its kind without `number`). */
  deviceReport(kind: JournaledReportKind, number?: number): Promise<ReportPage> {
    const query = number === undefined ? `kind=${kind}` : `kind=${kind}&number=${number}`;
    return this.call("GET", `/admin/v1/device/report?${query}`);
  }

  /** Closes the fiscal day (Z), with the closures it made. */
  closeDay(): Promise<{ z: ReportView; closures: ReportView[]; seller: ReportSeller | null }> {
    return this.call("POST", "/admin/v1/reports/z", {});
  }

  /** The open day's X report. */
  readDay(): Promise<{ report: ReportView; seller: ReportSeller | null }> {
    return this.call("GET", "/admin/v1/reports/x");
  }

  /** The A report of a range (default: since the last A report). */
  articles(range: {
    from?: number;
    to?: number;
  }): Promise<{ report: ReportView; seller: ReportSeller | null }> {
    return this.call("POST", "/admin/v1/reports/a", range);
  }

  /** The stored reports, newest first. */
  reports(
    kind: string | undefined,
    limit: number,
  ): Promise<{ items: ReportView[]; seller: ReportSeller | null }> {
    const query = new URLSearchParams({ limit: String(limit), ...(kind === undefined ? {} : { kind }) });
    return this.call("GET", `/admin/v1/reports?${query}`);
  }

  /** One stored report. */
  report(kind: string, number: number): Promise<{ report: ReportView; seller: ReportSeller | null }> {
    return this.call("GET", `/admin/v1/reports/${encodeURIComponent(kind)}/${number}`);
  }

  /** The latest sync attempts, newest first. */
  attempts(limit = 100): Promise<{ items: SyncAttemptRow[] }> {
    return this.call("GET", `/admin/v1/sync/attempts?limit=${limit}`);
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers:
            payload === undefined
              ? {}
              : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              reject(new Error(`the admin channel answered ${res.statusCode} with non-JSON`));
              return;
            }
            if ((res.statusCode ?? 500) < 400) resolve(parsed as T);
            else
              reject(
                errorOf(parsed as { error?: { code?: number; message?: string } }, res.statusCode ?? 500),
              );
          });
        },
      );
      req.on("timeout", () =>
        req.destroy(new Error(`the admin channel did not answer in ${this.timeoutMs} ms`)),
      );
      req.on("error", (err: NodeJS.ErrnoException) => {
        reject(
          err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES"
            ? new Error(
                `cannot reach the daemon's admin socket ${this.socketPath} (${err.code}): is the daemon running, and are you its user?`,
              )
            : err,
        );
      });
      req.end(payload);
    });
  }
}

function errorOf(body: { error?: { code?: number; message?: string } }, status: number): Error {
  const name = body.error?.code === undefined ? undefined : errorNameOf(body.error.code);
  if (name === undefined)
    return new Error(`the admin channel answered ${status}: ${body.error?.message ?? "no detail"}`);
  return new FiscalError(name, body.error?.message);
}
