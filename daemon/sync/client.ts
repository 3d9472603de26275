/**
 * The daemon's HTTP client to the Stalela Cloud (docs/CLOUD_API.md), on node's global fetch with a
 * timeout per request. Every reply body, success or error, is checked against its contract schema
 * (daemon/sync/contract.ts) before anything reads it: a reply that is not JSON or does not match is
 * CLOUD_REPLY_INVALID with the first schema issue, never a cast. Every failure becomes a FiscalError
 * the agent and the activation flow can branch on: CLOUD_UNREACHABLE (no answer: network, DNS,
 * timeout, dropped connection — the cloud may or may not have acted), CLOUD_CREDENTIAL_INVALID (401),
 * the activation refusals, CLOUD_REJECTED for any other error answer (with `details.status`), and
 * CLOUD_REPLY_INVALID.
 *
 * The endpoint must be https; plain http is refused (CONFIG_INSECURE) unless the client was built
 * with `allowInsecureLoopback` and the host is loopback (development mode: the demo and the tests).
 * No message or error detail built here carries the credential or the request headers.
 */
import { FiscalError, fromBase64Url, genesisHash, toBase64Url } from "../../protocol/index.js";
import type { IssueChecker } from "../../protocol/schema-issues.js";
import {
  CLOUD_API_PREFIX,
  type ClaimRequest,
  type ClaimResponse,
  type CloudErrorBody,
  CONTRACT_CHECKERS,
  firstContractIssue,
  type RegisterActivationRequest,
  type RegisterActivationResponse,
  type ReportUploadRequest,
  type ReportUploadResponse,
  type RotateResponse,
  type UploadRequest,
  type UploadResponse,
} from "./contract.js";

/** Where the cloud is and how long to wait for it. */
export interface CloudClientOptions {
  readonly endpoint: string;
  readonly requestTimeoutMs: number;
  /**
   * Accept a plain `http://` endpoint whose host is loopback (127.0.0.0/8, ::1, localhost): the
   * development mode (`trust.allowEmulator`). Default false: https only.
   */
  readonly allowInsecureLoopback?: boolean;
}

/** What the sync agent and the activation flow need from the cloud. */
export interface CloudPort {
  claim(request: ClaimRequest): Promise<ClaimResponse>;
  registerActivation(credential: string, deviceId: string, request: RegisterActivationRequest): Promise<void>;
  upload(credential: string, request: UploadRequest): Promise<UploadResponse>;
  /**
   * Uploads signed fiscal reports of `deviceId` (docs/CLOUD_API.md §Report upload). Optional: a port
   * without it (a stand-in for the invoice uploads only) gets no report upload; the agent then leaves
   * the reports pending.
   */
  uploadReports?(
    credential: string,
    deviceId: string,
    request: ReportUploadRequest,
  ): Promise<ReportUploadResponse>;
  rotate(credential: string): Promise<RotateResponse>;
}

/** True for a host name or address on this machine's loopback interface. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Checks an endpoint for the client: an absolute https URL, or http to a loopback host when
 * `allowInsecureLoopback`. Throws CONFIG_INSECURE (plain http elsewhere) or FIELD_TYPE (not a URL).
 * Returns the base URL without its trailing slash.
 */
export function checkCloudEndpoint(endpoint: string, allowInsecureLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new FiscalError("FIELD_TYPE", `the cloud endpoint is not a URL: ${endpoint}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new FiscalError("CONFIG_INSECURE", "the cloud endpoint must not carry a user name or password");
  }
  if (url.protocol === "https:") return endpoint.replace(/\/$/, "");
  if (url.protocol !== "http:") {
    throw new FiscalError("FIELD_TYPE", `the cloud endpoint must be an https URL, got ${url.protocol}`);
  }
  if (!allowInsecureLoopback || !isLoopbackHost(url.hostname)) {
    throw new FiscalError(
      "CONFIG_INSECURE",
      `the cloud endpoint ${url.origin} is plain http: https is required ` +
        "(http only to a loopback host in development mode, --allow-emulator)",
    );
  }
  return endpoint.replace(/\/$/, "");
}

/** The contract over HTTP. */
export class CloudClient implements CloudPort {
  private readonly base: string;

  /** Throws CONFIG_INSECURE for a plain-http endpoint the options do not allow. */
  constructor(private readonly options: CloudClientOptions) {
    this.base = checkCloudEndpoint(options.endpoint, options.allowInsecureLoopback ?? false);
  }

  claim(request: ClaimRequest): Promise<ClaimResponse> {
    return this.post(CONTRACT_CHECKERS.claimResponse, "/activations/claim", request, undefined);
  }

  async registerActivation(
    credential: string,
    deviceId: string,
    request: RegisterActivationRequest,
  ): Promise<void> {
    const path = `/devices/${encodeURIComponent(deviceId)}/activation`;
    const answer = await this.post<RegisterActivationResponse>(
      CONTRACT_CHECKERS.registerActivationResponse,
      path,
      request,
      credential,
    );
    // The cloud names the device and the genesis hash it derived: both must be what was sent.
    let expected: string | undefined;
    try {
      expected = toBase64Url(genesisHash(fromBase64Url(request.activation.bytes)));
    } catch {
      expected = undefined;
    }
    if (answer.device_id !== deviceId || (expected !== undefined && answer.genesis_hash !== expected)) {
      throw new FiscalError(
        "CLOUD_REPLY_INVALID",
        `${this.base}${CLOUD_API_PREFIX}${path}: the registration answer names another device or genesis hash`,
        { route: path },
      );
    }
  }

  upload(credential: string, request: UploadRequest): Promise<UploadResponse> {
    return this.post(CONTRACT_CHECKERS.uploadResponse, "/uploads", request, credential);
  }

  uploadReports(
    credential: string,
    deviceId: string,
    request: ReportUploadRequest,
  ): Promise<ReportUploadResponse> {
    const path = `/devices/${encodeURIComponent(deviceId)}/reports`;
    return this.post(CONTRACT_CHECKERS.reportUploadResponse, path, request, credential);
  }

  rotate(credential: string): Promise<RotateResponse> {
    return this.post(CONTRACT_CHECKERS.rotateResponse, "/credentials/rotate", {}, credential);
  }

  private async post<T>(
    checker: IssueChecker,
    path: string,
    body: unknown,
    credential: string | undefined,
  ): Promise<T> {
    const url = `${this.base}${CLOUD_API_PREFIX}${path}`;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        redirect: "error",
      });
      text = await response.text();
    } catch (err) {
      // Only the cause's code or name: the fetch error may hold the request (and its headers).
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new FiscalError("CLOUD_UNREACHABLE", `${url}: ${cause}`, { kind: "unreachable" });
    }
    const status = response.status;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid(url, status, "the body is not JSON");
    }
    const expected = response.ok ? checker : CONTRACT_CHECKERS.errorBody;
    const issue = firstContractIssue(expected, parsed);
    if (issue !== undefined) throw invalid(url, status, issue);
    if (response.ok) return parsed as T;
    throw errorFromAnswer(status, parsed as CloudErrorBody, url);
  }
}

function invalid(url: string, status: number, issue: string): FiscalError {
  return new FiscalError("CLOUD_REPLY_INVALID", `${url} answered ${status}: ${issue}`, { status, issue });
}

function errorFromAnswer(status: number, body: CloudErrorBody, url: string): FiscalError {
  const { code, message } = body.error;
  const details = { status, cloudCode: code };
  switch (code) {
    case "CODE_UNKNOWN":
      return new FiscalError("ACTIVATION_CODE_UNKNOWN", message, details);
    case "CODE_USED":
      return new FiscalError("ACTIVATION_CODE_USED", message, details);
    case "WRONG_DEVICE":
      return new FiscalError("ACTIVATION_WRONG_DEVICE", message, details);
    case "AUTH_INVALID":
      return new FiscalError("CLOUD_CREDENTIAL_INVALID", message, details);
    default:
      return new FiscalError("CLOUD_REJECTED", `${url} answered ${status}: ${message}`, details);
  }
}

/**
 * The cloud port of a daemon with no cloud URL configured: nothing is sent anywhere, and every call
 * (activation by code, registration, rotation, upload of invoices or reports) fails with
 * CLOUD_NOT_CONFIGURED.
 */
export class UnconfiguredCloud implements CloudPort {
  private refuse(): never {
    throw new FiscalError(
      "CLOUD_NOT_CONFIGURED",
      "aucune URL du Cloud Stalela n'est configurée / no Stalela Cloud URL is configured (STALELA_CLOUD_URL)",
    );
  }
  async claim(): Promise<ClaimResponse> {
    this.refuse();
  }
  async registerActivation(): Promise<void> {
    this.refuse();
  }
  async upload(): Promise<UploadResponse> {
    this.refuse();
  }
  async uploadReports(): Promise<ReportUploadResponse> {
    this.refuse();
  }
  async rotate(): Promise<RotateResponse> {
    this.refuse();
  }
}

/** False for the port of a daemon without a cloud URL: the agent then uploads nothing. */
export function isCloudConfigured(cloud: CloudPort): boolean {
  return !(cloud instanceof UnconfiguredCloud);
}
