/**
 * The fiscalisation exchange on the device side: PREPARE validates a canonical invoice version 2 and
 * hands out a nonce bound to the payload hash (no counter moves), COMMIT consumes it and seals a
 * record v2 in one atomic append that also keeps the invoice bytes, ABORT and LIST_PENDING manage
 * what is pending.
 */
import {
  type ArgsOf,
  bytesEqual,
  type CanonicalInvoiceV2,
  ERRORS,
  encodeInvoice,
  FiscalError,
  type FiscalRecordV2,
  fiscalYearOf,
  genesisHash,
  type ResultOf,
  recordFieldsOfInvoice,
  recordHash,
  sealRecord,
  sha256,
  validateCanonicalInvoiceV2,
} from "../../protocol/index.js";
import type { JournalReference, StoredActivation } from "../store/fiscal-memory.js";
import { assertCreditAllowed } from "./credit-original.js";
import type { FiscalDevice } from "./fiscal-device.js";
import type { PendingPrepare } from "./pending.js";

/** The invoice version this device seals; a v1 invoice is refused at `/v`. */
export const SEALED_INVOICE_VERSION = 2;

function prepareResult(p: PendingPrepare): ResultOf<"PREPARE"> {
  return { nonce: p.nonce, payload_hash: p.payloadHash, expires_at: p.expiresAt, totals: p.invoice.totals };
}

/** INVOICE_INVALID (or `name`) with one field issue at `path`. */
function fieldError(
  name: "INVOICE_INVALID" | "SELLER_MISMATCH",
  path: string,
  issueCode: number,
  message: string,
): FiscalError {
  return new FiscalError(name, `${path} ${message}`, { issues: [{ path, code: issueCode, message }] });
}

/**
 * The device-side check of a received invoice: version 2 only, every v2 rule
 * (validateCanonicalInvoiceV2), and a seller that is the merchant this device is activated for.
 */
function validateInvoice(value: unknown, activation: StoredActivation): CanonicalInvoiceV2 {
  if (typeof value === "object" && value !== null && "v" in value && value.v !== SEALED_INVOICE_VERSION) {
    // Checked before the schema so a v1 invoice gets one clear issue, not one per renamed field.
    throw fieldError("INVOICE_INVALID", "/v", ERRORS.FIELD_RANGE.code, "this device seals version 2");
  }
  const invoice = validateCanonicalInvoiceV2(value);
  if (invoice.seller.nif !== activation.merchant_nif) {
    throw fieldError(
      "SELLER_MISMATCH",
      "/seller/nif",
      ERRORS.SELLER_MISMATCH.code,
      `is ${invoice.seller.nif}, but this device is activated for ${activation.merchant_nif}`,
    );
  }
  return invoice;
}

/**
 * Refuses an invoice already in the journal: the same payload, or the same client_ref with another
 * payload. Both are ALREADY_FISCALIZED; the message names the fiscal number to GET_RECORD.
 */
function assertNotFiscalised(
  device: FiscalDevice,
  invoice: CanonicalInvoiceV2,
  payloadHash: Uint8Array,
): void {
  const queries = device.memory.queries;
  const same = queries.byPayloadHash(payloadHash);
  if (same !== undefined) {
    throw new FiscalError(
      "ALREADY_FISCALIZED",
      `this payload is already fiscal number ${same.fiscalNumber}`,
      { fiscal_number: same.fiscalNumber },
    );
  }
  const byRef = queries.byClientRef(invoice.client_ref);
  if (byRef !== undefined) {
    throw new FiscalError(
      "ALREADY_FISCALIZED",
      `client_ref ${invoice.client_ref} is already fiscal number ${byRef.fiscalNumber}, with another payload`,
      { fiscal_number: byRef.fiscalNumber },
    );
  }
}

/**
 * The record v2 COMMIT signs for `pending` at device time `issuedAt`: the next global, type and year
 * numbers, the chain tip, the activation's identity and the invoice's own identifiers and totals.
 */
function recordFor(
  device: FiscalDevice,
  activation: StoredActivation,
  pending: PendingPrepare,
  issuedAt: number,
): FiscalRecordV2 {
  const head = device.memory.head;
  const invoice = pending.invoice;
  const fiscalYear = fiscalYearOf(issuedAt);
  return {
    kind: "INVOICE",
    v: 2,
    device_id: device.deviceId,
    fiscal_number: head.lastFiscalNumber + 1,
    type_number: head.typeCounters[invoice.type] + 1,
    fiscal_year: fiscalYear,
    year_number: device.memory.lastYearNumber(fiscalYear) + 1,
    issued_at: issuedAt,
    payload_hash: pending.payloadHash,
    prev_hash: head.lastHash ?? genesisHash(activation.activation.bytes),
    merchant_nif: activation.merchant_nif,
    outlet_id: activation.outlet_id,
    fiscal_authority_id: activation.fiscal_authority_id,
    ...recordFieldsOfInvoice(invoice, device.deviceId),
  };
}

/**
 * The PREPARE holding `nonce` at device time, or the refusal: NONCE_EXPIRED for a nonce that expired
 * and is still remembered (PROTOCOL.md §10.2), NONCE_UNKNOWN for one never issued, committed, aborted
 * or forgotten.
 */
function pendingOrThrow(device: FiscalDevice, nonce: Uint8Array): PendingPrepare {
  const found = device.pending.lookup(nonce, device.clock.now());
  if (found.state === "pending") return found.pending;
  if (found.state === "expired") {
    throw new FiscalError("NONCE_EXPIRED", `the nonce expired at ${new Date(found.expiredAt).toISOString()}`);
  }
  throw new FiscalError("NONCE_UNKNOWN");
}

/** The journal's index columns for a record's reference: the original, or none for RRR. */
function journalReference(reference: FiscalRecordV2["reference"]): JournalReference | undefined {
  if (reference === undefined) return undefined;
  if (!("fiscal_number" in reference)) return { kind: reference.nature };
  return { device_id: reference.device_id, fiscal_number: reference.fiscal_number, kind: reference.nature };
}

/** Executes PREPARE. */
export function prepare(device: FiscalDevice, args: ArgsOf<"PREPARE">): ResultOf<"PREPARE"> {
  const activation = device.assertFiscalReady();
  const now = device.clock.assertValid();
  const invoice = validateInvoice(args.invoice, activation);
  // The bytes the record's payload_hash binds, kept with the pending PREPARE and then in the journal.
  const invoiceBytes = encodeInvoice(invoice);
  const payloadHash = sha256(invoiceBytes);
  assertNotFiscalised(device, invoice, payloadHash);
  assertCreditAllowed(device, invoice);
  // A host that lost the PREPARE reply asks again: same payload, same nonce.
  const existing = device.pending.findByPayload(payloadHash, now);
  if (existing !== undefined) return prepareResult(existing);
  // An expired nonce holds no slot: count() sees only nonces still pending at `now`.
  const pendingCount = device.pending.count(now);
  if (pendingCount >= device.config.maxPending) {
    throw new FiscalError(
      "PENDING_LIMIT",
      `${pendingCount} PREPAREs are pending; COMMIT or ABORT one, or let it expire`,
    );
  }
  return prepareResult(
    device.pending.add({ payloadHash, invoice, invoiceBytes }, now + device.config.nonceTtlMs),
  );
}

/** Executes COMMIT: the one command that moves counters. */
export function commit(device: FiscalDevice, args: ArgsOf<"COMMIT">): ResultOf<"COMMIT"> {
  device.assertActivated();
  const pending = pendingOrThrow(device, args.nonce);
  if (!bytesEqual(pending.payloadHash, args.payload_hash)) throw new FiscalError("NONCE_MISMATCH");
  const activation = device.assertFiscalReady();
  const issuedAt = device.clock.assertValid();
  const invoice = pending.invoice;
  try {
    // Another pending PREPARE may have committed since: the same client_ref, or a credit note that
    // used up what remained of the same original (its total or an item's quantity). Such a nonce can
    // never succeed, so it is dropped.
    assertNotFiscalised(device, invoice, pending.payloadHash);
    assertCreditAllowed(device, invoice);
  } catch (err) {
    device.pending.abandon(args.nonce);
    throw err;
  }
  const record = recordFor(device, activation, pending, issuedAt);
  const sealed = sealRecord(record, device.memory.identity.seed);
  device.memory.append({
    fiscalNumber: record.fiscal_number,
    typeNumber: record.type_number,
    invoiceType: record.invoice_type,
    fiscalYear: record.fiscal_year,
    yearNumber: record.year_number,
    issuedAt,
    sealed,
    invoice: pending.invoiceBytes,
    recordHash: recordHash(sealed.record),
    payloadHash: pending.payloadHash,
    clientRef: record.client_ref,
    total: record.totals.total,
    currency: record.currency,
    reference: journalReference(record.reference),
  });
  device.pending.committed(args.nonce);
  return {
    record: sealed.record,
    signature: sealed.signature,
    auth_code: sealed.auth_code,
    qr: sealed.qr,
    invoice: pending.invoiceBytes,
  };
}

/** Executes ABORT. An expired nonce answers NONCE_EXPIRED while remembered, and stays expired. */
export function abort(device: FiscalDevice, args: ArgsOf<"ABORT">): ResultOf<"ABORT"> {
  pendingOrThrow(device, args.nonce);
  device.pending.abandon(args.nonce);
  return { nonce: args.nonce };
}

/** Executes LIST_PENDING: only nonces still pending on device time, never an expired one. */
export function listPending(device: FiscalDevice): ResultOf<"LIST_PENDING"> {
  return {
    pending: device.pending.list(device.clock.now()).map((p) => ({
      nonce: p.nonce,
      payload_hash: p.payloadHash,
      client_ref: p.invoice.client_ref,
      expires_at: p.expiresAt,
    })),
  };
}
