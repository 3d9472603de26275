/**
 * Prometheus metrics of the POS API: what the HTTP layer sees (latency, fiscalisations, errors by
 * code) plus gauges read from the status source at scrape time, so a scrape costs one O(1) status
 * call per gauge and nothing is polled in between.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { StatusReport, StatusSource } from "../fiscal/types.js";

/** Latency buckets, in seconds: a sealed response takes tens of milliseconds, a busy device seconds. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Names of every metric this module registers (docs/API.md §Metrics). */
export const METRIC_NAMES = {
  requestDuration: "stalela_http_request_duration_seconds",
  fiscalisations: "stalela_fiscalisations_total",
  errors: "stalela_http_errors_total",
  deviceConnected: "stalela_device_connected",
  journalUsed: "stalela_device_journal_used",
  journalCapacity: "stalela_device_journal_capacity",
  conditions: "stalela_status_conditions",
  counters: "stalela_service_counter",
  link: "stalela_device_link",
  cpuUser: "process_cpu_user_seconds_total",
  cpuSystem: "process_cpu_system_seconds_total",
} as const;

/** How an invoice was sealed: one API call, or prepare then commit. */
export type FiscalisationMode = "one_shot" | "two_step";

/** The API's metrics, registered on one prom-client Registry. */
export class HttpMetrics {
  readonly registry: Registry;
  private readonly duration: Histogram<"method" | "route" | "status">;
  private readonly fiscalisations: Counter<"type" | "mode">;
  private readonly errors: Counter<"code" | "name">;

  constructor(registry: Registry, status: StatusSource) {
    this.registry = registry;
    // A registry reused by a second app (tests, a restart in-process) would refuse duplicate names.
    for (const name of Object.values(METRIC_NAMES)) registry.removeSingleMetric(name);
    const registers = [registry];
    this.duration = new Histogram({
      name: METRIC_NAMES.requestDuration,
      help: "POS API request latency by route and HTTP status",
      labelNames: ["method", "route", "status"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.fiscalisations = new Counter({
      name: METRIC_NAMES.fiscalisations,
      help: "Invoices sealed through the API (replays not counted)",
      labelNames: ["type", "mode"],
      registers,
    });
    this.errors = new Counter({
      name: METRIC_NAMES.errors,
      help: "Error responses of the POS API by error code",
      labelNames: ["code", "name"],
      registers,
    });
    statusGauges(registers, status);
    cpuCounters(registers);
  }

  /** Records one answered request; `route` is the route pattern, never the raw URL (bounded labels). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.duration.observe({ method, route, status: String(status) }, seconds);
  }

  /** Counts one newly sealed invoice. */
  countFiscalisation(type: string, mode: FiscalisationMode): void {
    this.fiscalisations.inc({ type, mode });
  }

  /** Counts one error response. */
  countError(code: number, name: string): void {
    this.errors.inc({ code: String(code), name });
  }
}

/** Reads the status report for a gauge; a failing source leaves the gauge at its last value. */
function readStatus(status: StatusSource): StatusReport | undefined {
  try {
    return status.status();
  } catch {
    return undefined;
  }
}

function statusGauges(registers: Registry[], status: StatusSource): void {
  const scalar = (name: string, help: string, pick: (report: StatusReport) => number | null) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const report = readStatus(status);
        if (report === undefined) return;
        const value = pick(report);
        if (value === null) this.reset();
        else this.set(value);
      },
    });
  scalar(METRIC_NAMES.deviceConnected, "1 when the fiscal device is connected", (r) =>
    r.device.connected ? 1 : 0,
  );
  scalar(METRIC_NAMES.journalUsed, "Fiscal journal entries used", (r) => r.device.journal_used);
  scalar(METRIC_NAMES.journalCapacity, "Fiscal journal capacity", (r) => r.device.journal_capacity);

  new Gauge({
    name: METRIC_NAMES.conditions,
    help: "Active status conditions by severity",
    labelNames: ["severity"],
    registers,
    collect() {
      const report = readStatus(status);
      if (report === undefined) return;
      const counts = { info: 0, warning: 0, error: 0 };
      for (const condition of report.conditions) counts[condition.severity] += 1;
      for (const [severity, count] of Object.entries(counts)) this.set({ severity }, count);
    },
  });
  const keyed = (
    name: string,
    help: string,
    pick: (report: StatusReport) => Readonly<Record<string, number>>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["name"],
      registers,
      collect() {
        const report = readStatus(status);
        if (report === undefined) return;
        this.reset();
        for (const [key, value] of Object.entries(pick(report))) {
          if (Number.isFinite(value)) this.set({ name: key }, value);
        }
      },
    });
  keyed(
    METRIC_NAMES.counters,
    "Service counters from the status report (e.g. queue depth)",
    (r) => r.counters,
  );
  keyed(METRIC_NAMES.link, "Device link counters (CRC errors, retransmits, timeouts…)", (r) => r.link);
}

/**
 * The daemon's CPU time (process.cpuUsage: every thread of the process, the thread pool's fsyncs
 * included), under the names Prometheus's own clients use; the bench reads it around a fixed batch.
 */
function cpuCounters(registers: Registry[]): void {
  let last = process.cpuUsage();
  let pending = { user: 0, system: 0 };
  // One reading per scrape, shared by both counters: each adds what was used since the last.
  const read = (): void => {
    const now = process.cpuUsage();
    pending = { user: now.user - last.user, system: now.system - last.system };
    last = now;
  };
  new Counter({
    name: METRIC_NAMES.cpuUser,
    help: "User CPU time of the daemon process, in seconds",
    registers,
    collect() {
      read();
      this.inc(pending.user / 1e6);
    },
  });
  new Counter({
    name: METRIC_NAMES.cpuSystem,
    help: "System CPU time of the daemon process, in seconds",
    registers,
    collect() {
      this.inc(pending.system / 1e6);
    },
  });
}
