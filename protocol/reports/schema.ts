/**
 * The report records a DEF signs (docs/PROTOCOL.md §13): the Z report that closes a fiscal day, the
 * X report that reads the open day without closing it, the monthly and yearly closures over the Z
 * reports, and the A report over the articles sold. Z reports and closures are journaled: they take
 * their place in the one hash chain of the journal, between the invoices they follow. X and A
 * reports are signed and not journaled.
 */
import Type, { type Static } from "typebox";
import { BytesSchema } from "../bytes.js";
import { ID_PATTERN } from "../invoice/schema.js";
import { INVOICE_TYPES_V2 } from "../invoice/tables-v2.js";

/** The report kinds, and which of them the journal keeps. */
export const REPORT_KINDS = ["Z_REPORT", "X_REPORT", "MONTH_CLOSURE", "YEAR_CLOSURE", "A_REPORT"] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
/** The kinds appended to the journal's hash chain, each with its own sequence 1, 2, 3 … */
export const JOURNALED_REPORT_KINDS = ["Z_REPORT", "MONTH_CLOSURE", "YEAR_CLOSURE"] as const;
export type JournaledReportKind = (typeof JOURNALED_REPORT_KINDS)[number];

/** Most bytes a report record may have (a Z with every type and every group stays near 8 KB). */
export const MAX_REPORT_RECORD_BYTES = 16_384;

const Closed = { additionalProperties: false } as const;
const Uint = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Counter = Type.Integer({ minimum: 1, maximum: 4_294_967_295 });
const OptionalCounter = Type.Union([Counter, Type.Null()]);
const Id = Type.String({ pattern: ID_PATTERN });
const Hash = BytesSchema(32);
const Code = (max: number) => Type.String({ pattern: "^[A-Z_]+$", maxLength: max });

const GroupFiguresSchema = Type.Object(
  {
    group: Type.String({ pattern: "^[A-P]$" }),
    rate_bp: Type.Integer({ minimum: 0, maximum: 10_000 }),
    base: Uint,
    tax: Uint,
    total: Uint,
  },
  Closed,
);
const Groups = Type.Array(GroupFiguresSchema, { maxItems: 64 });
const Payments = Type.Array(Type.Object({ method: Code(16), count: Uint, amount: Uint }, Closed), {
  maxItems: 16,
});
const Natures = Type.Array(Type.Object({ nature: Code(16), count: Uint, total: Uint }, Closed), {
  maxItems: 16,
});

/** The figures of a period (protocol/reports/figures.ts computes them). */
export const FiguresSchema = Type.Object(
  {
    types: Type.Array(
      Type.Object(
        {
          invoice_type: Type.Enum([...INVOICE_TYPES_V2]),
          dgi_type: Type.String({ pattern: "^[A-Z]{2}$" }),
          count: Uint,
          total: Uint,
          tax_total: Uint,
          specific_tax_total: Uint,
          groups: Groups,
        },
        Closed,
      ),
      { maxItems: INVOICE_TYPES_V2.length },
    ),
    groups: Type.Object({ sales: Groups, credits: Groups }, Closed),
    payments: Type.Object({ sales: Payments, credits: Payments }, Closed),
    credit_notes: Natures,
    reductions: Type.Object({ lines: Uint, amount: Uint }, Closed),
    v1_records: Uint,
  },
  Closed,
);
export type Figures = Static<typeof FiguresSchema>;
export type GroupFigures = Static<typeof GroupFiguresSchema>;
export type TypeFigures = Figures["types"][number];
export type PaymentFigures = Figures["payments"]["sales"][number];
export type NatureFigures = Figures["credit_notes"][number];

/** Fields every report carries: who signed it, for whom, when, and where the chain stood. */
const Common = {
  v: Type.Literal(1),
  device_id: Id,
  merchant_nif: Id,
  outlet_id: Id,
  fiscal_authority_id: Id,
  isf: Id,
  issued_at: Uint,
  /** The device's last fiscal number when the report was made (0 before the first invoice). */
  after_fiscal_number: Uint,
  /** The journal's chain tip before the report: the hash of the last record or journaled report. */
  prev_hash: Hash,
};

/** The invoices a report covers: fiscal numbers first … last, null when it covers none. */
const Covered = { first_fiscal_number: OptionalCounter, last_fiscal_number: OptionalCounter };

/** Z (closes the day) and X (reads it): the figures since the last Z. */
const DaySchema = <K extends "Z_REPORT" | "X_REPORT">(kind: K) =>
  Type.Object(
    {
      kind: Type.Literal(kind),
      ...Common,
      /** Z: its number; X: the number of the Z that will close this day. */
      number: Counter,
      /** Device time of the first invoice of the day, null when there is none. */
      period_from: Type.Union([Uint, Type.Null()]),
      ...Covered,
      /** PREPAREs of the day that ended without COMMIT: aborted, expired or dropped. */
      incomplete: Uint,
      figures: FiguresSchema,
      /** The previous Z record's hash; for the first Z, the genesis hash (§9). */
      prev_report_hash: Hash,
    },
    Closed,
  );
export const ZReportSchema = DaySchema("Z_REPORT");
export const XReportSchema = DaySchema("X_REPORT");

/** A monthly (`YYYY-MM`) or yearly (`YYYY`) closure: the sums of the Z reports made in it. */
const ClosureSchema = <K extends "MONTH_CLOSURE" | "YEAR_CLOSURE">(kind: K, pattern: string) =>
  Type.Object(
    {
      kind: Type.Literal(kind),
      ...Common,
      number: Counter,
      period: Type.String({ pattern }),
      /** The Z reports summed: Z numbers first … last, all of them made in `period`. */
      z_first: Counter,
      z_last: Counter,
      ...Covered,
      incomplete: Uint,
      figures: FiguresSchema,
      /** The previous closure of the same kind; for the first, the genesis hash. */
      prev_report_hash: Hash,
    },
    Closed,
  );
export const MonthClosureSchema = ClosureSchema("MONTH_CLOSURE", "^[0-9]{4}-(0[1-9]|1[0-2])$");
export const YearClosureSchema = ClosureSchema("YEAR_CLOSURE", "^[0-9]{4}$");

/** The A report: the articles of fiscal numbers first … last, by their digest (§13.5). */
export const AReportSchema = Type.Object(
  {
    kind: Type.Literal("A_REPORT"),
    ...Common,
    ...Covered,
    article_count: Uint,
    /** SHA-256 of the canonical CBOR array of the article lines (protocol/reports/articles.ts). */
    articles_hash: Hash,
  },
  Closed,
);

export const ReportRecordSchema = Type.Union([
  ZReportSchema,
  XReportSchema,
  MonthClosureSchema,
  YearClosureSchema,
  AReportSchema,
]);
export type ZReport = Static<typeof ZReportSchema>;
export type XReport = Static<typeof XReportSchema>;
export type DayReport = ZReport | XReport;
export type MonthClosure = Static<typeof MonthClosureSchema>;
export type YearClosure = Static<typeof YearClosureSchema>;
export type Closure = MonthClosure | YearClosure;
export type AReport = Static<typeof AReportSchema>;
export type ReportRecord = Static<typeof ReportRecordSchema>;

/** A signed report as it travels: the record's canonical bytes and the device's signature over them. */
export const SealedReportSchema = Type.Object(
  { record: BytesSchema(undefined, MAX_REPORT_RECORD_BYTES), signature: BytesSchema(64) },
  Closed,
);
export type SealedReport = Static<typeof SealedReportSchema>;
