/**
 * The checks across records that a credit note makes checkable (docs/EXPORT.md §3): it references
 * an earlier original of a type it may credit, in the same currency; together with the credits
 * before it, it does not exceed the original; a void (v1 `VOID`, v2 `RAN`) reverses exactly what
 * remained; and no `client_ref` is sealed twice. The device refuses all of these at PREPARE, so a
 * signed record breaking one is a faulty or forged device.
 *
 * Streamable: records go in one at a time, in file order, and the ledger keeps only a compact
 * summary of each record a later one can reference (type, total, currency, credited sum, and for a
 * v2 original with its invoice the lines' keys, prices and quantities), plus every `client_ref`.
 */
import { decodeCanonical, encodeCanonical } from "../cbor.js";
import type { CanonicalInvoiceV2 } from "../invoice/schema-v2.js";
import { CREDITABLE_TYPES } from "../invoice/tables.js";
import { CREDITABLE_TYPES_V2 } from "../invoice/tables-v2.js";
import { type AuditedRecord, isCreditType } from "./record-rules.js";
import type { RecordFailure, RecordFailureReason } from "./report.js";

/** One invoice line as a credit note's line check needs it (PROTOCOL §7.4, SFE EG1.26). */
export interface LedgerLine {
  readonly code?: string;
  readonly name: string;
  readonly kind: string;
  readonly tax_group: string;
  readonly unit_price: number;
  readonly quantity_milli: number;
}

/** What the ledger remembers of a record later credit notes may reference. */
export interface OriginalSummary {
  readonly fiscalNumber: number;
  readonly invoiceType: string;
  readonly total: number;
  readonly currency: string;
  /** Sum of the totals of the credit notes against it seen so far. */
  credited: number;
  /** v2 originals with their invoice: the price mode and lines. */
  readonly priceMode?: "TTC" | "HT";
  readonly lines?: readonly LedgerLine[];
  /** Lines of the credit notes against it seen so far (v2 credits with their invoice). */
  readonly creditedLines: LedgerLine[];
}

/**
 * What is kept of each original: its lines packed as one canonical CBOR array of
 * `[code | null, name, kind, tax_group, unit_price, quantity_milli]` rows, unpacked only when a
 * credit note references it (most originals are never credited; a packed line costs its bytes).
 */
interface StoredOriginal extends Omit<OriginalSummary, "lines"> {
  readonly packedLines?: Uint8Array;
}

type PackedLine = [string | null, string, string, string, number, number];

function packLines(lines: readonly LedgerLine[]): Uint8Array {
  return encodeCanonical(
    lines.map(
      (l): PackedLine => [l.code ?? null, l.name, l.kind, l.tax_group, l.unit_price, l.quantity_milli],
    ),
  );
}

function unpackLines(bytes: Uint8Array): LedgerLine[] {
  return (decodeCanonical(bytes) as PackedLine[]).map(
    ([code, name, kind, tax_group, unit_price, quantity_milli]) => ({
      ...(code === null ? {} : { code }),
      name,
      kind,
      tax_group,
      unit_price,
      quantity_milli,
    }),
  );
}

/** A credit note's lines checked against its original (EG1.26); returns what is wrong, if anything. */
export type CreditLinesCheck = (
  credit: LedgerEntry,
  original: OriginalSummary,
) => readonly { reason: RecordFailureReason; message: string }[];

/** One record given to the ledger. */
export interface LedgerEntry {
  readonly index: number;
  readonly record: AuditedRecord;
  /** v2 records whose invoice validated: the invoice, its price mode and lines. */
  readonly invoiceV2?: CanonicalInvoiceV2;
  readonly priceMode?: "TTC" | "HT";
  readonly lines?: readonly LedgerLine[];
}

/** What the ledger knows of the document. */
export interface LedgerContext {
  readonly deviceId: string;
  readonly from: number;
  readonly to: number;
  /** The EG1.26 line check (invoice-checks.ts); without it, credit notes are checked on amounts only. */
  readonly checkLines?: CreditLinesCheck;
}

/** A credit note the file cannot check: its original lies before the range, or on another device. */
export interface UncheckedCredit {
  readonly fiscal_number: number;
  readonly references: { readonly device_id: string; readonly fiscal_number: number };
  readonly why: "before_range" | "other_device";
}

/** Credit notes and client references across the records of one export. */
export class CreditLedger {
  private readonly originals = new Map<number, StoredOriginal>();
  private readonly clientRefs = new Map<string, number>();
  private readonly seen = new Set<number>();
  /** Credits whose earlier original had not appeared yet in the file (a reordered file). */
  private readonly pending: LedgerEntry[] = [];
  readonly failures: RecordFailure[] = [];
  readonly unchecked: UncheckedCredit[] = [];

  constructor(private readonly ctx: LedgerContext) {}

  /** Takes the next decoded record in file order. A repeated fiscal number is ignored (already `duplicate`). */
  add(entry: LedgerEntry): void {
    const r = entry.record;
    if (this.seen.has(r.fiscal_number)) return;
    this.seen.add(r.fiscal_number);
    const first = this.clientRefs.get(r.client_ref);
    if (first === undefined) this.clientRefs.set(r.client_ref, r.fiscal_number);
    else
      this.fail(
        entry,
        "duplicate_client_ref",
        `client_ref ${r.client_ref} was already sealed as fiscal number ${first}`,
      );
    if (!isCreditType(r.invoice_type)) {
      this.originals.set(r.fiscal_number, {
        fiscalNumber: r.fiscal_number,
        invoiceType: r.invoice_type,
        total: r.totals.total,
        currency: r.currency,
        credited: 0,
        priceMode: entry.priceMode,
        packedLines: entry.lines === undefined ? undefined : packLines(entry.lines),
        creditedLines: [],
      });
      return;
    }
    this.credit(entry, false);
  }

  /** Resolves the credits that came before their original in the file. Call once, at the end. */
  finish(): void {
    for (const entry of this.pending.splice(0)) this.credit(entry, true);
  }

  private credit(entry: LedgerEntry, last: boolean): void {
    const r = entry.record;
    const ref = r.reference;
    if (ref === undefined || ref.fiscal_number === undefined) return; // reference_rule, or RRR: no original
    const deviceId = ref.device_id ?? this.ctx.deviceId;
    const references = { device_id: deviceId, fiscal_number: ref.fiscal_number };
    if (deviceId !== this.ctx.deviceId) {
      this.unchecked.push({ fiscal_number: r.fiscal_number, references, why: "other_device" });
      return;
    }
    if (ref.fiscal_number >= r.fiscal_number) {
      this.fail(
        entry,
        "credit_reference",
        `references fiscal number ${ref.fiscal_number}, not earlier than itself`,
      );
      return;
    }
    if (ref.fiscal_number < this.ctx.from) {
      this.unchecked.push({ fiscal_number: r.fiscal_number, references, why: "before_range" });
      return;
    }
    const original = this.originals.get(ref.fiscal_number);
    if (original === undefined) {
      if (!last && !this.seen.has(ref.fiscal_number)) {
        this.pending.push(entry);
        return;
      }
      const what = this.seen.has(ref.fiscal_number) ? "is itself a credit note" : "is not in the file";
      this.fail(entry, "credit_reference", `references fiscal number ${ref.fiscal_number}, which ${what}`);
      return;
    }
    this.against(entry, original);
  }

  private against(entry: LedgerEntry, original: StoredOriginal): void {
    const r = entry.record;
    const allowed: readonly string[] =
      (r.v === 1
        ? CREDITABLE_TYPES[r.invoice_type as keyof typeof CREDITABLE_TYPES]
        : CREDITABLE_TYPES_V2[r.invoice_type as keyof typeof CREDITABLE_TYPES_V2]) ?? [];
    if (!allowed.includes(original.invoiceType)) {
      this.fail(
        entry,
        "credit_reference",
        `a ${r.invoice_type} credits ${allowed.join(" or ")}, not the ${original.invoiceType} ${original.fiscalNumber}`,
      );
    }
    if (r.currency !== original.currency) {
      this.fail(
        entry,
        "credit_currency",
        `in ${r.currency}, its original ${original.fiscalNumber} in ${original.currency}`,
      );
    }
    const remaining = original.total - original.credited;
    const total = r.totals.total;
    const isVoid = r.reference?.kind === "VOID" || r.reference?.nature === "RAN";
    let amountsWrong = false;
    if (total > remaining) {
      amountsWrong = true;
      this.fail(
        entry,
        "credit_exceeds",
        `credits ${total}, but only ${remaining} of ${original.fiscalNumber}'s ${original.total} remained`,
      );
    } else if (isVoid && total !== remaining) {
      amountsWrong = true;
      this.fail(
        entry,
        "void_not_full",
        `a void reverses the whole ${remaining} that remained of ${original.fiscalNumber}, not ${total}`,
      );
    }
    if (
      this.ctx.checkLines !== undefined &&
      entry.lines !== undefined &&
      original.packedLines !== undefined
    ) {
      const summary: OriginalSummary = { ...original, lines: unpackLines(original.packedLines) };
      for (const breach of this.ctx.checkLines(entry, summary)) {
        // An annulation short on amounts is already named; its quantities then say nothing new.
        if (!(amountsWrong && breach.reason === "void_not_full"))
          this.fail(entry, breach.reason, breach.message);
      }
    }
    original.credited += total;
    if (entry.lines !== undefined) original.creditedLines.push(...entry.lines);
  }

  private fail(entry: LedgerEntry, reason: RecordFailureReason, message: string): void {
    this.failures.push({ fiscal_number: entry.record.fiscal_number, index: entry.index, reason, message });
  }
}
