/**
 * The HTML receipt: one print-ready page (a print stylesheet for 80 mm rolls and A4 alike), with
 * the QR as inline SVG. Every text from the view is escaped; the page loads nothing and runs no
 * script, and the route serves it under a Content-Security-Policy that forbids both.
 */
import type { ReceiptView } from "./view.js";

/**
 * The Content-Security-Policy of a printable document (a receipt or a report in HTML): its own inline
 * styles and the QR as a data: image, and nothing else: no script, no request anywhere.
 */
export const DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;color:#000;background:#fff;margin:0}
main{max-width:80mm;margin:0 auto;padding:4mm}
h1,h2{text-align:center;margin:2mm 0;font-size:15px}
h2{font-size:13px}
p{margin:0.5mm 0}
.mark{text-align:center;font-weight:bold;font-size:17px;letter-spacing:0.1em}
.center{text-align:center}
hr{border:0;border-top:1px dashed #000;margin:2mm 0}
table{width:100%;border-collapse:collapse}
td,th{padding:0.5mm 0;vertical-align:top;text-align:left}
.num{text-align:right;white-space:nowrap;padding-left:2mm}
table.groups{font-size:11px}
.sub{font-size:11px;padding-left:3mm}
.total td{font-weight:bold;font-size:15px}
.qr{display:block;margin:3mm auto;width:42mm;height:42mm}
@media print{@page{margin:0}main{max-width:none}}
`;

const p = (text: string, cls?: string): string =>
  `<p${cls === undefined ? "" : ` class="${cls}"`}>${escapeHtml(text)}</p>`;
const row = (label: string, value: string, cls = ""): string =>
  `<tr class="${cls}"><td>${escapeHtml(label)}</td><td class="num">${escapeHtml(value)}</td></tr>`;

function itemsTable(view: ReceiptView): string {
  const rows = view.items.map((item) => {
    const extra = [item.detail, item.priceChange, item.specificTax].filter((x): x is string => x !== null);
    return [
      `<tr><td><b>${escapeHtml(item.name)}</b></td><td class="num">${escapeHtml(item.amount)}</td></tr>`,
      `<tr><td class="sub" colspan="2">${escapeHtml(`${item.quantity} × ${item.unitPrice}`)}</td></tr>`,
      ...extra.map((e) => `<tr><td class="sub" colspan="2">${escapeHtml(e)}</td></tr>`),
    ].join("");
  });
  const head = `<tr><th>${escapeHtml(view.itemHeading.label)}</th><th class="num">${escapeHtml(view.itemHeading.value)}</th></tr>`;
  return `<table>${head}${rows.join("")}</table>`;
}

function groupsTable(view: ReceiptView): string {
  const head = view.groupColumns.map((c, i) => `<th${i === 0 ? "" : ' class="num"'}>${escapeHtml(c)}</th>`);
  const rows = view.groups.map(
    (g) =>
      `<tr><td>${escapeHtml(g.label)}</td>${[g.base, g.rate, g.tax, g.total]
        .map((v) => `<td class="num">${escapeHtml(v)}</td>`)
        .join("")}</tr>`,
  );
  return `<table class="groups"><tr>${head.join("")}</tr>${rows.join("")}</table>`;
}

/** Renders `view` as a standalone HTML document; `qrSvg` is the QR drawn by qr.ts. */
export function renderHtmlReceipt(view: ReceiptView, qrSvg: string): string {
  const svg = qrSvg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR" ');
  const parts = [
    `<h1>${escapeHtml(view.seller.name)}</h1>`,
    ...view.seller.lines.map((l) => p(l, "center")),
    view.client === null ? "" : `<hr>${p(view.client.heading)}${view.client.lines.map((l) => p(l)).join("")}`,
    "<hr>",
    `<h1>${escapeHtml(view.title)}</h1>`,
    view.gloss === null ? "" : p(`(${view.gloss})`, "center"),
    view.copyMark === null ? "" : p(view.copyMark, "mark"),
    view.copyNote === null ? "" : p(view.copyNote, "center"),
    "<hr>",
    ...[view.number, view.rn, view.priceMode, ...view.references].map((l) => p(l)),
    "<hr>",
    itemsTable(view),
    "<hr>",
    `<h2>${escapeHtml(view.groupHeading)}</h2>`,
    groupsTable(view),
    "<hr>",
    `<table>${view.totals.map((t) => row(t.label, t.value)).join("")}${row(view.grandTotal.label, view.grandTotal.value, "total")}</table>`,
    p(view.inWords),
    "<hr>",
    `<h2>${escapeHtml(view.paymentHeading)}</h2>`,
    `<table>${view.payments
      .map(
        (pay) =>
          row(pay.label, pay.value) +
          (pay.foreign === null
            ? ""
            : `<tr><td class="sub" colspan="2">${escapeHtml(pay.foreign)}</td></tr>`),
      )
      .join("")}</table>`,
    view.comments.length === 0
      ? ""
      : `<hr><h2>${escapeHtml(view.commentHeading)}</h2>${view.comments.map((c) => p(`${c.label} ${c.value}`)).join("")}`,
    "<hr>",
    ...view.issue.map((l) => p(l)),
    "<hr>",
    `<h2>${escapeHtml(view.securityHeading)}</h2>`,
    ...view.security.map((l) => p(l)),
    svg,
    view.copyMark === null ? "" : p(view.copyMark, "mark"),
  ];
  return `<!doctype html>
<html lang="${view.lang}">
<head><meta charset="utf-8"><title>${escapeHtml(`${view.title} ${view.number}`)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><main>
${parts.filter((x) => x !== "").join("\n")}
</main></body>
</html>
`;
}
