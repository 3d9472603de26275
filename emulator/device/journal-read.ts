/**
 * GET_RECORD and JOURNAL_READ: how a host recovers a lost COMMIT reply and how it exports or
 * reconciles the journal. Both return the exact sealed bytes stored at COMMIT, with the canonical
 * invoice bytes the record seals (`invoice`) when the journal has them (not for a record v1).
 */
import {
  type ArgsOf,
  encodeCanonical,
  FiscalError,
  MAX_PAYLOAD_BYTES,
  type ResultOf,
  type SealedRecord,
} from "../../protocol/index.js";
import type { JournalRow } from "../store/journal-queries.js";
import type { FiscalDevice } from "./fiscal-device.js";

/**
 * Room kept in a JOURNAL_READ reply for everything but the entries: the `{ok, result: {entries,
 * next, last}}` envelope is under 60 bytes; the rest is margin. One entry always fits: a record,
 * its signature, auth code and QR take under 2 KiB, and its invoice at most MAX_INVOICE_BYTES
 * (24,576), well inside MAX_PAYLOAD_BYTES (32,768).
 */
const JOURNAL_READ_ENVELOPE_BYTES = 128;

function sealedOf(row: JournalRow): SealedRecord {
  return row.invoice === null ? row.sealed : { ...row.sealed, invoice: row.invoice };
}

/** Executes GET_RECORD by fiscal number, payload hash or client reference. */
export function getRecord(device: FiscalDevice, args: ArgsOf<"GET_RECORD">): ResultOf<"GET_RECORD"> {
  const queries = device.memory.queries;
  let row: JournalRow | undefined;
  let what: string;
  if ("fiscal_number" in args) {
    row = queries.byFiscalNumber(args.fiscal_number);
    what = `fiscal number ${args.fiscal_number}`;
  } else if ("payload_hash" in args) {
    row = queries.byPayloadHash(args.payload_hash);
    what = "that payload hash";
  } else {
    row = queries.byClientRef(args.client_ref);
    what = `client_ref ${args.client_ref}`;
  }
  if (row === undefined) throw new FiscalError("RECORD_NOT_FOUND", `no record has ${what}`);
  return sealedOf(row);
}

/**
 * Executes JOURNAL_READ: up to `limit` records from `from`, fewer when more would not fit one
 * frame (each entry counted with its invoice bytes). `next` is the fiscal number to ask for next,
 * null once the page reaches the last record.
 */
export function journalRead(device: FiscalDevice, args: ArgsOf<"JOURNAL_READ">): ResultOf<"JOURNAL_READ"> {
  const last = device.memory.lastFiscalNumber;
  const rows = device.memory.queries.range(args.from, args.limit);
  const entries: SealedRecord[] = [];
  let size = JOURNAL_READ_ENVELOPE_BYTES;
  for (const row of rows) {
    const entry = sealedOf(row);
    size += encodeCanonical(entry as never).length;
    if (size > MAX_PAYLOAD_BYTES && entries.length > 0) break;
    entries.push(entry);
  }
  const lastReturned = rows[entries.length - 1]?.fiscalNumber;
  const next = lastReturned !== undefined && lastReturned < last ? lastReturned + 1 : null;
  return { entries, next, last };
}
