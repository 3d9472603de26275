/**
 * Turns receipts into images and reads their QR back with a real decoder, the way a phone would:
 * Chromium (Debian's `chromium`) draws HTML and text, `pdftoppm` (poppler-utils) draws PDF, the
 * ESC/POS raster image is unpacked from the printer bytes, and `zbarimg` (zbar-tools) decodes. A
 * missing tool makes the test fail (ENOENT); `.ci/run` installs them.
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CHROMIUM, CHROMIUM_ARGS } from "../../support/chromium.js";

const work = (): string => mkdtempSync(join(tmpdir(), "stalela-raster-"));

/** The payloads zbarimg decodes from the image at `path`, one per symbol. */
export function decodeQr(path: string): string[] {
  const out = execFileSync("zbarimg", ["-q", "--raw", "--nodbus", path], { encoding: "utf8" });
  return out.split("\n").filter((line) => line !== "");
}

/** A PNG screenshot of `html` by headless Chromium. */
export function screenshotHtml(html: string, width = 480, height = 2600): string {
  const dir = work();
  const page = join(dir, "page.html");
  const png = join(dir, "page.png");
  writeFileSync(page, html);
  execFileSync(
    CHROMIUM,
    [
      "--headless",
      ...CHROMIUM_ARGS,
      "--hide-scrollbars",
      `--user-data-dir=${join(dir, "profile")}`,
      `--window-size=${width},${height}`,
      `--screenshot=${png}`,
      `file://${page}`,
    ],
    { stdio: "ignore" },
  );
  return png;
}

/** A text receipt as a monospace font draws it: a <pre> in DejaVu Sans Mono, no line spacing. */
export function screenshotText(text: string): string {
  const escaped = text.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
  return screenshotHtml(
    `<!doctype html><meta charset="utf-8"><style>body{margin:16px;background:#fff}` +
      `pre{font-family:"DejaVu Sans Mono",monospace;font-size:16px;line-height:1;margin:0}</style><pre>${escaped}</pre>`,
  );
}

/** The first page of a PDF at 150 dpi. */
export function rasterisePdf(pdf: Uint8Array): string {
  const dir = work();
  writeFileSync(join(dir, "doc.pdf"), pdf);
  execFileSync("pdftoppm", [
    "-r",
    "150",
    "-png",
    "-f",
    "1",
    "-l",
    "1",
    join(dir, "doc.pdf"),
    join(dir, "page"),
  ]);
  return join(dir, "page-1.png");
}

/**
 * The raster image an ESC/POS stream prints, as a PGM file with a white border. Encoders send a
 * tall image as several GS v 0 bands of the same width, which the printer feeds one under the
 * other; they are stacked here the same way. Reads only the command's header:
 * `1D 76 30 m xL xH yL yH`, then xL+256·xH bytes per row, one bit per dot, 1 = black.
 */
export function escposImage(bytes: Uint8Array): { path: string; bands: number; widthDots: number } {
  const rows: Uint8Array[] = [];
  let widthBytes = -1;
  let bands = 0;
  for (let i = 0; i + 8 <= bytes.length; i++) {
    if (bytes[i] !== 0x1d || bytes[i + 1] !== 0x76 || bytes[i + 2] !== 0x30) continue;
    const w = (bytes[i + 4] ?? 0) | ((bytes[i + 5] ?? 0) << 8);
    const height = (bytes[i + 6] ?? 0) | ((bytes[i + 7] ?? 0) << 8);
    if (widthBytes !== -1 && w !== widthBytes) throw new Error("raster bands of different widths");
    widthBytes = w;
    bands++;
    for (let y = 0; y < height; y++) rows.push(bytes.subarray(i + 8 + y * w, i + 8 + (y + 1) * w));
    i += 8 + w * height - 1;
  }
  if (bands === 0) throw new Error("no GS v 0 raster image in the ESC/POS stream");
  const border = 16;
  const w = widthBytes * 8 + 2 * border;
  const h = rows.length + 2 * border;
  const pixels = Buffer.alloc(w * h, 255);
  rows.forEach((row, y) => {
    for (let x = 0; x < widthBytes * 8; x++)
      if (((row[x >> 3] ?? 0) >> (7 - (x & 7))) & 1) pixels[(y + border) * w + x + border] = 0;
  });
  const path = join(work(), "image.pgm");
  writeFileSync(path, Buffer.concat([Buffer.from(`P5\n${w} ${h}\n255\n`), pixels]));
  return { path, bands, widthDots: widthBytes * 8 };
}

/** The text of a PDF, by pdftotext (poppler-utils), in reading order. */
export function pdfText(pdf: Uint8Array): string {
  const dir = work();
  writeFileSync(join(dir, "doc.pdf"), pdf);
  execFileSync("pdftotext", ["-layout", join(dir, "doc.pdf"), join(dir, "doc.txt")]);
  return readFileSync(join(dir, "doc.txt"), "utf8");
}
