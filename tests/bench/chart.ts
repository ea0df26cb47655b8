/**
 * Figures against the number of services, as a picture: one panel per
 * figure, both axes logarithmic, one line per supervisor. Pure: data in,
 * an SVG document out, written with the project's own SVG pieces
 * (src/ctl/svg.ts, as `nitroctl plot`).
 *
 * On log–log axes a cost that grows as N is a line of slope 1, as N² of
 * slope 2, and a constant is flat: the slope is what the picture is for.
 *
 * @module
 */

import { esc, round, svgDocument } from "../../src/ctl/svg.ts";

/** One supervisor's line: (N, value) points. */
export interface Series {
  name: string;
  points: [n: number, value: number][];
}

/** One panel: a figure of every supervisor against N. */
export interface Panel {
  title: string;
  /** How a value is written in a point's tooltip: 1234 → "1.23 s". */
  format: (value: number) => string;
  /** How an axis tick is written (default: `format`): 1000 → "1 s". */
  tick?: (value: number) => string;
  series: Series[];
}

/** Colours of the lines, by supervisor; others get the spare ones. */
const COLORS: Record<string, string> = {
  "nitro (this)": "#d62728",
  "C nitro": "#7f3b08",
  "s6": "#1f77b4",
  "runit": "#2ca02c",
  "supervisord": "#ff7f0e",
  "tini": "#7f7f7f",
};
const SPARE = ["#9467bd", "#17becf", "#bcbd22", "#e377c2"];

const PANEL_W = 430;
const PANEL_H = 250;
const PLOT = { left: 64, right: 16, top: 30, bottom: 40 } as const;
const GAP = 24;
const MARGIN = 16;
const HEADER = 76;
const COLUMNS = 2;

/** Where a value lands on a logarithmic axis from `lo` to `hi` (0..1). */
export function logPosition(value: number, lo: number, hi: number): number {
  if (hi <= lo) return 0.5;
  return (Math.log10(value) - Math.log10(lo)) /
    (Math.log10(hi) - Math.log10(lo));
}

/**
 * The axis of values from `min` to `max` (both > 0): whole decades around
 * them, and the ticks to label (1, 2, 5 in each decade when the axis spans
 * at most two decades; each decade otherwise).
 */
export function logAxis(
  min: number,
  max: number,
): { lo: number; hi: number; ticks: number[] } {
  let lo = 10 ** Math.floor(Math.log10(min));
  let hi = 10 ** Math.ceil(Math.log10(max));
  if (hi <= lo) hi = lo * 10;
  // Keep the data off the very edges when it sits on a decade.
  if (lo === min) lo /= 10 ** 0.25;
  if (hi === max) hi *= 10 ** 0.25;
  const decades = Math.log10(hi) - Math.log10(lo);
  const steps = decades <= 2.5 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (
    let d = 10 ** Math.floor(Math.log10(lo));
    d <= hi;
    d *= 10
  ) {
    for (const s of steps) {
      const t = d * s;
      if (t >= lo * 0.999 && t <= hi * 1.001) ticks.push(t);
    }
  }
  return { lo, hi, ticks };
}

/**
 * The chart: panels in two columns under a title, a legend of every
 * supervisor that has a point, and each point marked (with its figure as
 * a tooltip and in `data-` attributes).
 */
export function chartSvg(
  panels: readonly Panel[],
  opts: { title: string; subtitle?: string },
): string {
  const names = [
    ...new Set(
      panels.flatMap((p) =>
        p.series.filter((s) => s.points.length > 0).map((s) => s.name)
      ),
    ),
  ];
  const color = (name: string) =>
    COLORS[name] ?? SPARE[names.indexOf(name) % SPARE.length];
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = MARGIN * 2 + COLUMNS * PANEL_W + (COLUMNS - 1) * GAP;
  const height = HEADER + rows * (PANEL_H + GAP) + MARGIN;
  const out: string[] = [];
  out.push(
    `<text x="${MARGIN}" y="24" font-size="16" font-weight="bold">${
      esc(opts.title)
    }</text>`,
  );
  if (opts.subtitle) {
    out.push(`<text x="${MARGIN}" y="44">${esc(opts.subtitle)}</text>`);
  }
  let lx = MARGIN;
  for (const name of names) {
    out.push(
      `<line x1="${lx}" y1="60" x2="${lx + 18}" y2="60" stroke="${
        color(name)
      }" stroke-width="2.5"/>`,
      `<text x="${lx + 24}" y="64">${esc(name)}</text>`,
    );
    lx += 24 + name.length * 7 + 20;
  }
  panels.forEach((panel, i) => {
    const x0 = MARGIN + (i % COLUMNS) * (PANEL_W + GAP);
    const y0 = HEADER + Math.floor(i / COLUMNS) * (PANEL_H + GAP);
    out.push(...drawPanel(panel, x0, y0, color));
  });
  return svgDocument({ width, height, title: opts.title, fontSize: 11 }, out);
}

function drawPanel(
  panel: Panel,
  x0: number,
  y0: number,
  color: (name: string) => string,
): string[] {
  const out: string[] = [];
  const left = x0 + PLOT.left;
  const right = x0 + PANEL_W - PLOT.right;
  const top = y0 + PLOT.top;
  const bottom = y0 + PANEL_H - PLOT.bottom;
  const points = panel.series.flatMap((s) =>
    s.points.filter(([n, v]) => n > 0 && v > 0)
  );
  out.push(
    `<g class="panel" data-title="${esc(panel.title)}">`,
    `<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#dddddd"/>`,
    `<text x="${x0 + 8}" y="${y0 + 18}" font-weight="bold">${
      esc(panel.title)
    }</text>`,
  );
  if (points.length === 0) {
    out.push(
      `<text x="${(left + right) / 2}" y="${
        (top + bottom) / 2
      }" text-anchor="middle" fill="#777777">no figures</text>`,
      `</g>`,
    );
    return out;
  }
  const xs = logAxis(
    Math.min(...points.map((p) => p[0])),
    Math.max(...points.map((p) => p[0])),
  );
  const ys = logAxis(
    Math.min(...points.map((p) => p[1])),
    Math.max(...points.map((p) => p[1])),
  );
  const px = (n: number) =>
    round(left + logPosition(n, xs.lo, xs.hi) * (right - left));
  const py = (v: number) =>
    round(bottom - logPosition(v, ys.lo, ys.hi) * (bottom - top));
  for (const t of ys.ticks) {
    out.push(
      `<line x1="${left}" y1="${py(t)}" x2="${right}" y2="${
        py(t)
      }" stroke="#e6e6e6" stroke-width="0.8"/>`,
      `<text x="${left - 6}" y="${
        py(t) + 4
      }" text-anchor="end" fill="#444444">${
        esc((panel.tick ?? panel.format)(t))
      }</text>`,
    );
  }
  const ns = [...new Set(points.map((p) => p[0]))].sort((a, b) => a - b);
  for (const n of ns) {
    out.push(
      `<line x1="${px(n)}" y1="${top}" x2="${
        px(n)
      }" y2="${bottom}" stroke="#e6e6e6" stroke-width="0.8"/>`,
      `<text x="${px(n)}" y="${
        bottom + 16
      }" text-anchor="middle" fill="#444444">${n.toLocaleString("en")}</text>`,
    );
  }
  out.push(
    `<text x="${(left + right) / 2}" y="${
      bottom + 32
    }" text-anchor="middle" fill="#444444">services (log)</text>`,
    `<rect x="${left}" y="${top}" width="${right - left}" height="${
      bottom - top
    }" fill="none" stroke="#999999" stroke-width="0.8"/>`,
  );
  for (const s of panel.series) {
    const pts = s.points.filter(([n, v]) => n > 0 && v > 0)
      .sort((a, b) => a[0] - b[0]);
    if (pts.length === 0) continue;
    const c = color(s.name);
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2" points="${
          pts.map(([n, v]) => `${px(n)},${py(v)}`).join(" ")
        }"/>`,
      );
    }
    for (const [n, v] of pts) {
      out.push(
        `<circle class="point" cx="${px(n)}" cy="${
          py(v)
        }" r="3.5" fill="${c}" data-series="${
          esc(s.name)
        }" data-n="${n}" data-value="${v}"><title>${
          esc(`${s.name}, ${n} services: ${panel.format(v)}`)
        }</title></circle>`,
      );
    }
  }
  out.push(`</g>`);
  return out;
}
