/**
 * Looking at `nitroctl plot` output in tests: render the SVG with
 * `rsvg-convert` (which refuses malformed XML), decode the PNG it makes, and
 * pull the rows and bars out of the SVG text by the attributes plot.ts
 * writes for them.
 *
 * @module
 */

/** How to get the renderer, for the failure message. */
const INSTALL = "apt-get install librsvg2-bin (Debian/Ubuntu)";

/**
 * Render `svg` to PNG bytes with `rsvg-convert`. Throws (failing the test)
 * when rsvg-convert is missing, saying how to install it, and when it
 * cannot read the document (malformed XML or SVG), with its message.
 */
export async function renderPng(svg: string): Promise<Uint8Array> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("rsvg-convert", {
      args: ["--format", "png"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`rsvg-convert is not installed: ${INSTALL}`);
    }
    throw error;
  }
  const writer = child.stdin.getWriter();
  const written = writer.write(new TextEncoder().encode(svg))
    .then(() => writer.close());
  const [out] = await Promise.all([child.output(), written]);
  if (!out.success) {
    throw new Error(
      `rsvg-convert refused the SVG: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return out.stdout;
}

/** A decoded image: RGBA pixels, row by row. */
export interface Image {
  width: number;
  height: number;
  /** 4 bytes per pixel. */
  rgba: Uint8Array;
}

/**
 * Decode a PNG of 8-bit RGB or RGBA, not interlaced (what rsvg-convert
 * writes). Checks the signature and undoes the row filters.
 */
export async function decodePng(png: Uint8Array): Promise<Image> {
  const signature = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!signature.every((b, i) => png[i] === b)) throw new Error("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0, colorType = 0;
  const idat: Uint8Array[] = [];
  for (let off = 8; off < png.length;) {
    const length = view.getUint32(off);
    const type = new TextDecoder().decode(png.subarray(off + 4, off + 8));
    const data = png.subarray(off + 8, off + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(off + 8);
      height = view.getUint32(off + 12);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12]) {
        throw new Error(`unsupported PNG: depth ${depth}, type ${colorType}`);
      }
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    off += 12 + length;
  }
  const compressed = new Blob(idat as BlobPart[]).stream();
  const raw = new Uint8Array(
    await new Response(
      compressed.pipeThrough(new DecompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const bpp = colorType === 6 ? 4 : 3;
  const stride = width * bpp;
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? pixels[row + i - bpp] : 0;
      const b = y > 0 ? pixels[row - stride + i] : 0;
      const c = i >= bpp && y > 0 ? pixels[row - stride + i - bpp] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[row + i] = (line[i] + predictor) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    rgba[p * 4] = pixels[p * bpp];
    rgba[p * 4 + 1] = pixels[p * bpp + 1];
    rgba[p * 4 + 2] = pixels[p * bpp + 2];
    rgba[p * 4 + 3] = bpp === 4 ? pixels[p * bpp + 3] : 255;
  }
  return { width, height, rgba };
}

/** How many pixels have each colour, as `#rrggbb` (opaque pixels only). */
export function colorCounts(image: Image): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < image.rgba.length; i += 4) {
    if (image.rgba[i + 3] !== 255) continue;
    const hex = "#" +
      [0, 1, 2].map((k) => image.rgba[i + k].toString(16).padStart(2, "0"))
        .join("");
    counts.set(hex, (counts.get(hex) ?? 0) + 1);
  }
  return counts;
}

/** A bar or outline of a plot row, as its attributes say. */
export interface Bar {
  x: number;
  width: number;
  y: number;
  /** State of a state bar; undefined for a try outline. */
  state?: string;
  start: number;
  end: number;
}

/** A row of a plot. */
export interface Row {
  service: string;
  began: number;
  /** The label text (names are escaped; long ones cut). */
  label: string;
  labelY: number;
  bars: Bar[];
  tries: Bar[];
}

/** Attributes of one tag's text, entities left as they are. */
function attrs(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)="([^"]*)"/g)) out[m[1]] = m[2];
  return out;
}

/** The rows of a plot, in document order. */
export function plotRows(svg: string): Row[] {
  const rows: Row[] = [];
  const groups = svg.matchAll(/<g class="row"([^>]*)>([\s\S]*?)<\/g>/g);
  for (const [, head, body] of groups) {
    const a = attrs(head);
    const text = /<text([^>]*)>(.*?)(?:<title>.*?<\/title>)?<\/text>/.exec(
      body,
    );
    const rects = [...body.matchAll(/<rect([^>]*?)\/?>/g)].map((m) =>
      attrs(m[1])
    );
    const bar = (r: Record<string, string>): Bar => ({
      x: Number(r.x),
      width: Number(r.width),
      y: Number(r.y),
      state: r["data-state"],
      start: Number(r["data-start"]),
      end: Number(r["data-end"]),
    });
    rows.push({
      service: a["data-service"],
      began: Number(a["data-began"]),
      label: text?.[2] ?? "",
      labelY: Number(attrs(text?.[1] ?? "").y),
      bars: rects.filter((r) => r.class === "state").map(bar),
      tries: rects.filter((r) => r.class === "try").map(bar),
    });
  }
  return rows;
}
