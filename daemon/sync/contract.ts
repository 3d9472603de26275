/**
 * The daemon ↔ Stalela Cloud contract, v1 (docs/CLOUD_API.md): the JSON bodies both sides exchange,
 * as typebox schemas. The daemon's client checks every reply against them (CLOUD_REPLY_INVALID
 * otherwise) and the cloud emulator checks every request with the same ones, so the contract lives
 * in this one place. Byte fields (signed records and reports, signatures, bundles) travel as
 * base64url so the exact signed bytes reach the cloud and its signatures stay verifiable after any
 * JSON re-serialisation. Every object is closed (`additionalProperties: false`): a reply with a field the
 * contract does not name is not this contract.
 */
import Type, { type Static } from "typebox";
import { compileChecker, type IssueChecker } from "../../protocol/schema-issues.js";

/** Path prefix of every contract route; a breaking change gets `/v2`. */
export const CLOUD_API_PREFIX = "/cloud/v1";

/** Longest identifier or free-text string field the contract carries, in characters. */
export const CONTRACT_STRING_MAX = 4096;
/** Longest base64url byte field (a record, an invoice, a bundle), in characters. */
export const CONTRACT_BYTES_MAX = 1_048_576;

const closed = { additionalProperties: false } as const;
const Text = Type.String({ minLength: 1, maxLength: CONTRACT_STRING_MAX });
/** Canonical-alphabet base64url, no padding. */
const Base64Url = Type.String({ pattern: "^[A-Za-z0-9_-]+$", maxLength: CONTRACT_BYTES_MAX });
/** A bearer token (RFC 6750 token68): it goes into an HTTP header, so no space, CR or LF. */
const Credential = Type.String({ pattern: "^[A-Za-z0-9._~+/-]+=*$", minLength: 16, maxLength: 512 });
/** base64url of a SHA-256 digest: 43 characters. */
const Sha256B64 = Type.String({ pattern: "^[A-Za-z0-9_-]{43}$" });
const FiscalNumber = Type.Integer({ minimum: 1, maximum: 4_294_967_295 });

/** POST /cloud/v1/activations/claim */
export const ClaimRequestSchema = Type.Object(
  {
    activation_code: Text,
    device_id: Text,
    /** base64url of the device's 32-byte Ed25519 public key (from INFO). */
    device_public_key: Text,
  },
  closed,
);
export type ClaimRequest = Static<typeof ClaimRequestSchema>;

/** A signed blob on the wire: base64url bytes and signature. */
export const WireSignedBlobSchema = Type.Object({ bytes: Base64Url, signature: Base64Url }, closed);
export type WireSignedBlob = Static<typeof WireSignedBlobSchema>;

/** Answer to a claim: the bundle for ACTIVATE and the daemon's upload credential. */
export const ClaimResponseSchema = Type.Object(
  {
    bundle: WireSignedBlobSchema,
    credential: Credential,
    merchant_nif: Text,
    outlet_id: Text,
    fiscal_authority_id: Text,
  },
  closed,
);
export type ClaimResponse = Static<typeof ClaimResponseSchema>;

/** POST /cloud/v1/devices/{device_id}/activation (bearer credential). */
export const RegisterActivationRequestSchema = Type.Object(
  { activation: Type.Object({ bytes: Text, signature: Text }, closed) },
  closed,
);
export type RegisterActivationRequest = Static<typeof RegisterActivationRequestSchema>;

/** Answer to a registration: the device and the genesis hash of its journal chain. */
export const RegisterActivationResponseSchema = Type.Object(
  { device_id: Text, genesis_hash: Sha256B64 },
  closed,
);
export type RegisterActivationResponse = Static<typeof RegisterActivationResponseSchema>;

/**
 * One sealed invoice in an upload batch, with every identifier the DGI links it by. Byte fields are
 * plain strings here (not base64url-checked) so that the cloud answers a malformed one per item,
 * with a `rejected` ack, rather than refusing the whole batch.
 */
export const UploadItemSchema = Type.Object(
  {
    device_id: Text,
    fiscal_number: FiscalNumber,
    fiscal_authority_id: Text,
    outlet_id: Text,
    merchant_nif: Text,
    cashier_id: Text,
    api_key_id: Type.Union([Text, Type.Null()]),
    invoice_id: Text,
    /** base64url of the signed record bytes (canonical CBOR). */
    record: Type.String({ maxLength: CONTRACT_BYTES_MAX }),
    /** base64url of the device's Ed25519 signature over `record`. */
    signature: Type.String({ maxLength: CONTRACT_STRING_MAX }),
    auth_code: Text,
    qr: Text,
    /** base64url of the canonical invoice (CBOR) when the daemon has it; null for journal imports. */
    invoice: Type.Union([Type.String({ maxLength: CONTRACT_BYTES_MAX }), Type.Null()]),
  },
  closed,
);
export type UploadItem = Static<typeof UploadItemSchema>;

/** Largest upload batch, in items (the daemon's `batchSize` range ends here). */
export const MAX_UPLOAD_ITEMS = 1_000;

/** POST /cloud/v1/uploads (bearer credential). */
export const UploadRequestSchema = Type.Object(
  { batch_id: Text, items: Type.Array(UploadItemSchema, { maxItems: MAX_UPLOAD_ITEMS }) },
  closed,
);
export type UploadRequest = Static<typeof UploadRequestSchema>;

/** How the cloud took one item. */
export const ACK_OUTCOMES = ["accepted", "duplicate", "rejected"] as const;
export type AckOutcome = (typeof ACK_OUTCOMES)[number];

/**
 * The cloud's answer for one item, matched by (device_id, fiscal_number) and by `record_hash`:
 * base64url(SHA-256) of the record bytes the cloud received, so the daemon can tell that the ack is
 * for the very record it sent.
 */
export const UploadAckSchema = Type.Object(
  {
    device_id: Text,
    fiscal_number: FiscalNumber,
    record_hash: Sha256B64,
    outcome: Type.Enum([...ACK_OUTCOMES]),
    reason: Type.Optional(Text),
    dgi_status: Type.Union([Text, Type.Null()]),
  },
  closed,
);
export type UploadAck = Static<typeof UploadAckSchema>;

/** Answer to an upload: one ack per item. */
export const UploadResponseSchema = Type.Object(
  { acks: Type.Array(UploadAckSchema, { maxItems: MAX_UPLOAD_ITEMS }) },
  closed,
);
export type UploadResponse = Static<typeof UploadResponseSchema>;

/**
 * The report kinds the daemon stores and uploads (docs/PROTOCOL.md §13): Z reports, monthly and
 * yearly closures (journaled, numbered by the device) and A reports (numbered by the daemon's store).
 * An X report is neither stored nor uploaded.
 */
export const UPLOADED_REPORT_KINDS = ["Z_REPORT", "MONTH_CLOSURE", "YEAR_CLOSURE", "A_REPORT"] as const;
export type UploadedReportKind = (typeof UPLOADED_REPORT_KINDS)[number];

const ReportKindField = Type.Enum([...UPLOADED_REPORT_KINDS]);
const ReportNumber = Type.Integer({ minimum: 1, maximum: 4_294_967_295 });

/**
 * One signed fiscal report in a report upload, keyed by (device, kind, number). As in an invoice
 * item, the byte fields are plain strings here so that a malformed one is answered per report, with
 * a `rejected` ack, rather than refusing the whole request.
 */
export const ReportItemSchema = Type.Object(
  {
    kind: ReportKindField,
    /** The device's number for a Z or a closure, the store's sequence for an A report. */
    number: ReportNumber,
    /** base64url of the signed report bytes (canonical CBOR, PROTOCOL §13.2). */
    record: Type.String({ maxLength: CONTRACT_BYTES_MAX }),
    /** base64url of the device's Ed25519 signature over `record`. */
    signature: Type.String({ maxLength: CONTRACT_STRING_MAX }),
  },
  closed,
);
export type ReportItem = Static<typeof ReportItemSchema>;

/** Most reports per report upload, and acks per answer. */
export const MAX_REPORT_ITEMS = 100;

/** POST /cloud/v1/devices/{device_id}/reports (bearer credential). */
export const ReportUploadRequestSchema = Type.Object(
  { batch_id: Text, reports: Type.Array(ReportItemSchema, { maxItems: MAX_REPORT_ITEMS }) },
  closed,
);
export type ReportUploadRequest = Static<typeof ReportUploadRequestSchema>;

/**
 * The cloud's answer for one report, matched by (device_id, kind, number) and by `record_hash`:
 * base64url(SHA-256) of the report bytes the cloud received, as for an invoice's ack.
 */
export const ReportAckSchema = Type.Object(
  {
    device_id: Text,
    kind: ReportKindField,
    number: ReportNumber,
    record_hash: Sha256B64,
    outcome: Type.Enum([...ACK_OUTCOMES]),
    reason: Type.Optional(Text),
  },
  closed,
);
export type ReportAck = Static<typeof ReportAckSchema>;

/** Answer to a report upload: one ack per report. */
export const ReportUploadResponseSchema = Type.Object(
  { acks: Type.Array(ReportAckSchema, { maxItems: MAX_REPORT_ITEMS }) },
  closed,
);
export type ReportUploadResponse = Static<typeof ReportUploadResponseSchema>;

/** POST /cloud/v1/credentials/rotate (bearer credential): the new credential. */
export const RotateResponseSchema = Type.Object(
  {
    credential: Credential,
    /** ISO 8601 (UTC or with an offset): when the old credential stops working at the latest. */
    old_valid_until: Type.String({
      pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$",
    }),
  },
  closed,
);
export type RotateResponse = Static<typeof RotateResponseSchema>;

/** The cloud's error codes (docs/CLOUD_API.md §Errors). */
export const CLOUD_ERROR_CODES = [
  "CODE_UNKNOWN",
  "CODE_USED",
  "WRONG_DEVICE",
  "AUTH_INVALID",
  "BAD_REQUEST",
  "ACTIVATION_INVALID",
  "INTERNAL",
] as const;
export type CloudErrorCode = (typeof CLOUD_ERROR_CODES)[number];

/** Every error answer: a stable string code and a human message. */
export const CloudErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      { code: Type.Enum([...CLOUD_ERROR_CODES]), message: Type.String({ maxLength: CONTRACT_STRING_MAX }) },
      closed,
    ),
  },
  closed,
);
export type CloudErrorBody = Static<typeof CloudErrorBodySchema>;

/** The compiled checkers, built once, for both sides. */
export const CONTRACT_CHECKERS = {
  claimRequest: compileChecker(ClaimRequestSchema),
  claimResponse: compileChecker(ClaimResponseSchema),
  registerActivationRequest: compileChecker(RegisterActivationRequestSchema),
  registerActivationResponse: compileChecker(RegisterActivationResponseSchema),
  uploadRequest: compileChecker(UploadRequestSchema),
  uploadResponse: compileChecker(UploadResponseSchema),
  reportUploadRequest: compileChecker(ReportUploadRequestSchema),
  reportUploadResponse: compileChecker(ReportUploadResponseSchema),
  rotateResponse: compileChecker(RotateResponseSchema),
  errorBody: compileChecker(CloudErrorBodySchema),
} as const satisfies Record<string, IssueChecker>;

/** The first issue of `value` against `checker` as one line (`/acks/0/outcome: …`), or undefined. */
export function firstContractIssue(checker: IssueChecker, value: unknown): string | undefined {
  const issue = checker.issues(value)[0];
  return issue === undefined ? undefined : `${issue.path}: ${issue.message}`;
}
