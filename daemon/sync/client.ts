/**
 * The daemon's HTTP client to the Stalela Cloud (docs/CLOUD_API.md), on node's global fetch with a
 * timeout per request. Every failure becomes a FiscalError the agent and the activation flow can
 * branch on: CLOUD_UNREACHABLE (no answer: network, DNS, timeout, dropped connection — the cloud
 * may or may not have acted), CLOUD_CREDENTIAL_INVALID (401), the activation refusals, and
 * CLOUD_REJECTED for any other error answer (with `details.status`).
 */
import { FiscalError } from "../../protocol/index.js";
import {
  CLOUD_API_PREFIX,
  type ClaimRequest,
  type ClaimResponse,
  type CloudErrorBody,
  type RegisterActivationRequest,
  type RotateResponse,
  type UploadRequest,
  type UploadResponse,
} from "./contract.js";

/** Where the cloud is and how long to wait for it. */
export interface CloudClientOptions {
  readonly endpoint: string;
  readonly requestTimeoutMs: number;
}

/** What the sync agent and the activation flow need from the cloud. */
export interface CloudPort {
  claim(request: ClaimRequest): Promise<ClaimResponse>;
  registerActivation(credential: string, deviceId: string, request: RegisterActivationRequest): Promise<void>;
  upload(credential: string, request: UploadRequest): Promise<UploadResponse>;
  rotate(credential: string): Promise<RotateResponse>;
}

/** The contract over HTTP. */
export class CloudClient implements CloudPort {
  constructor(private readonly options: CloudClientOptions) {}

  claim(request: ClaimRequest): Promise<ClaimResponse> {
    return this.post<ClaimResponse>("/activations/claim", request, undefined);
  }

  async registerActivation(
    credential: string,
    deviceId: string,
    request: RegisterActivationRequest,
  ): Promise<void> {
    await this.post(`/devices/${encodeURIComponent(deviceId)}/activation`, request, credential);
  }

  upload(credential: string, request: UploadRequest): Promise<UploadResponse> {
    return this.post<UploadResponse>("/uploads", request, credential);
  }

  rotate(credential: string): Promise<RotateResponse> {
    return this.post<RotateResponse>("/credentials/rotate", {}, credential);
  }

  private async post<T>(path: string, body: unknown, credential: string | undefined): Promise<T> {
    const url = `${this.options.endpoint.replace(/\/$/, "")}${CLOUD_API_PREFIX}${path}`;
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
      });
      text = await response.text();
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new FiscalError("CLOUD_UNREACHABLE", `${url}: ${cause}`, { kind: "unreachable" }, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      throw new FiscalError("CLOUD_REJECTED", `${url} answered ${response.status} with non-JSON`, {
        status: response.status,
      });
    }
    if (response.ok) return parsed as T;
    throw errorFromAnswer(response.status, parsed as Partial<CloudErrorBody>, url);
  }
}

function errorFromAnswer(status: number, body: Partial<CloudErrorBody>, url: string): FiscalError {
  const code = body.error?.code ?? "INTERNAL";
  const message = body.error?.message ?? `HTTP ${status}`;
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
