/**
 * Prints a fiscal-day report for the API (docs/API.md §11): the report's view worded for the
 * reader (report-view.ts) and laid out in text, HTML or PDF (report-render.ts), for the configured
 * seller and in the shop's time zone.
 */
import type { Lang } from "../../protocol/i18n/index.js";
import { DEFAULT_TIME_ZONE } from "../../protocol/i18n/time.js";
import type { ReportView } from "../reports/views.js";
import type { ReceiptWidth } from "./lines.js";
import { renderHtmlReport, renderPdfReport, renderTextReport } from "./report-render.js";
import { type ReportSeller, reportDocumentOf } from "./report-view.js";

/** The printed formats of a report. */
export const REPORT_PRINT_FORMATS = ["text", "html", "pdf"] as const;
export type ReportPrintFormat = (typeof REPORT_PRINT_FORMATS)[number];

/** Their media types. */
export const REPORT_MEDIA_TYPES: Readonly<Record<ReportPrintFormat, string>> = {
  text: "text/plain; charset=utf-8",
  html: "text/html; charset=utf-8",
  pdf: "application/pdf",
};

/** Prints reports for one shop. */
export class ReportPrinter {
  /** `seller`: the SFE seller, or undefined while unset (the report then prints without a name). */
  constructor(
    private readonly seller: () => ReportSeller | undefined = () => undefined,
    private readonly timeZone: string = DEFAULT_TIME_ZONE,
  ) {}

  /** The printed report and its media type. */
  async print(
    view: ReportView,
    format: ReportPrintFormat,
    width: ReceiptWidth,
    lang: Lang,
  ): Promise<{ body: string | Uint8Array; mediaType: string }> {
    const doc = reportDocumentOf(view, this.seller() ?? { name: "", address: "" }, lang, this.timeZone);
    const body =
      format === "text"
        ? renderTextReport(doc, width)
        : format === "html"
          ? renderHtmlReport(doc)
          : await renderPdfReport(doc, new Date(view.issued_at));
    return { body, mediaType: REPORT_MEDIA_TYPES[format] };
  }
}
