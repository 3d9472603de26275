/**
 * The receipt's view model: every mandatory mention of a normalized invoice (SFE §1.2 a–x,
 * ../shared/DRC-RULES.md §3.1), in the order a customer reads them, already worded in the reader's
 * language and formatted for people (amounts fr-CD, times in the shop's zone). The four templates
 * (text, ESC/POS, HTML, PDF) only lay this out, so a DGI change to the mentions is one edit here.
 */

import { type Lang, LOCALES, t } from "../../protocol/i18n/index.js";
import { formatLocalTime } from "../../protocol/i18n/time.js";
import {
  type CanonicalInvoiceV2,
  CLIENT_TYPE_RULES,
  COMMENT_LINE_LABELS,
  COMMENT_LINES,
  CREDIT_NATURE_LABELS,
  DGI_TYPES,
  formatAmount,
  formatMinor,
  ITEM_KIND_LABELS,
  PAYMENT_METHOD_LABELS,
  TAX_TABLE_V2,
  type TaxSlotId,
} from "../../protocol/index.js";
import type { FiscalResponse } from "../fiscal/types.js";
import { amountInWords } from "./words.js";

/** Which copy a rendering is (docs/RECEIPTS.md §Duplicates). */
export type ReceiptCopy =
  | { readonly kind: "original" }
  | { readonly kind: "duplicata"; readonly copyNumber: number }
  | { readonly kind: "preview" };

/** What a receipt is made from: the sealed invoice, its fiscal response, and how to word it. */
export interface ReceiptInput {
  readonly invoice: CanonicalInvoiceV2;
  readonly fiscal: FiscalResponse;
  readonly copy: ReceiptCopy;
  readonly lang: Lang;
  readonly timeZone: string;
  /** A credit note's original, when the store holds it: its Code DEF/DGI is printed (EG1.26 a). */
  readonly originalCode?: string;
}

/** One line of the item list. */
export interface ReceiptItem {
  readonly name: string;
  /** `[BIE] Biens, groupe B`: the item type and the tax group (§1.2 l). */
  readonly detail: string;
  readonly quantity: string;
  readonly unitPrice: string;
  readonly amount: string;
  /** The discount or price change with the original price (§1.2 l). */
  readonly priceChange: string | null;
  /** The item's specific tax (§1.5.9). */
  readonly specificTax: string | null;
}

/** One tax group's figures (§1.2 m–o). */
export interface ReceiptGroup {
  readonly label: string;
  readonly base: string;
  readonly rate: string;
  readonly tax: string;
  readonly total: string;
}

/** A label and a value, printed on one line when they fit. */
export interface LabelledValue {
  readonly label: string;
  readonly value: string;
}

/** Everything a receipt prints, in reading order. */
export interface ReceiptView {
  readonly lang: Lang;
  /** `DUPLICATA` on a copy, `APERÇU …` on a preview, null on the original (§1.2 f). */
  readonly copyMark: string | null;
  readonly copyNote: string | null;
  readonly seller: { readonly name: string; readonly lines: readonly string[] };
  readonly client: { readonly heading: string; readonly lines: readonly string[] } | null;
  /** FACTURE, FACTURE D'AVOIR, FACTURE EXPORTATION … (§1.2 g–i), and its English gloss. */
  readonly title: string;
  readonly gloss: string | null;
  /** A credit note's nature, reference and reason; an export's destination. */
  readonly references: readonly string[];
  readonly number: string;
  readonly rn: string;
  readonly priceMode: string;
  readonly itemHeading: LabelledValue;
  /** The heading of a column of `quantity × unit price` (the PDF's). */
  readonly quantityPriceHeading: string;
  readonly items: readonly ReceiptItem[];
  readonly groupHeading: string;
  readonly groupColumns: readonly string[];
  readonly groups: readonly ReceiptGroup[];
  readonly totals: readonly LabelledValue[];
  readonly grandTotal: LabelledValue;
  readonly inWords: string;
  readonly paymentHeading: string;
  readonly payments: readonly (LabelledValue & { readonly foreign: string | null })[];
  readonly commentHeading: string;
  readonly comments: readonly LabelledValue[];
  /** Date and time, ISF, operator (§1.2 u–w). */
  readonly issue: readonly string[];
  readonly securityHeading: string;
  /** CODE DEF/DGI, DEF NID, counters, device time, fiscal number (§1.2 x). */
  readonly security: readonly string[];
  /** The QR payload, exactly the record's (EG1.4, EG1.29). */
  readonly qr: string;
}

const money = (minor: number): string => formatMinor(minor);

function quantityOf(milli: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 3 }).format(milli / 1000);
}

function rateOf(bp: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], { style: "percent", maximumFractionDigits: 2 }).format(
    bp / 10_000,
  );
}

function fxRateOf(rateE4: number, lang: Lang): string {
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 4 }).format(rateE4 / 10_000);
}

function isoDateOf(date: string): string {
  const [y, m, d] = date.split("-");
  return `${d}/${m}/${y}`;
}

function groupLabel(invoice: CanonicalInvoiceV2, group: TaxSlotId): string {
  const slot = invoice.tax_table === TAX_TABLE_V2.version ? TAX_TABLE_V2.groups[group] : undefined;
  return slot === undefined ? group : slot.label;
}

function sellerOf(invoice: CanonicalInvoiceV2, lang: Lang): ReceiptView["seller"] {
  const s = invoice.seller;
  const lines = [
    t(lang, "receipt.seller.nif", { nif: s.nif }),
    t(lang, "receipt.seller.place", { address: s.address }),
  ];
  if (s.head_office !== undefined)
    lines.push(t(lang, "receipt.seller.head_office", { address: s.head_office }));
  if (s.phone !== undefined) lines.push(t(lang, "receipt.seller.phone", { phone: s.phone }));
  if (s.email !== undefined) lines.push(t(lang, "receipt.seller.email", { email: s.email }));
  return { name: s.name, lines };
}

function clientOf(invoice: CanonicalInvoiceV2, lang: Lang): ReceiptView["client"] {
  const c = invoice.client;
  if (c === undefined) return null;
  const lines: string[] = [];
  if (c.name !== undefined) lines.push(t(lang, "receipt.client.name", { name: c.name }));
  if (c.nif !== undefined) lines.push(t(lang, "receipt.client.nif", { nif: c.nif }));
  if (c.address !== undefined) lines.push(t(lang, "receipt.client.address", { address: c.address }));
  if (c.contact !== undefined) lines.push(t(lang, "receipt.client.contact", { contact: c.contact }));
  return {
    heading: t(lang, "receipt.client.heading", { code: c.type, label: CLIENT_TYPE_RULES[c.type].label }),
    lines,
  };
}

function referencesOf(input: ReceiptInput): string[] {
  const { invoice, lang } = input;
  const lines: string[] = [];
  const ref = invoice.reference;
  if (ref !== undefined) {
    lines.push(t(lang, "receipt.nature", { code: ref.nature, label: CREDIT_NATURE_LABELS[ref.nature] }));
    if (ref.fiscal_number === undefined) lines.push(t(lang, "receipt.reference_rrr"));
    else {
      lines.push(t(lang, "receipt.reference", { number: String(ref.fiscal_number) }));
      if (ref.device_id !== undefined && ref.device_id !== input.fiscal.device_id)
        lines.push(t(lang, "receipt.reference_device", { device: ref.device_id }));
      if (input.originalCode !== undefined)
        lines.push(t(lang, "receipt.reference_code", { code: input.originalCode }));
    }
    lines.push(t(lang, "receipt.reason", { reason: ref.reason }));
  }
  if (invoice.export !== undefined) {
    lines.push(t(lang, "receipt.export", { country: invoice.export.destination_country }));
    if (invoice.export.customs_ref !== undefined)
      lines.push(t(lang, "receipt.customs", { ref: invoice.export.customs_ref }));
  }
  return lines;
}

function itemsOf(invoice: CanonicalInvoiceV2, lang: Lang): ReceiptItem[] {
  return invoice.items.map((item) => ({
    name: item.code === undefined ? item.name : `${item.name} (${item.code})`,
    detail: t(lang, "receipt.item.kind_group", {
      kind: item.kind,
      kindLabel: ITEM_KIND_LABELS[item.kind],
      group: item.tax_group,
    }),
    quantity: quantityOf(item.quantity_milli, lang),
    unitPrice: money(item.unit_price),
    amount: money(item.amount),
    priceChange:
      item.original_price !== undefined && item.price_change !== undefined
        ? t(lang, "receipt.item.price_change", {
            description: item.price_change,
            price: money(item.original_price),
          })
        : null,
    specificTax:
      item.specific_tax_amount === undefined
        ? null
        : t(lang, "receipt.item.specific_tax", { amount: money(item.specific_tax_amount) }),
  }));
}

function copyOf(input: ReceiptInput, number: string): Pick<ReceiptView, "copyMark" | "copyNote"> {
  const { copy, lang } = input;
  if (copy.kind === "original") return { copyMark: null, copyNote: null };
  if (copy.kind === "preview") return { copyMark: t(lang, "receipt.preview"), copyNote: null };
  return {
    copyMark: t(lang, "receipt.duplicata"),
    copyNote: t(lang, "receipt.duplicata_number", { n: copy.copyNumber, number }),
  };
}

/** Builds the view of a sealed version-2 invoice. */
export function receiptViewOf(input: ReceiptInput): ReceiptView {
  const { invoice, fiscal, lang } = input;
  const totals = invoice.totals;
  const issuedAt = Date.parse(fiscal.timestamp);
  const when = formatLocalTime(issuedAt, input.timeZone, lang);
  const number = `${fiscal.fiscal_year ?? ""}-${String(fiscal.year_number ?? 0).padStart(6, "0")}`;
  const gloss = t(lang, `receipt.gloss.${invoice.type}`);
  const base = totals.groups.reduce((sum, g) => sum + g.base, 0);
  const totalLines: LabelledValue[] = [
    { label: t(lang, "receipt.total_ht"), value: money(base) },
    { label: t(lang, "receipt.total_tax"), value: money(totals.tax_total) },
  ];
  if (totals.specific_tax_total > 0)
    totalLines.push({
      label: t(lang, "receipt.specific_tax_total"),
      value: money(totals.specific_tax_total),
    });
  return {
    lang,
    ...copyOf(input, number),
    seller: sellerOf(invoice, lang),
    client: clientOf(invoice, lang),
    title: DGI_TYPES[invoice.type].label,
    gloss: gloss === "" ? null : gloss,
    references: referencesOf(input),
    number: t(lang, "receipt.number", { year: String(fiscal.fiscal_year ?? ""), number: number.slice(5) }),
    rn: t(lang, "receipt.rn", { rn: invoice.rn }),
    priceMode: t(lang, `receipt.price_mode.${invoice.price_mode}`),
    itemHeading: { label: t(lang, "receipt.col.item"), value: t(lang, "receipt.col.amount") },
    quantityPriceHeading: t(lang, "receipt.col.quantity_price"),
    items: itemsOf(invoice, lang),
    groupHeading: t(lang, "receipt.groups.heading"),
    groupColumns: ["group", "base", "rate", "tax", "total"].map((c) => t(lang, `receipt.col.${c}`)),
    groups: totals.groups.map((g) => ({
      label: t(lang, "receipt.group.line", { group: g.group, label: groupLabel(invoice, g.group) }),
      base: money(g.base),
      rate: rateOf(g.rate_bp, lang),
      tax: money(g.tax),
      total: money(g.total),
    })),
    totals: totalLines,
    grandTotal: { label: t(lang, "receipt.total_ttc"), value: formatAmount(totals.total) },
    inWords: t(lang, "receipt.in_words", { words: amountInWords(totals.total, lang) }),
    paymentHeading: t(lang, "receipt.payments.heading"),
    payments: invoice.payments.map((p) => ({
      label: PAYMENT_METHOD_LABELS[p.method].label,
      value: money(p.amount),
      foreign:
        p.foreign === undefined
          ? null
          : t(lang, "receipt.payment.foreign", {
              amount: formatAmount(p.foreign.amount, p.foreign.currency),
              rate: fxRateOf(p.foreign.rate_e4, lang),
              currency: p.foreign.currency,
              date: isoDateOf(p.foreign.rate_date),
            }),
    })),
    commentHeading: t(lang, "receipt.comments.heading"),
    comments: COMMENT_LINES.flatMap((line) => {
      const text = invoice.comments?.[line];
      return text === undefined ? [] : [{ label: COMMENT_LINE_LABELS[line], value: text }];
    }),
    issue: [
      t(lang, "receipt.date", { when }),
      t(lang, "receipt.isf", { isf: invoice.isf }),
      t(lang, "receipt.operator", { name: invoice.operator.name, id: invoice.operator.id }),
    ],
    securityHeading: t(lang, "receipt.security.heading"),
    security: [
      t(lang, "receipt.security.code", { code: fiscal.auth_code }),
      t(lang, "receipt.security.nid", { nid: fiscal.device_id }),
      t(lang, "receipt.security.counters", {
        typeNumber: String(fiscal.type_number),
        fiscalNumber: String(fiscal.fiscal_number),
        dgiType: invoice.dgi_type,
      }),
      t(lang, "receipt.security.time", { when }),
      t(lang, "receipt.security.fiscal_number", { number: String(fiscal.fiscal_number) }),
    ],
    qr: fiscal.qr,
  };
}
