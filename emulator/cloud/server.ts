/**
 * The reference Stalela Cloud's HTTP routes (docs/CLOUD_API.md): activation claim and registration,
 * batch upload with per-item acks, report upload with per-report acks, credential rotation; plus the
 * emulator-only `/admin` (issue codes, list what arrived) and `/control/faults` routes, which a real
 * cloud does not have.
 */
import type { IncomingMessage } from "node:http";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type {
  ClaimRequest,
  ClaimResponse,
  CloudErrorCode,
  RegisterActivationRequest,
  ReportUploadRequest,
  UploadRequest,
} from "../../daemon/sync/contract.js";
import {
  CLOUD_API_PREFIX,
  CONTRACT_CHECKERS,
  CONTRACT_STRING_MAX,
  firstContractIssue,
} from "../../daemon/sync/contract.js";
import {
  type ActivationBundle,
  fromBase64Url,
  genesisHash,
  openActivationRecord,
  sha256,
  signActivationBundle,
  toBase64Url,
} from "../../protocol/index.js";
import type { IssueChecker } from "../../protocol/schema-issues.js";
import { type CloudFaults, checkCloudFaultPatch } from "./faults.js";
import { decodeReportOf, ingestReport } from "./reports.js";
import type { CloudStore, CodeIdentity } from "./store.js";
import { type CloudCounters, decodeRecordOf, decodeSigned, ingestItem, signedOf } from "./uploads.js";
import type { VerifyPool } from "./verify-pool.js";

/** Largest upload body the emulator accepts, in bytes (a 1,000-item batch of large records fits). */
export const CLOUD_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long a rotated-out credential stays valid unless the new one is used first, in ms. */
export const OLD_CREDENTIAL_GRACE_MS = 24 * 3_600_000;

/** What the routes need. */
export interface CloudAppDeps {
  readonly store: CloudStore;
  readonly faults: CloudFaults;
  readonly counters: CloudCounters;
  /** The report uploads' own counters (`reports` in /admin/stats). */
  readonly reportCounters: CloudCounters;
  readonly rootSeed: Uint8Array;
  readonly verifier: VerifyPool;
}

class CloudHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: CloudErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function drop(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  request.raw.socket.destroy();
}

/** The request body checked against its contract schema (daemon/sync/contract.ts): 400 otherwise. */
function bodyOf<T>(request: FastifyRequest, checker: IssueChecker): T {
  const body = request.body ?? {};
  const issue = firstContractIssue(checker, body);
  if (issue !== undefined) throw new CloudHttpError(400, "BAD_REQUEST", issue);
  return body as T;
}

/** An error message within the contract's string bound. */
function clip(message: string): string {
  return message.slice(0, CONTRACT_STRING_MAX);
}

function isString(v: unknown): v is string {
  return typeof v === "string" && v.length > 0 && v.length <= 4096;
}

function bearer(raw: IncomingMessage): string {
  const header = raw.headers.authorization ?? "";
  return header.startsWith("Bearer ") ? header.slice(7) : "";
}

/** Builds the cloud emulator's fastify app (not listening). */
export function buildCloudApp(deps: CloudAppDeps): FastifyInstance {
  const { store, faults, counters, reportCounters } = deps;
  const app = Fastify({ bodyLimit: CLOUD_BODY_LIMIT_BYTES, forceCloseConnections: true, logger: false });
  const hung = new Set<NodeJS.Timeout>();
  app.addHook("onClose", async () => {
    for (const timer of hung) clearTimeout(timer);
  });

  app.setErrorHandler((err, _request, reply) => {
    if (err instanceof CloudHttpError) {
      return reply.status(err.status).send({ error: { code: err.code, message: clip(err.message) } });
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    const code = status < 500 ? "BAD_REQUEST" : "INTERNAL";
    return reply.status(status).send({ error: { code, message: clip((err as Error).message) } });
  });

  // Fault injection: only on contract routes, in the order a network would show them.
  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith(CLOUD_API_PREFIX)) return;
    if (faults.down) return drop(request, reply);
    if (faults.drop_next > 0) {
      faults.drop_next--;
      return drop(request, reply);
    }
    if (faults.hang_next > 0) {
      faults.hang_next--;
      reply.hijack();
      const timer = setTimeout(() => {
        hung.delete(timer);
        request.raw.socket.destroy();
      }, faults.hang_ms);
      hung.add(timer);
      return;
    }
    if (faults.delay_ms > 0) await new Promise((r) => setTimeout(r, faults.delay_ms));
    if (faults.fail_next > 0 || (faults.fail_rate > 0 && Math.random() < faults.fail_rate)) {
      if (faults.fail_next > 0) faults.fail_next--;
      throw new CloudHttpError(500, "INTERNAL", "injected failure");
    }
  });

  const authenticate = (request: FastifyRequest): string => {
    const deviceId = store.authenticate(bearer(request.raw));
    if (deviceId === undefined)
      throw new CloudHttpError(401, "AUTH_INVALID", "unknown or expired credential");
    return deviceId;
  };

  app.get(`${CLOUD_API_PREFIX}/health`, async () => ({ ok: true }));

  app.post(`${CLOUD_API_PREFIX}/activations/claim`, async (request): Promise<ClaimResponse> => {
    const body = bodyOf<ClaimRequest>(request, CONTRACT_CHECKERS.claimRequest);
    let publicKey: Uint8Array;
    try {
      publicKey = fromBase64Url(body.device_public_key);
    } catch {
      publicKey = new Uint8Array(0);
    }
    if (publicKey.length !== 32) {
      throw new CloudHttpError(400, "BAD_REQUEST", "device_public_key must be 32 bytes (base64url)");
    }
    const row = store.code(body.activation_code);
    if (row === undefined) throw new CloudHttpError(404, "CODE_UNKNOWN", "unknown activation code");
    let bundle = row.bundle && row.bundle_signature && { bytes: row.bundle, signature: row.bundle_signature };
    if (row.device_id !== null && row.device_id !== body.device_id) {
      throw new CloudHttpError(409, "CODE_USED", `the code was claimed by device ${row.device_id}`);
    }
    // A repeat is the same device only if it has the same key: a device copying a claimed device's id
    // gets neither the bundle nor a credential.
    if (row.public_key !== null && Buffer.compare(row.public_key, publicKey) !== 0) {
      throw new CloudHttpError(
        409,
        "CODE_USED",
        `the code was claimed by device ${row.device_id} with another public key`,
      );
    }
    if (bundle === null || row.device_id === null) {
      const content: ActivationBundle = {
        kind: "ACTIVATION_BUNDLE",
        v: 1,
        bundle_id: `B-${toBase64Url(sha256(new TextEncoder().encode(row.code)))
          .replace(/[_]/g, "-")
          .slice(0, 20)}`,
        device_id: body.device_id,
        device_public_key: publicKey,
        merchant_nif: row.merchant_nif,
        outlet_id: row.outlet_id,
        fiscal_authority_id: row.fiscal_authority_id,
        issued_at: Date.now(),
      };
      const signed = signActivationBundle(content, deps.rootSeed);
      store.claim(row, body.device_id, publicKey, signed.bytes, signed.signature);
      bundle = { bytes: Buffer.from(signed.bytes), signature: Buffer.from(signed.signature) };
    }
    // A repeated claim by the same device (its first answer was lost) gets the same bundle again.
    return {
      bundle: { bytes: toBase64Url(bundle.bytes), signature: toBase64Url(bundle.signature) },
      credential: store.issueCredential(body.device_id),
      merchant_nif: row.merchant_nif,
      outlet_id: row.outlet_id,
      fiscal_authority_id: row.fiscal_authority_id,
    };
  });

  app.post<{ Params: { device_id: string } }>(
    `${CLOUD_API_PREFIX}/devices/:device_id/activation`,
    async (request) => {
      const deviceId = authenticate(request);
      if (deviceId !== request.params.device_id) {
        throw new CloudHttpError(403, "WRONG_DEVICE", "the credential is bound to another device");
      }
      const body = bodyOf<RegisterActivationRequest>(request, CONTRACT_CHECKERS.registerActivationRequest);
      const device = store.device(deviceId);
      if (device === undefined) throw new CloudHttpError(400, "BAD_REQUEST", "the device is not registered");
      const activation = body.activation;
      const blob = (() => {
        try {
          const b = {
            bytes: fromBase64Url(activation.bytes),
            signature: fromBase64Url(activation.signature),
          };
          const record = openActivationRecord(b, device.public_key);
          if (record.device_id !== deviceId || record.merchant_nif !== device.merchant_nif) {
            throw new Error("the activation record names another device or merchant");
          }
          return b;
        } catch (err) {
          throw new CloudHttpError(422, "ACTIVATION_INVALID", (err as Error).message);
        }
      })();
      store.registerActivation(deviceId, blob.bytes, blob.signature);
      return { device_id: deviceId, genesis_hash: toBase64Url(genesisHash(blob.bytes)) };
    },
  );

  app.post(`${CLOUD_API_PREFIX}/uploads`, async (request, reply) => {
    const deviceId = authenticate(request);
    const body = bodyOf<UploadRequest>(request, CONTRACT_CHECKERS.uploadRequest);
    const device = store.device(deviceId);
    if (device === undefined) throw new CloudHttpError(401, "AUTH_INVALID", "the device is not registered");
    const reject = new Set(faults.reject_fiscal_numbers);
    const items = body.items;
    counters.uploads++;
    const signed = items.map(decodeSigned);
    // The workers verify while this thread decodes the records' CBOR.
    const verifying = deps.verifier.verifyAll(device.public_key, signed.map(signedOf));
    const decoded = signed.map(decodeRecordOf);
    const valid = await verifying;
    const acks = store.inTransaction(() =>
      items.map((item, i) =>
        ingestItem(store, deviceId, device.public_key, item, decoded[i]!, reject, counters, valid[i]),
      ),
    );
    if (faults.lose_ack_next > 0) {
      faults.lose_ack_next--;
      return drop(request, reply);
    }
    return { acks };
  });

  app.post<{ Params: { device_id: string } }>(
    `${CLOUD_API_PREFIX}/devices/:device_id/reports`,
    async (request, reply) => {
      const deviceId = authenticate(request);
      if (deviceId !== request.params.device_id) {
        throw new CloudHttpError(403, "WRONG_DEVICE", "the credential is bound to another device");
      }
      const body = bodyOf<ReportUploadRequest>(request, CONTRACT_CHECKERS.reportUploadRequest);
      const device = store.device(deviceId);
      if (device === undefined) throw new CloudHttpError(401, "AUTH_INVALID", "the device is not registered");
      reportCounters.uploads++;
      const signed = body.reports.map(decodeSigned);
      // Reports are signed in the record context: the same workers check them.
      const verifying = deps.verifier.verifyAll(device.public_key, signed.map(signedOf));
      const decoded = signed.map(decodeReportOf);
      const valid = await verifying;
      const acks = store.inTransaction(() =>
        body.reports.map((item, i) =>
          ingestReport(store, deviceId, device.public_key, item, decoded[i]!, reportCounters, valid[i]),
        ),
      );
      if (faults.lose_ack_next > 0) {
        faults.lose_ack_next--;
        return drop(request, reply);
      }
      return { acks };
    },
  );

  app.post(`${CLOUD_API_PREFIX}/credentials/rotate`, async (request) => {
    const deviceId = authenticate(request);
    const until = Date.now() + OLD_CREDENTIAL_GRACE_MS;
    return {
      credential: store.rotate(bearer(request.raw), deviceId, until),
      old_valid_until: new Date(until).toISOString(),
    };
  });

  app.post("/admin/codes", async (request) => {
    const body = (request.body ?? {}) as Partial<CodeIdentity> & { code?: string };
    if (!isString(body.merchant_nif) || !isString(body.outlet_id) || !isString(body.fiscal_authority_id)) {
      throw new CloudHttpError(
        400,
        "BAD_REQUEST",
        "merchant_nif, outlet_id, fiscal_authority_id are required",
      );
    }
    return { code: store.issueCode(body as CodeIdentity, body.code) };
  });
  app.get<{ Querystring: { device_id?: string } }>("/admin/invoices", async (request) => ({
    items: store.invoices(request.query.device_id),
  }));
  app.get<{ Querystring: { device_id?: string; kind?: string } }>("/admin/reports", async (request) => ({
    items: store.reports(request.query.device_id, request.query.kind),
  }));
  app.get("/admin/stats", async () => ({
    ...counters,
    stored: store.invoiceCount(),
    reports: { ...reportCounters, stored: store.reportCount() },
  }));
  app.get("/control/faults", async () => faults);
  app.post("/control/faults", async (request) => {
    try {
      Object.assign(faults, checkCloudFaultPatch(request.body));
    } catch (err) {
      throw new CloudHttpError(400, "BAD_REQUEST", (err as Error).message);
    }
    return faults;
  });
  return app;
}
