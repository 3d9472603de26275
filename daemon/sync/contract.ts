/**
 * The daemon ↔ Stalela Cloud contract, v1 (docs/CLOUD_API.md): the JSON bodies both sides exchange.
 * Byte fields (signed records, signatures, bundles) travel as base64url so the exact signed bytes
 * reach the cloud and its signatures stay verifiable after any JSON re-serialisation.
 */

/** Path prefix of every contract route; a breaking change gets `/v2`. */
export const CLOUD_API_PREFIX = "/cloud/v1";

/** POST /cloud/v1/activations/claim */
export interface ClaimRequest {
  readonly activation_code: string;
  readonly device_id: string;
  /** base64url of the device's 32-byte Ed25519 public key (from INFO). */
  readonly device_public_key: string;
}

/** A signed blob on the wire: base64url bytes and signature. */
export interface WireSignedBlob {
  readonly bytes: string;
  readonly signature: string;
}

/** Answer to a claim: the bundle for ACTIVATE and the daemon's upload credential. */
export interface ClaimResponse {
  readonly bundle: WireSignedBlob;
  readonly credential: string;
  readonly merchant_nif: string;
  readonly outlet_id: string;
  readonly fiscal_authority_id: string;
}

/** POST /cloud/v1/devices/{device_id}/activation (bearer credential). */
export interface RegisterActivationRequest {
  readonly activation: WireSignedBlob;
}

/** One sealed invoice in an upload batch, with every identifier the DGI links it by. */
export interface UploadItem {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly fiscal_authority_id: string;
  readonly outlet_id: string;
  readonly merchant_nif: string;
  readonly cashier_id: string;
  readonly api_key_id: string | null;
  readonly invoice_id: string;
  /** base64url of the signed record bytes (canonical CBOR). */
  readonly record: string;
  /** base64url of the device's Ed25519 signature over `record`. */
  readonly signature: string;
  readonly auth_code: string;
  readonly qr: string;
  /** base64url of the canonical invoice (CBOR) when the daemon has it; null for journal imports. */
  readonly invoice: string | null;
}

/** POST /cloud/v1/uploads (bearer credential). */
export interface UploadRequest {
  readonly batch_id: string;
  readonly items: readonly UploadItem[];
}

/** How the cloud took one item. */
export type AckOutcome = "accepted" | "duplicate" | "rejected";

/** The cloud's answer for one item, matched by (device_id, fiscal_number). */
export interface UploadAck {
  readonly device_id: string;
  readonly fiscal_number: number;
  readonly outcome: AckOutcome;
  readonly reason?: string;
  readonly dgi_status: string | null;
}

/** Answer to an upload: one ack per item. */
export interface UploadResponse {
  readonly acks: readonly UploadAck[];
}

/** POST /cloud/v1/credentials/rotate (bearer credential): the new credential. */
export interface RotateResponse {
  readonly credential: string;
  /** ISO 8601: when the old credential stops working at the latest. */
  readonly old_valid_until: string;
}

/** Every error answer: a stable string code and a human message. */
export interface CloudErrorBody {
  readonly error: { readonly code: CloudErrorCode; readonly message: string };
}

/** The cloud's error codes (docs/CLOUD_API.md §Errors). */
export type CloudErrorCode =
  | "CODE_UNKNOWN"
  | "CODE_USED"
  | "WRONG_DEVICE"
  | "AUTH_INVALID"
  | "BAD_REQUEST"
  | "ACTIVATION_INVALID"
  | "INTERNAL";
