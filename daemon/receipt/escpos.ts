/**
 * The ESC/POS receipt: the monospace lines (lines.ts) as the bytes a thermal printer takes, by the
 * `@point-of-sale/receipt-printer-encoder` library (code pages, emphasis, raster images, the cut).
 * The QR is a raster image (GS v 0) rather than the printer's own QR command: every ESC/POS printer
 * prints rasters, many cheap ones have no QR command, and the image is the very symbol the other
 * formats draw.
 */
import ImageData from "@canvas/image-data";
import ReceiptPrinterEncoder from "@point-of-sale/receipt-printer-encoder";
import { type ReceiptWidth, receiptLines } from "./lines.js";
import { qrMatrixOf } from "./qr.js";
import type { ReceiptView } from "./view.js";

/** Dots per character of font A (12 × 24): 32 characters are a 58 mm roll's 384 dots. */
const DOTS_PER_CHAR = 12;
/** Largest module, in dots: 4 dots at 203 dpi is 0.5 mm, easy to scan, and fits 58 mm. */
const MAX_MODULE_DOTS = 5;

/** The QR as a black-on-white RGBA image whose width is a multiple of 8 (a raster's byte boundary). */
export function qrImage(payload: string, maxWidthDots: number): ImageData {
  const m = qrMatrixOf(payload);
  const scale = Math.max(1, Math.min(MAX_MODULE_DOTS, Math.floor(maxWidthDots / m.size)));
  const width = Math.ceil((m.size * scale) / 8) * 8;
  const height = m.size * scale;
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < m.size * scale; x++) {
      if (!m.dark(Math.floor(x / scale), Math.floor(y / scale))) continue;
      const i = (y * width + x) * 4;
      data[i] = 0;
      data[i + 1] = 0;
      data[i + 2] = 0;
    }
  }
  return new ImageData(data, width, height);
}

/** Renders `view` as ESC/POS bytes for a printer `width` characters wide, ending with a cut. */
export function renderEscposReceipt(view: ReceiptView, width: ReceiptWidth): Uint8Array {
  const encoder = new ReceiptPrinterEncoder({
    columns: width,
    imageMode: "raster",
    codepageMapping: "epson",
  });
  encoder.initialize().codepage("auto");
  for (const line of receiptLines(view, width)) {
    if (line.kind === "qr") {
      const image = qrImage(line.payload, width * DOTS_PER_CHAR);
      encoder.newline().align("center").image(image, image.width, image.height, "threshold").newline();
      encoder.align("left");
      continue;
    }
    encoder.align(line.center ? "center" : "left").bold(line.bold === true);
    encoder.line(line.text);
    encoder.bold(false);
  }
  return encoder.newline().cut().encode();
}
