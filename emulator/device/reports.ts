/**
 * INFO (what the device is) and STATUS (how it is doing), the two read-only reports a host polls.
 */
import { JOURNAL_PAGE_MAX, MAX_PAYLOAD_BYTES, type ResultOf, TAX_TABLE_V2 } from "../../protocol/index.js";
import { DEVICE_MODEL, FIRMWARE_VERSION, JOURNAL_WARN_PERCENT } from "../config.js";
import type { FiscalDevice } from "./fiscal-device.js";

/** STATUS warnings, by name. */
export const STATUS_WARNINGS = {
  JOURNAL_NEARLY_FULL: "JOURNAL_NEARLY_FULL",
  CLOCK_INVALID: "CLOCK_INVALID",
  NOT_ACTIVATED: "NOT_ACTIVATED",
} as const;

/** Executes INFO. */
export function info(device: FiscalDevice): ResultOf<"INFO"> {
  const activation = device.activation;
  return {
    device_id: device.deviceId,
    model: DEVICE_MODEL,
    firmware: FIRMWARE_VERSION,
    protocol: 1,
    public_key: device.publicKey,
    state: device.state,
    identity: activation && {
      merchant_nif: activation.merchant_nif,
      outlet_id: activation.outlet_id,
      fiscal_authority_id: activation.fiscal_authority_id,
    },
    activation: activation && {
      bytes: activation.activation.bytes,
      signature: activation.activation.signature,
    },
    activation_bundle: activation?.bundle
      ? { bytes: activation.bundle.bytes, signature: activation.bundle.signature }
      : null,
    // The table this device computes and seals with (invoice version 2).
    tax_table: TAX_TABLE_V2.version,
    limits: {
      max_payload: MAX_PAYLOAD_BYTES,
      nonce_ttl_ms: device.config.nonceTtlMs,
      max_pending: device.config.maxPending,
      journal_capacity: device.journalCapacity,
      journal_page: JOURNAL_PAGE_MAX,
    },
  };
}

/** Executes STATUS; `pending` counts only nonces still pending on device time. */
export function status(device: FiscalDevice): ResultOf<"STATUS"> {
  const head = device.memory.head;
  const clock = device.clock.reading();
  const warnings: string[] = [];
  if (device.activation === null) warnings.push(STATUS_WARNINGS.NOT_ACTIVATED);
  if (head.lastFiscalNumber * 100 >= device.journalCapacity * JOURNAL_WARN_PERCENT) {
    warnings.push(STATUS_WARNINGS.JOURNAL_NEARLY_FULL);
  }
  if (!clock.valid) warnings.push(STATUS_WARNINGS.CLOCK_INVALID);
  return {
    state: device.state,
    lock_reason: device.lockReason,
    last_fiscal_number: head.lastFiscalNumber,
    type_counters: { ...head.typeCounters },
    journal_used: head.lastFiscalNumber,
    journal_capacity: device.journalCapacity,
    pending: device.pending.count(clock.now),
    clock,
    last_hash: head.lastHash,
    warnings,
  };
}
