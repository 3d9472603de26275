/**
 * The receipt's QR code, drawn by the `qrcode` package from the sealed response's QR payload
 * (docs/PROTOCOL.md §8.4): as SVG for `qr.svg` and the HTML receipt, and as a module matrix the text,
 * ESC/POS and PDF templates draw with their own means (block characters, a raster image, rectangles).
 */
import QRCode from "qrcode";

/**
 * Error correction level M (~15 % of the symbol recoverable): the usual choice for printed receipts,
 * which smudge and fold, while keeping a ~200-character payload small enough for a 58 mm roll.
 */
export const QR_ERROR_CORRECTION = "M";
/** Quiet zone around the symbol, in modules; 4 is the QR standard's minimum for reliable scanning. */
export const QR_MARGIN_MODULES = 4;
/** `qr.svg`'s default and allowed sizes, in CSS pixels (the image is square). */
export const QR_SVG_SIZE = { default: 256, min: 64, max: 2048 } as const;

/** Renders `payload` as a standalone SVG document `sizePx` wide and high. */
export async function renderQrSvg(payload: string, sizePx: number = QR_SVG_SIZE.default): Promise<string> {
  return QRCode.toString(payload, {
    type: "svg",
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    margin: QR_MARGIN_MODULES,
    width: sizePx,
  });
}

/** The symbol as modules, quiet zone included: `dark(x, y)` for 0 ≤ x, y < size. */
export interface QrMatrix {
  readonly size: number;
  dark(x: number, y: number): boolean;
}

/** The module matrix of `payload`, with a quiet zone of `margin` modules on every side. */
export function qrMatrixOf(payload: string, margin: number = QR_MARGIN_MODULES): QrMatrix {
  const modules = QRCode.create(payload, { errorCorrectionLevel: QR_ERROR_CORRECTION }).modules;
  const inner = modules.size;
  return {
    size: inner + 2 * margin,
    dark: (x, y) => {
      const cx = x - margin;
      const cy = y - margin;
      return cx >= 0 && cy >= 0 && cx < inner && cy < inner && modules.get(cy, cx) === 1;
    },
  };
}
