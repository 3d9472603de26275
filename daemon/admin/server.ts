/**
 * The admin channel (docs/ADMIN.md): HTTP over a Unix socket, `admin.sock` in the state directory,
 * mode 0600. Only the daemon's user (and root) can connect, which the kernel enforces; a POS holds an
 * API key for the TCP API and can never reach these routes, and there is no second secret to leak or
 * rotate. Routes: activation (code or bundle file), queue status / list / retry, sync attempts, the
 * device's reads, clock and self-test (device-routes.ts) while the daemon holds its port, and the
 * fiscal day's reports (report-routes.ts).
 */
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { FiscalError, isFiscalError } from "../../protocol/index.js";
import type { ActivationService } from "../activation/activation.js";
import type { SyncStatus } from "../fiscal/types.js";
import { SYNC_STATUSES } from "../fiscal/types.js";
import { makePrivateDirectory } from "../store/private-files.js";
import type { SyncAttemptLog } from "../store/sync-log.js";
import type { SyncQueue } from "../store/sync-queue.js";
import type { SyncAgent } from "../sync/agent.js";
import { type AdminDevice, registerDeviceRoutes } from "./device-routes.js";
import { type AdminReports, registerReportRoutes } from "./report-routes.js";

/** The socket's file name inside the state directory. */
export const ADMIN_SOCKET_FILE = "admin.sock";
/** The socket's permissions: owner read/write only. */
export const ADMIN_SOCKET_MODE = 0o600;
/**
 * The umask in force while the socket is bound: bind() makes it 0700 (connecting needs write access,
 * so only the owner can), never the 0755 a 022 umask gives, so it is never open for an instant
 * before the chmod. 077 rather than 177 so that a directory something else makes meanwhile stays usable.
 */
export const ADMIN_SOCKET_UMASK = 0o077;
/** Largest admin request body, in bytes (a bundle file is a few hundred). */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;
/** Most queue entries one list call returns. */
export const QUEUE_LIST_MAX = 1_000;

/** What the admin routes call. */
export interface AdminDeps {
  readonly activation: ActivationService;
  readonly agent: SyncAgent;
  readonly queue: SyncQueue;
  readonly attempts: SyncAttemptLog;
  /** The device link for the device routes (or handed over later: AdminServer.serveDevice). */
  readonly device?: AdminDevice;
}

/** Builds the admin app (tested with inject(), served by AdminServer). */
export function buildAdminApp(
  deps: AdminDeps,
  deviceOf: () => AdminDevice | undefined = () => deps.device,
  reportsOf: () => AdminReports | undefined = () => undefined,
): FastifyInstance {
  const app = Fastify({ bodyLimit: ADMIN_BODY_LIMIT_BYTES, logger: false });
  app.setErrorHandler((err, _request, reply) => {
    const fiscal = isFiscalError(err)
      ? err
      : new FiscalError("MESSAGE_INVALID", (err as Error).message ?? "bad request");
    const status = isFiscalError(err)
      ? fiscal.httpStatus
      : ((err as { statusCode?: number }).statusCode ?? 500);
    return reply
      .status(status)
      .send({ error: { code: fiscal.code, name: fiscal.errorName, message: fiscal.text } });
  });

  app.post("/admin/v1/activate", async (request) => {
    const body = (request.body ?? {}) as { code?: unknown; bundle?: unknown };
    if (typeof body.code === "string") return deps.activation.activateWithCode(body.code, "admin");
    if (typeof body.bundle === "string") {
      return deps.activation.activateWithBundle(Buffer.from(body.bundle, "base64"), "admin");
    }
    throw new FiscalError("FIELD_REQUIRED", "send `code` or `bundle` (base64 of the bundle file)");
  });

  app.get("/admin/v1/queue", async () => ({
    ...deps.queue.summary(),
    counters: deps.agent.counters,
    conditions: deps.agent.conditions(),
  }));

  app.get<{ Querystring: { status?: string; after?: string; limit?: string } }>(
    "/admin/v1/queue/items",
    async (request) => {
      const { status, after, limit } = request.query;
      if (status !== undefined && !(SYNC_STATUSES as readonly string[]).includes(status)) {
        throw new FiscalError("FIELD_RANGE", `status must be one of ${SYNC_STATUSES.join(", ")}`);
      }
      const n = Math.min(Number(limit ?? 100) || 100, QUEUE_LIST_MAX);
      const items = deps.queue.list(status as SyncStatus | undefined, Number(after ?? 0) || 0, n);
      return { items, next_after: items.length === n ? items.at(-1)!.seq : null };
    },
  );

  app.post("/admin/v1/queue/retry", async (request) => {
    const body = (request.body ?? {}) as { invoice_ids?: unknown };
    const ids = body.invoice_ids;
    if (ids !== undefined && !(Array.isArray(ids) && ids.every((i) => typeof i === "string"))) {
      throw new FiscalError("FIELD_TYPE", "invoice_ids must be an array of invoice ids");
    }
    return { requeued: deps.agent.retry(ids as string[] | undefined) };
  });

  app.post("/admin/v1/credential/rotate", async () => deps.agent.rotateCredential("admin"));

  app.get<{ Querystring: { limit?: string } }>("/admin/v1/sync/attempts", async (request) => ({
    items: deps.attempts.latest(Math.min(Number(request.query.limit ?? 100) || 100, QUEUE_LIST_MAX)),
  }));
  registerDeviceRoutes(app, deviceOf);
  registerReportRoutes(app, reportsOf);
  return app;
}

/** Serves the admin app on `<stateDir>/admin.sock`. */
export class AdminServer {
  private app: FastifyInstance | undefined;
  private device: AdminDevice | undefined;
  private reports: AdminReports | undefined;
  /** The socket path, once started. */
  readonly socketPath: string;

  constructor(
    private readonly deps: AdminDeps,
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.socketPath = join(stateDir, ADMIN_SOCKET_FILE);
    this.device = deps.device;
  }

  /** Hands the daemon's device link to the device routes (before or after start). */
  serveDevice(device: AdminDevice): void {
    this.device = device;
  }

  /** Hands the daemon's fiscal day to the report routes (before or after start). */
  serveReports(reports: AdminReports): void {
    this.reports = reports;
  }

  /**
   * Listens on the socket (replacing a stale one left by a crash), owner-only from the moment it
   * exists: it is bound in a 0700 directory under ADMIN_SOCKET_UMASK, then set to ADMIN_SOCKET_MODE.
   */
  async start(): Promise<void> {
    makePrivateDirectory(dirname(this.socketPath));
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
    this.app = buildAdminApp(
      this.deps,
      () => this.device,
      () => this.reports,
    );
    // Plugins load first, so the umask below is in force only while the socket is bound.
    await this.app.ready();
    const umask = process.umask(ADMIN_SOCKET_UMASK);
    try {
      await this.app.listen({ path: this.socketPath });
    } finally {
      process.umask(umask);
    }
    chmodSync(this.socketPath, ADMIN_SOCKET_MODE);
    this.logger.info({ socket: this.socketPath }, "admin channel listening");
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = undefined;
  }
}
