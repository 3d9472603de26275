/**
 * The fiscalisation exchange on the device side: PREPARE validates and hands out a nonce bound to
 * the payload hash (no counter moves), COMMIT consumes it and seals the record in one atomic
 * append, ABORT and LIST_PENDING manage what is pending.
 */
import {
  type ArgsOf,
  bytesEqual,
  type CanonicalInvoice,
  checkCreditAgainstOriginal,
  FiscalError,
  type FiscalRecord,
  genesisHash,
  invoiceHash,
  type ResultOf,
  recordHash,
  sealRecord,
  validateCanonicalInvoice,
} from "../../protocol/index.js";
import type { FiscalDevice } from "./fiscal-device.js";
import type { PendingPrepare } from "./pending.js";

function prepareResult(p: PendingPrepare): ResultOf<"PREPARE"> {
  return { nonce: p.nonce, payload_hash: p.payloadHash, expires_at: p.expiresAt, totals: p.invoice.totals };
}

/**
 * Refuses an invoice already in the journal: the same payload, or the same client_ref with another
 * payload. Both are ALREADY_FISCALIZED; the message names the fiscal number to GET_RECORD.
 */
function assertNotFiscalised(device: FiscalDevice, invoice: CanonicalInvoice, payloadHash: Uint8Array): void {
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
 * Checks a credit note against its original in this device's journal. A reference to another
 * device's invoice cannot be checked here and is accepted (the daemon and the cloud check it).
 */
function assertCreditAllowed(device: FiscalDevice, invoice: CanonicalInvoice): void {
  const reference = invoice.reference;
  if (reference === undefined) return;
  const own = device.deviceId;
  if (reference.device_id !== undefined && reference.device_id !== own) return;
  const queries = device.memory.queries;
  const row = queries.byFiscalNumber(reference.fiscal_number);
  checkCreditAgainstOriginal(
    invoice,
    row && {
      invoiceType: row.invoiceType,
      total: row.total,
      currency: row.currency,
      credited: queries.creditedTotal(own, reference.fiscal_number),
    },
  );
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

/** Executes PREPARE. */
export function prepare(device: FiscalDevice, args: ArgsOf<"PREPARE">): ResultOf<"PREPARE"> {
  device.assertFiscalReady();
  const now = device.clock.assertValid();
  const invoice = validateCanonicalInvoice(args.invoice);
  const payloadHash = invoiceHash(invoice);
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
  return prepareResult(device.pending.add(payloadHash, invoice, now + device.config.nonceTtlMs));
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
    // used up what remained of the same original. Such a nonce can never succeed, so it is dropped.
    assertNotFiscalised(device, invoice, pending.payloadHash);
    assertCreditAllowed(device, invoice);
  } catch (err) {
    device.pending.delete(args.nonce);
    throw err;
  }
  const head = device.memory.head;
  const deviceId = device.deviceId;
  const record: FiscalRecord = {
    kind: "INVOICE",
    v: 1,
    device_id: deviceId,
    fiscal_number: head.lastFiscalNumber + 1,
    type_number: head.typeCounters[invoice.type] + 1,
    invoice_type: invoice.type,
    issued_at: issuedAt,
    payload_hash: pending.payloadHash,
    prev_hash: head.lastHash ?? genesisHash(activation.activation.bytes),
    merchant_nif: activation.merchant_nif,
    outlet_id: activation.outlet_id,
    fiscal_authority_id: activation.fiscal_authority_id,
    cashier_id: invoice.cashier_id,
    client_ref: invoice.client_ref,
    currency: invoice.currency,
    totals: invoice.totals,
    tax_table: invoice.tax_table,
    reference: invoice.reference && {
      device_id: invoice.reference.device_id ?? deviceId,
      fiscal_number: invoice.reference.fiscal_number,
      kind: invoice.reference.kind,
    },
  };
  const sealed = sealRecord(record, device.memory.identity.seed);
  device.memory.append({
    fiscalNumber: record.fiscal_number,
    typeNumber: record.type_number,
    invoiceType: record.invoice_type,
    issuedAt,
    sealed,
    recordHash: recordHash(sealed.record),
    payloadHash: pending.payloadHash,
    clientRef: record.client_ref,
    total: record.totals.total,
    currency: record.currency,
    reference: record.reference,
  });
  device.pending.delete(args.nonce);
  return { record: sealed.record, signature: sealed.signature, auth_code: sealed.auth_code, qr: sealed.qr };
}

/** Executes ABORT. An expired nonce answers NONCE_EXPIRED while remembered, and stays expired. */
export function abort(device: FiscalDevice, args: ArgsOf<"ABORT">): ResultOf<"ABORT"> {
  pendingOrThrow(device, args.nonce);
  device.pending.delete(args.nonce);
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
