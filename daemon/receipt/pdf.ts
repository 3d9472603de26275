/**
 * The PDF receipt: an A4 invoice for B2B sales (PM clients keep it in their books), laid out by the
 * `pdfkit` library with its built-in Helvetica, so nothing is fetched or embedded from the host. The
 * QR is drawn as vector squares, sharp at any print resolution. The document's dates are the
 * invoice's own, so the same invoice and copy always give the same bytes.
 */
import PDFDocument from "pdfkit";
import { qrMatrixOf } from "./qr.js";
import type { ReceiptView } from "./view.js";

const MARGIN = 50;
const PAGE_WIDTH = 595.28;
const CONTENT = PAGE_WIDTH - 2 * MARGIN;
/** Side of the printed QR, in points (35 mm). */
const QR_SIDE = 100;

/**
 * Helvetica's WinAnsi encoding has no narrow no-break space (fr-CD's thousands separator): the
 * no-break space it has keeps amounts on one line.
 */
function ansi(text: string): string {
  return text.replace(/\u202f/g, "\u00a0");
}

type Doc = InstanceType<typeof PDFDocument>;

function drawQr(doc: Doc, payload: string, x: number, y: number): void {
  const m = qrMatrixOf(payload);
  const unit = QR_SIDE / m.size;
  for (let my = 0; my < m.size; my++)
    for (let mx = 0; mx < m.size; mx++)
      if (m.dark(mx, my)) doc.rect(x + mx * unit, y + my * unit, unit, unit);
  doc.fill("#000000");
}

/** A table row: texts in columns of the given widths, numbers right-aligned. */
function tableRow(doc: Doc, cells: readonly string[], widths: readonly number[], bold = false): void {
  const y = doc.y;
  let x = MARGIN;
  let bottom = y;
  doc.font(bold ? "Helvetica-Bold" : "Helvetica");
  cells.forEach((cell, i) => {
    const width = widths[i] ?? 0;
    doc.text(ansi(cell), x, y, { width, align: i === 0 ? "left" : "right" });
    bottom = Math.max(bottom, doc.y);
    x += width;
  });
  doc.font("Helvetica");
  doc.x = MARGIN;
  doc.y = bottom + 2;
}

function rule(doc: Doc): void {
  doc.moveDown(0.3);
  doc
    .moveTo(MARGIN, doc.y)
    .lineTo(MARGIN + CONTENT, doc.y)
    .lineWidth(0.5)
    .stroke();
  doc.moveDown(0.3);
}

function lines(doc: Doc, texts: readonly string[]): void {
  for (const t of texts) doc.text(ansi(t), MARGIN, doc.y, { width: CONTENT });
}

/** Renders `view` as an A4 PDF; `createdAt` (the seal's time) dates the document. */
export function renderPdfReceipt(view: ReceiptView, createdAt: Date): Promise<Uint8Array> {
  const doc = new PDFDocument({
    size: "A4",
    margin: MARGIN,
    info: { Title: ansi(`${view.title} ${view.number}`), CreationDate: createdAt, ModDate: createdAt },
    lang: view.lang,
  });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Uint8Array>((resolve, reject) => {
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on("error", reject);
  });

  doc.font("Helvetica-Bold").fontSize(14).text(ansi(view.seller.name), MARGIN, MARGIN, { width: CONTENT });
  doc.font("Helvetica").fontSize(9);
  lines(doc, view.seller.lines);
  if (view.client !== null) {
    doc.moveDown(0.5);
    doc
      .font("Helvetica-Bold")
      .text(ansi(view.client.heading), MARGIN + CONTENT / 2, doc.y, { width: CONTENT / 2 });
    doc.font("Helvetica");
    for (const l of view.client.lines) doc.text(ansi(l), MARGIN + CONTENT / 2, doc.y, { width: CONTENT / 2 });
  }
  doc.moveDown(1);
  doc
    .font("Helvetica-Bold")
    .fontSize(16)
    .text(ansi(view.title), MARGIN, doc.y, { width: CONTENT, align: "center" });
  doc.fontSize(9);
  if (view.gloss !== null)
    doc.font("Helvetica").text(ansi(`(${view.gloss})`), { width: CONTENT, align: "center" });
  if (view.copyMark !== null)
    doc
      .font("Helvetica-Bold")
      .fontSize(14)
      .text(ansi(view.copyMark), MARGIN, doc.y, { width: CONTENT, align: "center" });
  doc.font("Helvetica").fontSize(9);
  if (view.copyNote !== null)
    doc.text(ansi(view.copyNote), MARGIN, doc.y, { width: CONTENT, align: "center" });
  doc.moveDown(0.5);
  lines(doc, [view.number, view.rn, view.priceMode, ...view.references]);
  rule(doc);

  const itemWidths = [190, 125, 110, CONTENT - 425];
  const itemCols = [view.itemHeading.label, "", view.quantityPriceHeading, view.itemHeading.value];
  tableRow(doc, itemCols, itemWidths, true);
  for (const item of view.items) {
    tableRow(doc, [item.name, item.detail, `${item.quantity} × ${item.unitPrice}`, item.amount], itemWidths);
    for (const extra of [item.priceChange, item.specificTax])
      if (extra !== null)
        doc
          .fontSize(8)
          .text(ansi(`   ${extra}`), MARGIN, doc.y, { width: CONTENT })
          .fontSize(9);
  }
  rule(doc);
  doc.font("Helvetica-Bold").text(ansi(view.groupHeading), MARGIN, doc.y);
  const groupWidths = [215, 80, 50, 75, CONTENT - 420];
  tableRow(doc, view.groupColumns, groupWidths, true);
  for (const g of view.groups) tableRow(doc, [g.label, g.base, g.rate, g.tax, g.total], groupWidths);
  rule(doc);
  const totalWidths = [CONTENT - 120, 120];
  for (const t of view.totals) tableRow(doc, [t.label, t.value], totalWidths);
  doc.fontSize(11);
  tableRow(doc, [view.grandTotal.label, view.grandTotal.value], totalWidths, true);
  doc.fontSize(9).text(ansi(view.inWords), MARGIN, doc.y, { width: CONTENT });
  rule(doc);
  doc.font("Helvetica-Bold").text(ansi(view.paymentHeading), MARGIN, doc.y);
  doc.font("Helvetica");
  for (const p of view.payments) {
    tableRow(doc, [p.label, p.value], totalWidths);
    if (p.foreign !== null) doc.text(ansi(`   ${p.foreign}`), MARGIN, doc.y, { width: CONTENT });
  }
  if (view.comments.length > 0) {
    rule(doc);
    doc.font("Helvetica-Bold").text(ansi(view.commentHeading), MARGIN, doc.y);
    doc.font("Helvetica");
    lines(
      doc,
      view.comments.map((c) => `${c.label} ${c.value}`),
    );
  }
  rule(doc);
  if (doc.y + QR_SIDE + 20 > doc.page.height - MARGIN) doc.addPage();
  const top = doc.y;
  lines(doc, view.issue);
  doc.moveDown(0.5);
  doc.font("Helvetica-Bold").text(ansi(view.securityHeading), MARGIN, doc.y);
  doc.font("Helvetica");
  for (const l of view.security) doc.text(ansi(l), MARGIN, doc.y, { width: CONTENT - QR_SIDE - 20 });
  drawQr(doc, view.qr, MARGIN + CONTENT - QR_SIDE, top);
  doc.end();
  return done;
}
