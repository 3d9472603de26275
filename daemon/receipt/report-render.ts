/**
 * The templates of a printed fiscal-day report (report-view.ts): monospace text for 58 and 80 mm
 * printers (and the CLI), a print-ready HTML page, and an A4 PDF (`pdfkit`, built-in Helvetica,
 * dated by the report so the same report gives the same bytes). They only lay the document out.
 */
import PDFDocument from "pdfkit";
import { escapeHtml } from "./html.js";
import { centre, pair, type ReceiptWidth, wrap } from "./lines.js";
import type { ReportDocument } from "./report-view.js";

/** The report as monospace text, `width` characters per line. */
export function renderTextReport(doc: ReportDocument, width: ReceiptWidth): string {
  const out: string[] = [];
  const text = (t: string, center = false): void => {
    for (const line of wrap(t, width, center ? "" : "  "))
      out.push(center ? centre(line.trim(), width) : line);
  };
  const rule = (ch: string): void => {
    out.push(ch.repeat(width));
  };
  text(doc.seller.name, true);
  for (const l of doc.seller.lines) text(l, true);
  rule("=");
  text(doc.title, true);
  text(`(${doc.gloss})`, true);
  rule("=");
  for (const h of doc.header) out.push(...pair(h.label, h.value, width));
  for (const section of doc.sections) {
    rule("-");
    text(section.heading);
    for (const row of section.rows) {
      if (row.value === "") text(row.label);
      else out.push(...pair(row.label, row.value, width));
    }
  }
  rule("=");
  text(doc.securityHeading, true);
  for (const l of doc.security) text(l);
  return `${out.map((l) => l.trimEnd()).join("\n")}\n`;
}

const STYLE = `
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:13px;color:#000;background:#fff;margin:0}
main{max-width:110mm;margin:0 auto;padding:4mm}
h1,h2{text-align:center;margin:2mm 0;font-size:15px}
h3{font-size:13px;margin:3mm 0 1mm}
p{margin:0.5mm 0}
.center{text-align:center}
hr{border:0;border-top:1px dashed #000;margin:2mm 0}
table{width:100%;border-collapse:collapse}
td{padding:0.3mm 0;vertical-align:top}
.num{text-align:right;white-space:nowrap;padding-left:2mm}
.sub{padding-left:4mm}
@media print{@page{margin:8mm}main{max-width:none}}
`;

/** The report as one print-ready HTML page; every text escaped, nothing loaded or run. */
export function renderHtmlReport(doc: ReportDocument): string {
  const rows = (list: readonly { label: string; value: string }[]): string =>
    `<table>${list
      .map((r) => {
        const sub = r.label.startsWith("  ");
        const label = `<td${sub ? ' class="sub"' : ""}>${escapeHtml(r.label.trim())}</td>`;
        return r.value === ""
          ? `<tr>${label.replace("<td", '<td colspan="2"')}</tr>`
          : `<tr>${label}<td class="num">${escapeHtml(r.value)}</td></tr>`;
      })
      .join("")}</table>`;
  const body = [
    `<h2>${escapeHtml(doc.seller.name)}</h2>`,
    ...doc.seller.lines.map((l) => `<p class="center">${escapeHtml(l)}</p>`),
    "<hr>",
    `<h1>${escapeHtml(doc.title)}</h1>`,
    `<p class="center">(${escapeHtml(doc.gloss)})</p>`,
    "<hr>",
    rows(doc.header),
    ...doc.sections.flatMap((s) => ["<hr>", `<h3>${escapeHtml(s.heading)}</h3>`, rows(s.rows)]),
    "<hr>",
    `<h2>${escapeHtml(doc.securityHeading)}</h2>`,
    ...doc.security.map((l) => `<p>${escapeHtml(l)}</p>`),
  ].join("\n");
  return `<!doctype html>
<html lang="${doc.lang}">
<head><meta charset="utf-8"><title>${escapeHtml(doc.title)}</title><style>${STYLE}</style></head>
<body><main>
${body}
</main></body>
</html>
`;
}

const MARGIN = 50;
const CONTENT = 595.28 - 2 * MARGIN;
const ansi = (text: string): string => text.replace(/\u202f/g, "\u00a0");

/** The report as an A4 PDF; `createdAt` (the report's time) dates the document. */
export function renderPdfReport(doc: ReportDocument, createdAt: Date): Promise<Uint8Array> {
  const pdf = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    info: { Title: ansi(doc.title), CreationDate: createdAt, ModDate: createdAt },
    lang: doc.lang,
  });
  const chunks: Buffer[] = [];
  pdf.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Uint8Array>((resolve, reject) => {
    pdf.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    pdf.on("error", reject);
  });
  const row = (label: string, value: string, bold = false): void => {
    const y = pdf.y;
    pdf.font(bold ? "Helvetica-Bold" : "Helvetica");
    const indent = label.startsWith("  ") ? 14 : 0;
    pdf.text(ansi(label.trim()), MARGIN + indent, y, { width: CONTENT - 130 - indent });
    const bottom = pdf.y;
    if (value !== "") pdf.text(ansi(value), MARGIN + CONTENT - 130, y, { width: 130, align: "right" });
    pdf.x = MARGIN;
    pdf.y = Math.max(bottom, pdf.y) + 1;
  };
  const rule = (): void => {
    pdf.moveDown(0.3);
    pdf
      .moveTo(MARGIN, pdf.y)
      .lineTo(MARGIN + CONTENT, pdf.y)
      .lineWidth(0.5)
      .stroke();
    pdf.moveDown(0.3);
  };
  pdf.font("Helvetica-Bold").fontSize(14).text(ansi(doc.seller.name), MARGIN, MARGIN, { width: CONTENT });
  pdf.font("Helvetica").fontSize(9);
  for (const l of doc.seller.lines) pdf.text(ansi(l), MARGIN, pdf.y, { width: CONTENT });
  pdf.moveDown(1);
  pdf
    .font("Helvetica-Bold")
    .fontSize(16)
    .text(ansi(doc.title), MARGIN, pdf.y, { width: CONTENT, align: "center" });
  pdf
    .font("Helvetica")
    .fontSize(9)
    .text(ansi(`(${doc.gloss})`), MARGIN, pdf.y, { width: CONTENT, align: "center" });
  rule();
  for (const h of doc.header) row(h.label, h.value);
  for (const section of doc.sections) {
    rule();
    pdf.font("Helvetica-Bold").fontSize(10).text(ansi(section.heading), MARGIN, pdf.y, { width: CONTENT });
    pdf.fontSize(9);
    for (const r of section.rows) row(r.label, r.value, r.value === "" && !r.label.startsWith("  "));
  }
  rule();
  pdf
    .font("Helvetica-Bold")
    .text(ansi(doc.securityHeading), MARGIN, pdf.y, { width: CONTENT, align: "center" });
  pdf.font("Helvetica");
  for (const l of doc.security) pdf.text(ansi(l), MARGIN, pdf.y, { width: CONTENT });
  pdf.end();
  return done;
}
