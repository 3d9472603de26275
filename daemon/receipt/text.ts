/**
 * The text receipt: the monospace lines (lines.ts) as UTF-8, for a POS that prints through its own
 * driver or shows the receipt on screen. The QR is drawn with Unicode quadrant block elements
 * (U+2580–U+259F), two modules per character each way, so a version-10 symbol fits a 32-character
 * roll; print it in a monospace font that has them (DejaVu Sans Mono, Noto Sans Mono) with no extra
 * line spacing. A printer in text mode without those glyphs takes the ESC/POS receipt instead.
 */
import { centre, type ReceiptWidth, receiptLines } from "./lines.js";
import { qrMatrixOf } from "./qr.js";
import type { ReceiptView } from "./view.js";

/** Quadrant characters by their four modules: top-left 8, top-right 4, bottom-left 2, bottom-right 1. */
const QUADRANTS = " ▗▖▄▝▐▞▟▘▚▌▙▀▜▛█";

/**
 * Quiet zone of the text QR, in modules. Two, not the standard four: the blank lines above and
 * below and the paper's margins complete it, and four would not fit 32 characters.
 */
const TEXT_QR_MARGIN = 2;

/** The QR as lines of quadrant characters. */
export function qrTextLines(payload: string): string[] {
  const m = qrMatrixOf(payload, TEXT_QR_MARGIN);
  const bit = (x: number, y: number): number => (m.dark(x, y) ? 1 : 0);
  const rows: string[] = [];
  for (let y = 0; y < m.size; y += 2) {
    let row = "";
    for (let x = 0; x < m.size; x += 2) {
      const code = (bit(x, y) << 3) | (bit(x + 1, y) << 2) | (bit(x, y + 1) << 1) | bit(x + 1, y + 1);
      row += QUADRANTS[code];
    }
    rows.push(row);
  }
  return rows;
}

/** Renders `view` as a text receipt `width` characters wide, ending with a newline. */
export function renderTextReceipt(view: ReceiptView, width: ReceiptWidth): string {
  const out: string[] = [];
  for (const line of receiptLines(view, width)) {
    if (line.kind === "qr") {
      out.push("");
      for (const row of qrTextLines(line.payload)) out.push(centre(row, width).trimEnd());
      out.push("");
    } else out.push((line.center ? centre(line.text, width) : line.text).trimEnd());
  }
  return `${out.join("\n")}\n`;
}
