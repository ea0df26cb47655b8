/**
 * `nitroctl blame`: which services made the boot slow. Pure: events and the
 * boot time in, rows and text lines out.
 *
 * @module
 */

import type { ServiceEvent, State } from "../protocol.ts";
import {
  bootHeadline,
  bootTimeline,
  isTrying,
  laterLine,
  secs,
  type Timeline,
} from "./boot_timeline.ts";

/** One line of `blame` (and one object of `blame --json`). */
export interface BlameRow {
  /** The service, or `SYS/setup`. */
  name: string;
  /** Milliseconds since boot when it began: its first SETUP or STARTING. */
  began: number;
  /**
   * Milliseconds from `began` to its first UP or ONESHOT. For a service that
   * never got there: until its last state began (FATAL, DOWN), or until now
   * while it is still trying (STARTING, SETUP, DELAY).
   */
  took: number;
  /** Whether it got UP or ONESHOT (SYS/setup: whether setup ended well). */
  up: boolean;
  /** The state it is in now (as far as the history tells). */
  state: State;
  /** Tries after the first one, before it was up (all of them, if never). */
  restarts: number;
  /** Started after the boot was over (by hand): not part of the boot. */
  later: boolean;
}

/**
 * The rows of `blame`, slowest first: services that never came up first
 * (they are the slowest of all), then the others by the time they took;
 * after the boot's rows, those of services started later (by hand).
 *
 * @param events nitro's history, chronological (as `events --replay`).
 * @param boot when the boot began, on the events' clock (ms).
 * @param now the daemon's clock now (ms); default: the last event's time.
 *
 * @example
 * ```ts
 * import { blameRows } from "./blame.ts";
 * const rows = blameRows([
 *   { name: "db", state: "STARTING", pid: 5, time: 10 },
 *   { name: "web", state: "STARTING", pid: 6, time: 10 },
 *   { name: "db", state: "UP", pid: 5, time: 510 },
 *   { name: "web", state: "UP", pid: 6, time: 2010 },
 * ], 0);
 * console.assert(rows[0].name === "web" && rows[0].took === 2000);
 * ```
 */
export function blameRows(
  events: readonly ServiceEvent[],
  boot: number,
  now?: number,
): BlameRow[] {
  const timeline = bootTimeline(events, boot, now);
  const all = timeline.sys ? [timeline.sys, ...timeline.services] : [
    ...timeline.services,
  ];
  const slowest = (a: BlameRow, b: BlameRow) =>
    Number(a.up) - Number(b.up) || b.took - a.took || a.began - b.began ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [
    ...all.map((t) => row(t, timeline.end, false)).sort(slowest),
    ...timeline.later.map((t) => row(t, timeline.end, true)).sort(slowest),
  ];
}

/**
 * `blame` as people read it: a headline saying what the boot took, the
 * table of the boot's services ({@link formatBlame}), and a line naming
 * the services started later, by hand.
 *
 * @example
 * ```ts
 * import { blameLines } from "./blame.ts";
 * const lines = blameLines([
 *   { name: "web", state: "STARTING", pid: 6, time: 10 },
 *   { name: "web", state: "UP", pid: 6, time: 2010 },
 *   { name: "debug", state: "STARTING", pid: 9, time: 90_000 },
 * ], 0);
 * console.assert(lines[0] === "boot took 2.010s (1 service)");
 * console.assert(lines.at(-1) === "later, not part of the boot: debug");
 * ```
 */
export function blameLines(
  events: readonly ServiceEvent[],
  boot: number,
  now?: number,
): string[] {
  const timeline = bootTimeline(events, boot, now);
  const rows = blameRows(events, boot, now).filter((r) => !r.later);
  const later = laterLine(timeline);
  return [
    bootHeadline(timeline),
    ...formatBlame(rows),
    ...(later === null ? [] : [later]),
  ];
}

function row(t: Timeline, end: number, later: boolean): BlameRow {
  const up = t.ready !== null;
  const until = up ? t.ready! : isTrying(t.state) ? end : t.since;
  return {
    name: t.name,
    began: t.began,
    took: until - t.began,
    up,
    state: t.state,
    restarts: Math.max(0, t.attempts - 1),
    later,
  };
}

/**
 * `blame` as text: a header, then per row the time it took (or the state it
 * is stuck in), when it began after boot, its name, and what went wrong.
 *
 * @example
 * ```ts
 * import { formatBlame } from "./blame.ts";
 * const lines = formatBlame([
 *   { name: "web", began: 15, took: 2013, up: true, state: "UP", restarts: 0, later: false },
 *   { name: "bad", began: 15, took: 410, up: false, state: "FATAL", restarts: 2, later: false },
 * ]);
 * console.assert(lines[1].trim() === "2.013s  +0.015s  web");
 * console.assert(lines[2].endsWith("bad (never up: FATAL after 0.410s, 2 restarts)"));
 * ```
 */
export function formatBlame(rows: readonly BlameRow[]): string[] {
  const cells = rows.map((r) => {
    const took = r.up ? secs(r.took) : r.state;
    let note = "";
    const restarts = `${r.restarts} restart${r.restarts === 1 ? "" : "s"}`;
    if (!r.up) {
      const what = isTrying(r.state) ? `still ${r.state}` : r.state;
      note = ` (never up: ${what} after ${secs(r.took)}` +
        (r.restarts > 0 ? `, ${restarts})` : ")");
    } else if (r.restarts > 0) {
      note = ` (${restarts})`;
    }
    return [took, `+${secs(r.began)}`, r.name + note];
  });
  const header = ["took", "began", "service"];
  const widths = [0, 1].map((i) =>
    Math.max(header[i].length, ...cells.map((c) => c[i].length))
  );
  return [header, ...cells].map(([took, began, rest]) =>
    `${took.padStart(widths[0])}  ${began.padStart(widths[1])}  ${rest}`
  );
}
