/**
 * Record bytes as the verifier reads them. `decodeRecord` refuses a record with an unknown tax table,
 * or a reference where its type says there is none (PROTOCOL §8.2): right for the device and the
 * daemon, which must never use such a record. An auditor needs more than "not a record": a validly
 * signed record breaking one of those rules is a faulty or forged device, and the report names the
 * rule (`tax_table_unknown`, `reference_rule`). So when those are the only problems, the verifier
 * keeps the record and lets the audit rules name them; anything else is still `not_a_record`.
 */
import Type from "typebox";
import { type CborValue, decodeCanonical, encodeCanonical } from "../cbor.js";
import { isFiscalError } from "../errors.js";
import { ID_PATTERN } from "../invoice/schema.js";
import { TAX_TABLE } from "../invoice/tables.js";
import { CREDIT_NATURES, TAX_TABLE_V2 } from "../invoice/tables-v2.js";
import { compileChecker } from "../schema-issues.js";
import { decodeRecord, type FiscalRecord } from "../security/record.js";
import { isCreditType } from "./record-rules.js";

/** The reference shapes the audit rules can read: v1 `{device_id, fiscal_number, kind}` or any v2 nature. */
const ReadableReferenceSchema = Type.Union([
  Type.Object(
    {
      device_id: Type.String({ pattern: ID_PATTERN }),
      fiscal_number: Type.Integer({ minimum: 1, maximum: 4_294_967_295 }),
      kind: Type.Enum(["VOID", "REFUND"]),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      nature: Type.Enum([...CREDIT_NATURES]),
      device_id: Type.Optional(Type.String({ pattern: ID_PATTERN })),
      fiscal_number: Type.Optional(Type.Integer({ minimum: 1, maximum: 4_294_967_295 })),
    },
    { additionalProperties: false },
  ),
]);
const referenceChecker = compileChecker(ReadableReferenceSchema);

/** Paths of the record rules the audit names itself. */
const NAMED_RULE_PATHS = /^\/(tax_table|reference)(\/|$)/;

/**
 * Decodes record bytes like `decodeRecord`, but keeps a record whose only faults are its tax table or
 * its reference rule (the audit rules name those). Throws what `decodeRecord` throws otherwise.
 */
export function decodeAuditedRecord(bytes: Uint8Array): FiscalRecord {
  try {
    return decodeRecord(bytes);
  } catch (err) {
    const issues = isFiscalError(err, "JOURNAL_CORRUPT") ? err.details?.issues : undefined;
    if (issues === undefined || issues.length === 0 || !issues.every((i) => NAMED_RULE_PATHS.test(i.path))) {
      throw err;
    }
    const value = decodeCanonical(bytes) as Record<string, CborValue>;
    if (value.reference !== undefined && !referenceChecker.check(value.reference)) throw err;
    // The same record with a valid table and reference must decode: then nothing else is wrong with it.
    const repaired: Record<string, CborValue> = {
      ...value,
      tax_table: value.v === 2 ? TAX_TABLE_V2.version : TAX_TABLE.version,
    };
    const credit = typeof value.invoice_type === "string" && isCreditType(value.invoice_type);
    if (!credit) delete repaired.reference;
    else if (value.v === 2) repaired.reference = { nature: "RRR" };
    else repaired.reference = { device_id: String(value.device_id), fiscal_number: 1, kind: "REFUND" };
    try {
      decodeRecord(encodeCanonical(repaired));
    } catch {
      throw err;
    }
    return value as unknown as FiscalRecord;
  }
}
