/**
 * `nitroctl plot`: the boot as a picture. Pure: events and the boot time in,
 * a self-contained SVG document out (no scripts, no external fonts or
 * images: any browser or `rsvg-convert` shows it).
 *
 * One row per service, in the order they started, SYS/setup first. Along a
 * time axis in seconds since boot, each row has a bar per state it was in,
 * coloured by state; each try to start is outlined, so restarts show as
 * separate bars. A band marks the SYS/setup phase and a dashed line the
 * moment all services were up. Rows have a fixed height, so 300 services
 * make a tall picture, not an unreadable one, and every name has a row of
 * its own in a column of its own.
 *
 * @module
 */

import type { ServiceEvent, State } from "../protocol.ts";
import {
  bootHeadline,
  type BootTimeline,
  bootTimeline,
  laterLine,
  type Segment,
  type Timeline,
} from "./boot_timeline.ts";
import { esc, MONO_FAMILY, round, svgDocument } from "./svg.ts";

export { esc };

/** Fill colour of each state's bars (DOWN is not drawn). */
export const STATE_COLORS: Readonly<Record<State, string>> = {
  DOWN: "#ffffff",
  SETUP: "#b39ddb",
  STARTING: "#ffcc80",
  UP: "#81c784",
  ONESHOT: "#aed581",
  SHUTDOWN: "#90caf9",
  RESTART: "#4dd0e1",
  FATAL: "#e53935",
  DELAY: "#bdbdbd",
};

/** States in the legend, in the order a service goes through them. */
const LEGEND: readonly State[] = [
  "SETUP",
  "STARTING",
  "UP",
  "ONESHOT",
  "DELAY",
  "RESTART",
  "SHUTDOWN",
  "FATAL",
];

/** Height of a row, in pixels; names are drawn smaller than this. */
export const ROW_HEIGHT = 16;
const FONT_SIZE = 11;
/** Width of a character of the names' monospace font, at FONT_SIZE. */
const CHAR_WIDTH = 6.7;
/** Longer names are cut (with …) so the name column stays narrow. */
const MAX_NAME_CHARS = 40;
/** Width of the time axis, in pixels. */
export const CHART_WIDTH = 960;
const MARGIN = 12;
/** Room above the rows: title, summary, legend, axis labels. */
const HEADER = 112;
/** Room below the rows: the bottom axis labels. */
const FOOTER = 28;
/** Tick spacings tried, in ms; the first leaving 70 px between ticks wins. */
const TICK_STEPS = [
  10,
  20,
  50,
  100,
  200,
  500,
  1000,
  2000,
  5000,
  10_000,
  15_000,
  30_000,
  60_000,
  120_000,
  300_000,
  600_000,
  1_800_000,
  3_600_000,
];
const MIN_TICK_PX = 70;

/** Where things are drawn: the geometry `plot` and its tests agree on. */
export interface PlotLayout {
  /** x of time 0 (the boot). */
  left: number;
  /** Pixels per millisecond. */
  scale: number;
  /** y of the top of the first row. */
  top: number;
  /** Milliseconds since boot at the right end of the axis. */
  span: number;
  /** Milliseconds between ticks. */
  step: number;
}

/** Options of {@link plotSvg}. */
export interface PlotOptions {
  /** First line of the picture; default "nitro boot". */
  title?: string;
  /**
   * The daemon's clock now (ms): states still going on are drawn until
   * then, but at most a fifth of the boot (or a second) past the last
   * event, so a plot taken hours later still shows the boot.
   */
  now?: number;
}

/**
 * The SVG picture of a boot.
 *
 * @param events nitro's history, chronological (as `events --replay`).
 * @param boot when the boot began, on the events' clock (ms).
 *
 * @example
 * ```ts
 * import { plotSvg } from "./plot.ts";
 * const svg = plotSvg([
 *   { name: "web", state: "STARTING", pid: 7, time: 10 },
 *   { name: "web", state: "UP", pid: 7, time: 2010 },
 * ], 0);
 * console.assert(svg.startsWith("<?xml") && svg.includes(">web</text>"));
 * ```
 */
export function plotSvg(
  events: readonly ServiceEvent[],
  boot: number,
  opts: PlotOptions = {},
): string {
  const timeline = plotTimeline(events, boot, opts);
  const rows = timeline.sys
    ? [timeline.sys, ...timeline.services]
    : timeline.services;
  const layout = plotLayout(rows, timeline.end);
  const { left, top, scale, span, step } = layout;
  const x = (ms: number) => round(left + ms * scale);
  const right = left + CHART_WIDTH;
  const bottom = top + rows.length * ROW_HEIGHT;
  const width = right + MARGIN + 40;
  const height = bottom + FOOTER;
  const out: string[] = [];
  const add = (s: string) => out.push(s);

  add(
    `<text x="${MARGIN}" y="24" font-size="16" font-weight="bold">${
      esc(opts.title ?? "nitro boot")
    }</text>`,
  );
  add(`<text x="${MARGIN}" y="44">${esc(summary(timeline))}</text>`);

  // Legend.
  let lx = MARGIN;
  for (const state of LEGEND) {
    add(
      `<rect x="${lx}" y="56" width="12" height="12" fill="${
        STATE_COLORS[state]
      }" stroke="#555555" stroke-width="0.5"/>`,
    );
    add(`<text x="${lx + 16}" y="66">${state}</text>`);
    lx += 16 + state.length * 7.5 + 14;
  }

  // Row stripes, so a long chart can be followed across.
  rows.forEach((_, i) => {
    if (i % 2 === 1) {
      add(
        `<rect x="${MARGIN}" y="${top + i * ROW_HEIGHT}" width="${
          right - MARGIN
        }" height="${ROW_HEIGHT}" fill="#f3f3f3"/>`,
      );
    }
  });

  // SYS/setup band, under everything else.
  const sys = timeline.sys;
  if (sys) {
    const end = sys.ready ?? timeline.end;
    add(
      `<rect class="sys-setup" x="${x(sys.began)}" y="${top - 6}" width="${
        Math.max(1, round((end - sys.began) * scale))
      }" height="${
        bottom - top + 12
      }" fill="${STATE_COLORS.SETUP}" fill-opacity="0.25" data-start="${sys.began}" data-end="${end}"/>`,
    );
  }

  // Time axis: grid lines and labels above and below the rows.
  for (let t = 0; t <= span; t += step) {
    const tx = x(t);
    add(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${
        bottom + 4
      }" stroke="#cccccc" stroke-width="0.5"/>`,
    );
    const label = tickLabel(t, step);
    add(`<text x="${tx}" y="${top - 8}" text-anchor="middle">${label}</text>`);
    add(
      `<text x="${tx}" y="${bottom + 18}" text-anchor="middle">${label}</text>`,
    );
  }
  add(
    `<text x="${right + 18}" y="${top - 8}" fill="#555555">s</text>`,
  );

  // Rows.
  rows.forEach((t, i) => {
    const y = top + i * ROW_HEIGHT;
    add(
      `<g class="row" data-service="${esc(t.name)}" data-began="${t.began}">`,
    );
    add(
      `<text x="${left - 8}" y="${
        y + ROW_HEIGHT - 4
      }" text-anchor="end" font-family="${MONO_FAMILY}">${
        label(t.name)
      }</text>`,
    );
    for (const s of t.segments) add(bar(s, y, x, scale));
    for (const [start, end] of tries(t)) {
      add(
        `<rect class="try" x="${x(start)}" y="${y + 2}" width="${
          Math.max(1, round((end - start) * scale))
        }" height="${
          ROW_HEIGHT - 4
        }" fill="none" stroke="#333333" stroke-width="0.8" data-start="${start}" data-end="${end}"/>`,
      );
    }
    add(`</g>`);
  });

  // The moment every service was up.
  if (timeline.allUp !== null) {
    const ax = x(timeline.allUp);
    add(
      `<line class="all-up" x1="${ax}" y1="${
        top - 22
      }" x2="${ax}" y2="${bottom}" stroke="#1b5e20" stroke-width="1.2" stroke-dasharray="4 3" data-time="${timeline.allUp}"/>`,
    );
    // Anchored so the label stays inside the picture at the right end.
    const anchor = ax > left + CHART_WIDTH * 0.8 ? "end" : "start";
    add(
      `<text x="${ax + (anchor === "end" ? -4 : 4)}" y="${
        top - 24
      }" text-anchor="${anchor}" fill="#1b5e20" font-weight="bold">all up +${
        secs(timeline.allUp)
      }</text>`,
    );
  }
  if (sys) {
    add(
      `<text x="${x(sys.began) + 2}" y="${
        top - 24
      }" fill="#4527a0">SYS/setup</text>`,
    );
  }
  return svgDocument({
    width,
    height,
    title: opts.title ?? "nitro boot",
    fontSize: FONT_SIZE,
  }, out);
}

/**
 * The timeline {@link plotSvg} draws (what `nitroctl --json plot` prints):
 * open states end at `opts.now`, but never more than a fifth of the boot
 * (at least 1 s) after the boot was over (while it is not: after the last
 * event), so an old boot stays readable. Services started later, by hand,
 * are in `later`, not drawn; what happened after that cut is left out.
 *
 * @example
 * ```ts
 * import { plotTimeline } from "./plot.ts";
 * const t = plotTimeline([
 *   { name: "web", state: "STARTING", pid: 7, time: 110 },
 *   { name: "web", state: "UP", pid: 7, time: 2110 },
 * ], 100, { now: 60_000 });
 * console.assert(t.end === 3010 && t.services[0].ready === 2010);
 * ```
 */
export function plotTimeline(
  events: readonly ServiceEvent[],
  boot: number,
  opts: PlotOptions = {},
): BootTimeline {
  const whole = bootTimeline(events, boot, opts.now);
  const last = whole.settled !== null
    ? boot + whole.settled
    : Math.max(boot, events.at(-1)?.time ?? boot);
  const cut = last + Math.max(1000, (last - boot) / 5);
  const shown = events.filter((e) => e.time <= cut);
  const until = Math.min(opts.now ?? shown.at(-1)?.time ?? boot, cut);
  const drawn = bootTimeline(shown, boot, until);
  return { ...drawn, settled: whole.settled, later: whole.later };
}

/**
 * Where rows and the axis go for these timelines.
 *
 * @example
 * ```ts
 * import { plotLayout } from "./plot.ts";
 * const l = plotLayout([], 4200);
 * console.assert(l.span >= 4200 && l.step > 0 && l.scale > 0);
 * ```
 */
export function plotLayout(
  rows: readonly { name: string }[],
  end: number,
): PlotLayout {
  const longest = Math.min(
    MAX_NAME_CHARS,
    Math.max(9, ...rows.map((r) => [...r.name].length)),
  );
  const left = Math.ceil(MARGIN + longest * CHAR_WIDTH + 16);
  const wanted = Math.max(end, 100);
  const step =
    TICK_STEPS.find((s) =>
      CHART_WIDTH / Math.ceil(wanted / s) >= MIN_TICK_PX
    ) ??
      Math.ceil(wanted / (CHART_WIDTH / MIN_TICK_PX) / 3_600_000) * 3_600_000;
  const span = Math.ceil(wanted / step) * step;
  return { left, top: HEADER, scale: CHART_WIDTH / span, span, step };
}

/** One state's bar. */
function bar(
  s: Segment,
  y: number,
  x: (ms: number) => number,
  scale: number,
): string {
  const w = Math.max(1, round((s.end - s.start) * scale));
  return `<rect class="state" x="${x(s.start)}" y="${
    y + 3
  }" width="${w}" height="${ROW_HEIGHT - 6}" fill="${
    STATE_COLORS[s.state]
  }" data-state="${s.state}" data-start="${s.start}" data-end="${s.end}"${
    s.open ? ` data-open="true"` : ""
  }><title>${s.state} +${secs(s.start)} … +${secs(s.end)}</title></rect>`;
}

/**
 * Each try to start, from where it began to where it failed (DELAY, FATAL,
 * DOWN) or the next try began; the last one ends with the row.
 */
function tries(t: Timeline): [number, number][] {
  const out: [number, number][] = [];
  const ends = t.segments.filter((s) =>
    s.state === "DELAY" || s.state === "FATAL"
  );
  const rowEnd = t.segments.length > 0 ? t.segments.at(-1)!.end : t.since;
  t.tries.forEach((start, i) => {
    const next = t.tries[i + 1] ?? Infinity;
    const failed = ends.find((s) => s.start >= start && s.start <= next);
    const end = Math.min(failed?.start ?? rowEnd, next, rowEnd);
    out.push([start, Math.max(start, end)]);
  });
  return out;
}

/** The line under the title: how long the boot took, what went wrong. */
function summary(t: BootTimeline): string {
  const parts = [bootHeadline(t)];
  if (t.sys) {
    parts.push(
      t.sys.ready === null
        ? `SYS/setup ${t.sys.state} after ${secs(t.sys.since - t.sys.began)}`
        : `SYS/setup took ${secs(t.sys.ready - t.sys.began)}`,
    );
  }
  const never = t.services.filter((s) => s.ready === null);
  if (t.allUp !== null) parts.push(`all up at +${secs(t.allUp)}`);
  else if (never.length > 0) {
    const names = never.slice(0, 5).map((s) => s.name).join(", ");
    parts.push(
      `never up: ${names}${
        never.length > 5 ? ` and ${never.length - 5} more` : ""
      }`,
    );
  }
  const later = laterLine(t);
  if (later !== null) parts.push(later);
  parts.push("time in seconds since boot");
  return parts.join(" · ");
}

/** A tick's label: as many decimals as the step needs. */
function tickLabel(ms: number, step: number): string {
  const decimals = step >= 1000 ? 0 : step >= 100 ? 1 : 2;
  return (ms / 1000).toFixed(decimals);
}

/** Milliseconds as seconds for labels: `2013` → `2.013s`. */
function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/** A name for its label, cut to {@link MAX_NAME_CHARS}, escaped. */
function label(name: string): string {
  const chars = [...name];
  if (chars.length <= MAX_NAME_CHARS) return esc(name);
  const cut = chars.slice(0, MAX_NAME_CHARS - 1).join("") + "…";
  return `${esc(cut)}<title>${esc(name)}</title>`;
}
