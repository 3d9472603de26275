/**
 * The typebox schemas of the fiscal-report routes (docs/API.md §11): the reports, the Z result, their
 * lists and queries. Like daemon/http/schemas.ts, the routes validate and serialise with them and
 * /openapi.json is made from the same objects.
 */

import Type, { type Static } from "typebox";
import {
  type ArticleLine,
  FiguresSchema,
  JOURNALED_REPORT_KINDS,
  PRICE_MODES,
  REPORT_KINDS,
} from "../../protocol/index.js";
import type { ReportView } from "../reports/views.js";
import { type Extends, type Mutable, Nullable, type Same } from "./schemas.js";

/** Default number of reports `GET /v1/reports` lists. */
export const DEFAULT_REPORT_LIST_LIMIT = 20;
/** Most reports `GET /v1/reports` lists. */
export const MAX_REPORT_LIST_LIMIT = 100;
/** Highest fiscal or Z number a device counts to (docs/PROTOCOL.md §13.2: a uint32 counter). */
const MAX_COUNTER = 4_294_967_295;
/** The kinds the store keeps: the journaled ones and the A reports (an X report is never stored). */
export const STORED_REPORT_KINDS = [...JOURNALED_REPORT_KINDS, "A_REPORT"] as const;

const NullableInteger = (description: string) => Nullable(Type.Integer({ description }));

/** One article line of an A report (protocol/reports/articles.ts `ArticleLine`). */
const ArticleLineSchema = Type.Object(
  {
    article: Type.String({ description: "the article's code, or its name when it has none" }),
    name: Type.String({ description: "the name on its first sale in the range" }),
    unit_price: Type.Integer({ description: "centimes, in the price mode" }),
    price_mode: Type.Enum([...PRICE_MODES]),
    tax_group: Type.String(),
    rate_bp: Type.Integer({ description: "the group's rate, in basis points" }),
    sold_milli: Type.Integer({ description: "quantity sold, in thousandths" }),
    returned_milli: Type.Integer({ description: "quantity taken back by credit notes, in thousandths" }),
    sold_amount: Type.Integer({ description: "Σ line amounts of the sales, centimes" }),
    returned_amount: Type.Integer({ description: "Σ line amounts of the credit notes, centimes" }),
  },
  { additionalProperties: false },
);

/** A fiscal report as the API shows it (daemon/reports/views.ts `ReportView`, docs/API.md §11). */
export const ReportViewSchema = Type.Object(
  {
    kind: Type.Enum([...REPORT_KINDS]),
    number: NullableInteger(
      "Z and closures: their number; X: the number of the Z that will close the day; A: its number in the daemon's sequence of A reports (null when not stored)",
    ),
    device_id: Type.String(),
    merchant_nif: Type.String(),
    outlet_id: Type.String(),
    isf: Type.String({ description: "the ISF the report was made for" }),
    issued_at: Type.String({ description: "device time the report was made, ISO 8601 UTC" }),
    period_from: Nullable(
      Type.String({
        description: "Z and X: time of the day's first invoice, ISO 8601 UTC; null without one",
      }),
    ),
    period: Nullable(Type.String({ description: "closures: the month `YYYY-MM` or the year `YYYY`" })),
    first_fiscal_number: NullableInteger("first invoice covered; null when it covers none"),
    last_fiscal_number: NullableInteger("last invoice covered; null when it covers none"),
    after_fiscal_number: Type.Integer({ description: "the device's last fiscal number when it was made" }),
    z_first: NullableInteger("closures: the first Z summed"),
    z_last: NullableInteger("closures: the last Z summed"),
    incomplete: NullableInteger("PREPAREs of the period that ended without COMMIT; null on an A report"),
    figures: Nullable({
      ...FiguresSchema,
      description:
        "the period's figures as the device signed them (docs/PROTOCOL.md §13.3); null on an A report",
    }),
    article_count: NullableInteger("A: the number of article lines signed"),
    lines: Nullable(
      Type.Array(ArticleLineSchema, {
        description:
          "A, as made by `GET /v1/reports/a`: the article lines rebuilt from the daemon's records; null otherwise",
      }),
    ),
    matches_store: Type.Boolean({
      description:
        "whether the signed figures (A: the lines' digest) equal those the daemon computes from its own records",
    }),
    signed: Type.Object(
      {
        record: Type.String({ description: "base64url of the signed report record (canonical CBOR)" }),
        signature: Type.String({ description: "base64url Ed25519 signature of the device over `record`" }),
        hash: Type.String({ description: "hex SHA-256 of `record`" }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, description: "the report" },
);

/** `POST /v1/reports/z`: the Z and the closures it made first. */
export const ZResultSchema = Type.Object(
  {
    z: ReportViewSchema,
    closures: Type.Array(ReportViewSchema, {
      description: "monthly and yearly closures made with this Z, in journal order (usually none)",
    }),
  },
  { additionalProperties: false, description: "the day is closed" },
);

/** `GET /v1/reports`. */
export const ReportListSchema = Type.Object(
  { items: Type.Array(ReportViewSchema) },
  { additionalProperties: false, description: "stored reports, newest first" },
);

/** `GET /v1/reports`'s query. */
export const ReportListQuerySchema = Type.Object(
  {
    kind: Type.Optional(Type.Enum([...STORED_REPORT_KINDS], { description: "default: every kind" })),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_REPORT_LIST_LIMIT, default: DEFAULT_REPORT_LIST_LIMIT }),
    ),
  },
  { additionalProperties: false },
);

/** `GET /v1/reports/a`'s query: the range of fiscal numbers. */
export const ArticlesQuerySchema = Type.Object(
  {
    from: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_COUNTER,
        description:
          "first fiscal number; default: the one after the last A report's range (1 for the first)",
      }),
    ),
    to: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_COUNTER,
        description: "last fiscal number; default: the device's last",
      }),
    ),
  },
  { additionalProperties: false },
);

/** `{number}` of `GET /v1/reports/z/{number}`: a Z number, in decimal. */
export const ZNumberParamsSchema = Type.Object(
  { number: Type.String({ pattern: "^[1-9][0-9]{0,9}$", description: "the Z number, 1, 2, 3 …" }) },
  { additionalProperties: false },
);

// Compile-time proof that the schemas describe exactly the report types (as in ./schemas.ts).
type ReportViewBodyType = Static<typeof ReportViewSchema>;
const schemaMatchesTypes: [
  Same<Mutable<Static<typeof ArticleLineSchema>>, Mutable<ArticleLine>>,
  // ReportView types `kind` as text; the schema names the kinds, which is all reportView writes there.
  Same<Mutable<Omit<ReportViewBodyType, "kind">>, Mutable<Omit<ReportView, "kind">>>,
  Extends<ReportViewBodyType["kind"], ReportView["kind"]>,
] = [true, true, true];
void schemaMatchesTypes;

/** The wire type of a report. */
export type ReportViewBody = Static<typeof ReportViewSchema>;

/** A ReportView as its response body type (reportView writes one of REPORT_KINDS as `kind`). */
export const reportBody = (view: ReportView): ReportViewBody => view as ReportViewBody;
