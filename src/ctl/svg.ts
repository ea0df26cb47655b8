/**
 * The pieces every SVG picture of the project shares: the document around
 * the drawing (self-contained: no scripts, no external fonts or images),
 * text escaped for XML, and coordinates rounded to what a screen shows.
 * `nitroctl plot` and the benchmark's charts are both written with these.
 *
 * @module
 */

/** Fonts of the pictures' text, with fallbacks any viewer has. */
export const FONT_FAMILY = "DejaVu Sans, Arial, Helvetica, sans-serif";
/** Monospace fonts, for names. */
export const MONO_FAMILY = "DejaVu Sans Mono, Menlo, Consolas, monospace";

/** Size and title of a picture. */
export interface SvgPage {
  width: number;
  height: number;
  /** The document's title (shown by viewers as its name). */
  title: string;
  /** Default font size of its text, in pixels. */
  fontSize: number;
}

/**
 * A whole SVG document: XML declaration, root element, title and a white
 * background, then `body` (elements, one per string), one per line.
 *
 * @example
 * ```ts
 * import { svgDocument } from "./svg.ts";
 * const svg = svgDocument(
 *   { width: 100, height: 50, title: "a & b", fontSize: 11 },
 *   ['<text x="4" y="20">hi</text>'],
 * );
 * console.assert(svg.startsWith("<?xml") && svg.includes("a &amp; b"));
 * ```
 */
export function svgDocument(page: SvgPage, body: readonly string[]): string {
  const { width, height } = page;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}" font-size="${page.fontSize}">`,
    `<title>${esc(page.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
  ].join("\n") + "\n";
}

/**
 * Text for XML: markup characters escaped, and characters XML 1.0 forbids
 * (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF)
 * replaced, so no name can break the document.
 */
export function esc(text: string): string {
  return text
    .replace(
      // deno-lint-ignore no-control-regex
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      "\ufffd",
    )
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** A coordinate to two decimals: finer than any screen, shorter text. */
export function round(n: number): number {
  return Math.round(n * 100) / 100;
}
