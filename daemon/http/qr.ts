/**
 * The receipt's QR code as SVG, drawn by the `qrcode` package from the sealed response's QR payload
 * (docs/PROTOCOL.md §8.4). A POS that cannot draw QR codes itself prints this image.
 */
import QRCode from "qrcode";

/**
 * Error correction level M (~15 % of the symbol recoverable): the usual choice for printed receipts,
 * which smudge and fold, while keeping a ~200-character payload small enough for a 58 mm roll.
 */
export const QR_ERROR_CORRECTION = "M";
/** Quiet zone around the symbol, in modules; 4 is the QR standard's minimum for reliable scanning. */
export const QR_MARGIN_MODULES = 4;

/** Renders `payload` as a standalone SVG document. */
export async function renderQrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, {
    type: "svg",
    errorCorrectionLevel: QR_ERROR_CORRECTION,
    margin: QR_MARGIN_MODULES,
  });
}
