/**
 * Receipts of sealed invoices (docs/RECEIPTS.md): claims the copy (the original once, then a
 * DUPLICATA every time), builds the one view model and hands it to the format's template. A preview
 * claims nothing and says on its face that it is not a receipt.
 */

import type { Lang } from "../../protocol/i18n/index.js";
import { type CanonicalInvoiceV2, FiscalError, RECEIPT_FORMATS } from "../../protocol/index.js";
import type { InvoiceView } from "../fiscal/types.js";
import type { ReceiptPrints } from "../store/receipt-prints.js";
import { renderEscposReceipt } from "./escpos.js";
import { renderHtmlReceipt } from "./html.js";
import type { ReceiptWidth } from "./lines.js";
import { renderPdfReceipt } from "./pdf.js";
import { renderQrSvg } from "./qr.js";
import { renderTextReceipt } from "./text.js";
import { type ReceiptCopy, receiptViewOf } from "./view.js";

/** The receipt formats: one list, the receipt log's and the export's (protocol/audit/export-format.ts). */
export { RECEIPT_FORMATS };
export type ReceiptFormat = (typeof RECEIPT_FORMATS)[number];

/** The media type of each format. */
export const RECEIPT_MEDIA_TYPES: Readonly<Record<ReceiptFormat, string>> = {
  text: "text/plain; charset=utf-8",
  escpos: "application/vnd.escpos",
  html: "text/html; charset=utf-8",
  pdf: "application/pdf",
};

/** What a caller asks for. */
export interface ReceiptRequest {
  readonly format: ReceiptFormat;
  readonly width: ReceiptWidth;
  readonly lang: Lang;
  /** A preview for the screen: not counted, marked as not a receipt. */
  readonly preview: boolean;
  /** Who asked (an API key id, `cli`): logged with the copy. */
  readonly requestedBy: string;
}

/** A rendered receipt. */
export interface RenderedReceipt {
  readonly body: string | Uint8Array;
  readonly mediaType: string;
  readonly copy: ReceiptCopy;
}

/** Where receipts come from: the print log, the originals of credit notes, the shop's zone. */
export interface ReceiptSources {
  readonly prints: Pick<ReceiptPrints, "claim">;
  /** The Code DEF/DGI of a credit note's original, when the store holds it. */
  originalCodeOf(deviceId: string, fiscalNumber: number): string | undefined;
  readonly timeZone: string;
}

/** Renders receipts and keeps their count. */
export class Receipts {
  constructor(private readonly sources: ReceiptSources) {}

  async render(view: InvoiceView, request: ReceiptRequest): Promise<RenderedReceipt> {
    const fiscal = view.fiscal;
    if (fiscal === null)
      throw new FiscalError(
        "RECORD_NOT_FOUND",
        `invoice ${view.id} is ${view.state}, not sealed: it has no receipt`,
      );
    if (view.invoice === null || view.invoice.v !== 2)
      throw new FiscalError(
        "RECORD_NOT_FOUND",
        `invoice ${view.id} was sealed as a version-1 invoice, which lacks the SFE's mentions: ` +
          "print it from its JSON and qr.svg",
      );
    const invoice = view.invoice as CanonicalInvoiceV2;
    const copy: ReceiptCopy = request.preview ? { kind: "preview" } : this.claim(view.id, request);
    const ref = invoice.reference;
    const originalCode =
      ref?.fiscal_number === undefined
        ? undefined
        : this.sources.originalCodeOf(ref.device_id ?? fiscal.device_id, ref.fiscal_number);
    const model = receiptViewOf({
      invoice,
      fiscal,
      copy,
      lang: request.lang,
      timeZone: this.sources.timeZone,
      ...(originalCode === undefined ? {} : { originalCode }),
    });
    const body = await this.format(model, request, new Date(fiscal.timestamp));
    return { body, mediaType: RECEIPT_MEDIA_TYPES[request.format], copy };
  }

  private claim(invoiceId: string, request: ReceiptRequest): ReceiptCopy {
    const n = this.sources.prints.claim(invoiceId, request.format, request.lang, request.requestedBy);
    return n === 1 ? { kind: "original" } : { kind: "duplicata", copyNumber: n };
  }

  private async format(
    model: ReturnType<typeof receiptViewOf>,
    request: ReceiptRequest,
    sealedAt: Date,
  ): Promise<string | Uint8Array> {
    switch (request.format) {
      case "text":
        return renderTextReceipt(model, request.width);
      case "escpos":
        return renderEscposReceipt(model, request.width);
      case "html":
        return renderHtmlReceipt(model, await renderQrSvg(model.qr));
      case "pdf":
        return renderPdfReceipt(model, sealedAt);
    }
  }
}
