/**
 * The printed form of a fiscal-day report (X, Z, A, monthly and yearly closures): the SFE's minimum
 * content (§1.3.3 a–m, §1.4.2, ../shared/DRC-RULES.md §7) worded in the reader's language, amounts
 * fr-CD and times in the shop's zone. One view model; the text, HTML and PDF templates only lay it
 * out (report-render.ts), like the receipt's.
 */
import { type Lang, LOCALES, t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import {
  CREDIT_NATURE_LABELS,
  type CreditNature,
  DGI_TYPES,
  type Figures,
  formatMinor,
  type GroupFigures,
  PAYMENT_METHOD_LABELS,
  type PaymentMethodV2,
  TAX_TABLE_V2,
  type TaxSlotId,
} from "../../protocol/index.js";
import type { ReportView } from "../reports/views.js";
import type { LabelledValue } from "./view.js";

/** One block of a printed report: a heading and its rows (a row without value is a sub-heading). */
export interface ReportSection {
  readonly heading: string;
  readonly rows: readonly LabelledValue[];
}

/** A report, worded and formatted for people. */
export interface ReportDocument {
  readonly lang: Lang;
  readonly seller: { readonly name: string; readonly lines: readonly string[] };
  readonly title: string;
  readonly gloss: string;
  /** Date, period, invoices covered, ISF, device (SFE §1.3.3 a–c). */
  readonly header: readonly LabelledValue[];
  readonly sections: readonly ReportSection[];
  readonly securityHeading: string;
  readonly security: readonly string[];
}

/** Who the report is for: the seller of the SFE configuration (§1.3.3 a). */
export interface ReportSeller {
  readonly name: string;
  readonly address: string;
}

const money = (minor: number): string => formatMinor(minor);

function rateOf(bp: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], { style: "percent", maximumFractionDigits: 2 }).format(
    bp / 10_000,
  );
}

function quantityOf(milli: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 3 }).format(milli / 1000);
}

function groupLabel(group: string): string {
  return TAX_TABLE_V2.groups[group as TaxSlotId]?.label ?? group;
}

function groupRows(groups: readonly GroupFigures[], lang: Lang): LabelledValue[] {
  if (groups.length === 0) return [{ label: t(lang, "report.none"), value: "" }];
  return groups.flatMap((g) => [
    { label: t(lang, "report.group_line", { group: g.group, label: groupLabel(g.group) }), value: "" },
    { label: `  ${t(lang, "report.base")}`, value: money(g.base) },
    { label: `  ${t(lang, "report.tax", { rate: rateOf(g.rate_bp, lang) })}`, value: money(g.tax) },
    { label: `  ${t(lang, "report.total")}`, value: money(g.total) },
  ]);
}

function figureSections(f: Figures, incomplete: number, lang: Lang): ReportSection[] {
  const types = f.types.flatMap((type) => [
    {
      label: t(lang, "report.type_line", { dgi: type.dgi_type, label: DGI_TYPES[type.invoice_type].label }),
      value: "",
    },
    { label: `  ${t(lang, "report.count")}`, value: String(type.count) },
    { label: `  ${t(lang, "report.total_ttc")}`, value: money(type.total) },
    { label: `  ${t(lang, "report.total_tax")}`, value: money(type.tax_total) },
    ...(type.specific_tax_total > 0
      ? [{ label: `  ${t(lang, "report.specific_tax")}`, value: money(type.specific_tax_total) }]
      : []),
    ...type.groups.map((g) => ({
      label: `  ${g.group} ${rateOf(g.rate_bp, lang)} · ${t(lang, "report.base")} ${money(g.base)}`,
      value: money(g.tax),
    })),
  ]);
  const payments = (list: Figures["payments"]["sales"]): LabelledValue[] =>
    list.length === 0
      ? [{ label: t(lang, "report.none"), value: "" }]
      : list.map((p) => ({
          label: t(lang, "report.payment_line", {
            label: PAYMENT_METHOD_LABELS[p.method as PaymentMethodV2]?.label ?? p.method,
            count: p.count,
          }),
          value: money(p.amount),
        }));
  const sales = f.groups.sales.reduce((sum, g) => sum + g.total, 0);
  const credits = f.groups.credits.reduce((sum, g) => sum + g.total, 0);
  const summary: LabelledValue[] = [
    { label: t(lang, "report.sales_total"), value: money(sales) },
    { label: t(lang, "report.credits_total"), value: money(credits) },
    { label: t(lang, "report.net_total"), value: money(sales - credits) },
    { label: t(lang, "report.reductions", { lines: f.reductions.lines }), value: money(f.reductions.amount) },
    { label: t(lang, "report.incomplete"), value: String(incomplete) },
  ];
  if (f.v1_records > 0) summary.push({ label: t(lang, "report.v1_records"), value: String(f.v1_records) });
  return [
    {
      heading: t(lang, "report.section.types"),
      rows: types.length > 0 ? types : [{ label: t(lang, "report.none"), value: "" }],
    },
    { heading: t(lang, "report.section.groups_sales"), rows: groupRows(f.groups.sales, lang) },
    { heading: t(lang, "report.section.groups_credits"), rows: groupRows(f.groups.credits, lang) },
    { heading: t(lang, "report.section.payments_sales"), rows: payments(f.payments.sales) },
    { heading: t(lang, "report.section.payments_credits"), rows: payments(f.payments.credits) },
    {
      heading: t(lang, "report.section.credit_notes"),
      rows:
        f.credit_notes.length === 0
          ? [{ label: t(lang, "report.none"), value: "" }]
          : f.credit_notes.map((n) => ({
              label: t(lang, "report.nature_line", {
                nature: n.nature,
                label: CREDIT_NATURE_LABELS[n.nature as CreditNature] ?? "",
                count: n.count,
              }),
              value: money(n.total),
            })),
    },
    { heading: t(lang, "report.section.summary"), rows: summary },
  ];
}

function articleSection(view: ReportView, lang: Lang): ReportSection {
  const lines = view.lines ?? [];
  return {
    heading: t(lang, "report.section.articles", { count: lines.length }),
    rows: [
      ...lines.flatMap((a) => [
        { label: a.article === a.name ? a.name : `${a.article} ${a.name}`, value: "" },
        {
          label: `  ${t(lang, "report.article_price", {
            price: money(a.unit_price),
            group: a.tax_group,
            rate: rateOf(a.rate_bp, lang),
            mode: a.price_mode,
          })}`,
          value: "",
        },
        {
          label: `  ${t(lang, "report.article_sold", { quantity: quantityOf(a.sold_milli, lang) })}`,
          value: money(a.sold_amount),
        },
        ...(a.returned_milli > 0
          ? [
              {
                label: `  ${t(lang, "report.article_returned", { quantity: quantityOf(a.returned_milli, lang) })}`,
                value: money(a.returned_amount),
              },
            ]
          : []),
      ]),
      { label: t(lang, "report.stock_note"), value: "" },
    ],
  };
}

/** The printed form of `view`, for `seller`, in `lang`, with times in `timeZone`. */
export function reportDocumentOf(
  view: ReportView,
  seller: ReportSeller,
  lang: Lang,
  timeZone: string,
): ReportDocument {
  const when = (iso: string): string => formatLocalTime(Date.parse(iso), timeZone, lang);
  const header: LabelledValue[] = [{ label: t(lang, "report.issued_at"), value: when(view.issued_at) }];
  if (view.kind === "Z_REPORT" || view.kind === "X_REPORT") {
    header.push({
      label: t(lang, "report.period_from"),
      value: view.period_from === null ? t(lang, "report.period_none") : when(view.period_from),
    });
  }
  if (view.z_first !== null && view.z_last !== null) {
    header.push({
      label: t(lang, "report.z_range"),
      value: t(lang, "report.z_range_value", { first: view.z_first, last: view.z_last }),
    });
  }
  const first = view.first_fiscal_number;
  const last = view.last_fiscal_number;
  header.push({
    label: t(lang, "report.invoices"),
    value:
      first === null || last === null
        ? t(lang, "report.period_none")
        : t(lang, "report.invoices_range", { first, last, count: last - first + 1 }),
  });
  header.push({ label: t(lang, "report.isf"), value: view.isf });
  header.push({ label: t(lang, "report.device"), value: view.device_id });
  const titleValues = { number: view.number ?? "", period: view.period ?? "" };
  return {
    lang,
    seller: { name: seller.name, lines: [seller.address, t(lang, "report.nif", { nif: view.merchant_nif })] },
    title: t(lang, `report.title.${view.kind}`, titleValues),
    gloss: t(lang, `report.gloss.${view.kind}`, titleValues),
    header,
    sections:
      view.kind === "A_REPORT"
        ? [articleSection(view, lang)]
        : figureSections(view.figures!, view.incomplete ?? 0, lang),
    securityHeading: t(lang, "report.section.security"),
    security: [
      t(lang, "report.signed_hash", { hash: view.signed.hash.slice(0, 32) }),
      t(lang, view.matches_store ? "report.matches_store" : "report.mismatch_store"),
    ],
  };
}
