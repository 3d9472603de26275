/**
 * The monospace template of the text and ESC/POS receipts: the view model laid out in lines of
 * `width` characters (32 for 58 mm rolls, 42 or 48 for 80 mm), each with the emphasis a thermal
 * printer can give it, and one place for the QR. Text and ESC/POS print exactly these lines.
 */
import type { LabelledValue, ReceiptView } from "./view.js";

/** Receipt widths in characters: 58 mm (32) and 80 mm (42 with a narrow font, 48). */
export const RECEIPT_WIDTHS = [32, 42, 48] as const;
export type ReceiptWidth = (typeof RECEIPT_WIDTHS)[number];

/** One printed line, or the QR code's place. */
export type ReceiptLine =
  | { readonly kind: "text"; readonly text: string; readonly bold?: boolean; readonly center?: boolean }
  | { readonly kind: "qr"; readonly payload: string };

/**
 * Monospace output has no use for the narrow no-break space fr-CD puts between thousands (fonts
 * and printer code pages draw it at other widths or not at all): a plain no-break space keeps the
 * columns straight.
 */
function mono(text: string): string {
  return text.replace(/\u202f/g, "\u00a0");
}

function widthOf(text: string): number {
  return [...text].length;
}

/**
 * Word-wraps `text` to `width`, cutting words longer than a line. Leading spaces indent the first
 * line; continuation lines get `indent`.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const lead = /^ */.exec(text)?.[0] ?? "";
  const words = mono(text.slice(lead.length))
    .split(" ")
    .filter((w) => w !== "");
  const out: string[] = [];
  let line = lead;
  let fresh = true;
  for (const word of words) {
    let rest = word;
    while (rest !== "") {
      const room = width - widthOf(line) - (fresh ? 0 : 1);
      if (widthOf(rest) <= room) {
        line = fresh ? line + rest : `${line} ${rest}`;
        fresh = false;
        rest = "";
      } else if (!fresh) {
        out.push(line);
        line = indent;
        fresh = true;
      } else {
        const chars = [...rest];
        out.push(line + chars.slice(0, room).join(""));
        rest = chars.slice(room).join("");
        line = indent;
      }
    }
  }
  if (!fresh) out.push(line);
  return out.length === 0 ? [""] : out;
}

/** `label ……… value` on one line when both fit, else the label wrapped and the value right-aligned. */
export function pair(label: string, value: string, width: number): string[] {
  const l = mono(label);
  const v = mono(value);
  const gap = width - widthOf(l) - widthOf(v);
  if (gap >= 1) return [l + " ".repeat(gap) + v];
  return [...wrap(l, width), " ".repeat(Math.max(0, width - widthOf(v))) + v];
}

/** Lays `view` out in lines of `width` characters. */
export function receiptLines(view: ReceiptView, width: ReceiptWidth): ReceiptLine[] {
  const out: ReceiptLine[] = [];
  const text = (t: string, style: { bold?: boolean; center?: boolean } = {}): void => {
    for (const line of wrap(t, width, style.center ? "" : "  "))
      out.push({ kind: "text", text: line, ...style });
  };
  const lines = (ls: readonly string[]): void => {
    for (const l of ls) text(l);
  };
  const pairs = (ps: readonly LabelledValue[], bold = false): void => {
    for (const p of ps)
      for (const line of pair(p.label, p.value, width)) out.push({ kind: "text", text: line, bold });
  };
  const rule = (ch = "-"): void => {
    out.push({ kind: "text", text: ch.repeat(width) });
  };

  text(view.seller.name, { bold: true, center: true });
  lines(view.seller.lines);
  if (view.client !== null) {
    rule();
    text(view.client.heading, { bold: true });
    lines(view.client.lines);
  }
  rule("=");
  text(view.title, { bold: true, center: true });
  if (view.gloss !== null) text(`(${view.gloss})`, { center: true });
  if (view.copyMark !== null) text(view.copyMark, { bold: true, center: true });
  if (view.copyNote !== null) text(view.copyNote, { center: true });
  rule("=");
  lines([view.number, view.rn, view.priceMode, ...view.references]);
  rule();
  pairs([view.itemHeading], true);
  for (const item of view.items) {
    text(item.name, { bold: true });
    text(`  ${item.detail}`);
    pairs([{ label: `  ${item.quantity} × ${item.unitPrice}`, value: item.amount }]);
    if (item.priceChange !== null) text(`  ${item.priceChange}`);
    if (item.specificTax !== null) text(`  ${item.specificTax}`);
  }
  rule();
  text(view.groupHeading, { bold: true });
  const [, baseLabel, , taxLabel] = view.groupColumns;
  for (const g of view.groups) {
    text(g.label);
    pairs([
      { label: `  ${baseLabel}`, value: g.base },
      { label: `  ${taxLabel} ${g.rate}`, value: g.tax },
    ]);
  }
  rule();
  pairs(view.totals);
  pairs([view.grandTotal], true);
  text(view.inWords);
  rule();
  text(view.paymentHeading, { bold: true });
  for (const p of view.payments) {
    pairs([p]);
    if (p.foreign !== null) text(`  ${p.foreign}`);
  }
  if (view.comments.length > 0) {
    rule();
    text(view.commentHeading, { bold: true });
    for (const c of view.comments) text(`${c.label} ${c.value}`);
  }
  rule();
  lines(view.issue);
  rule("=");
  text(view.securityHeading, { bold: true, center: true });
  lines(view.security);
  out.push({ kind: "qr", payload: view.qr });
  if (view.copyMark !== null) text(view.copyMark, { bold: true, center: true });
  return out;
}

/** Centres `text` in `width` columns. */
export function centre(text: string, width: number): string {
  const pad = Math.max(0, Math.floor((width - widthOf(text)) / 2));
  return " ".repeat(pad) + text;
}
