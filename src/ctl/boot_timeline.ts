/**
 * The boot as timelines: from nitro's event history (`events --replay`) and
 * the time the boot began, one timeline per service that started since
 * then, with the states it went through. Pure: `blame` and `plot` are views
 * of it.
 *
 * The boot is over ("settled") once every service it started is up or has
 * given up (FATAL, DOWN). A service whose first start comes later than
 * {@link SETTLE_GAP_MS} after that was started by hand (or by a script), not
 * by the boot: it is kept apart, in `later`, so that a `nitroctl up` an
 * hour on does not make the boot look an hour long.
 *
 * @module
 */

import { SYS } from "../config/names.ts";
import type { ServiceEvent, State } from "../protocol.ts";

/** How `blame` and `plot` call the SYS/setup phase. */
export const SYS_SETUP = "SYS/setup";

/**
 * How long after the boot settled a first start still counts as part of it:
 * the boot starts services in batches, and a quick batch may settle before
 * the next one begins.
 */
export const SETTLE_GAP_MS = 1000;

/** A stretch of time a service spent in one state. */
export interface Segment {
  /** The state. */
  state: State;
  /** Milliseconds since boot when it was entered. */
  start: number;
  /** Milliseconds since boot when it was left, or the timeline's end. */
  end: number;
  /** True when the service was still in it at the end of the timeline. */
  open: boolean;
}

/** One service (or SYS/setup) during the boot. */
export interface Timeline {
  /** The service's name, or {@link SYS_SETUP}. */
  name: string;
  /** Milliseconds since boot of its first SETUP or STARTING (or FATAL/DELAY). */
  began: number;
  /** Milliseconds since boot of its first UP or ONESHOT; null: never. */
  ready: number | null;
  /** The last state it was seen in. */
  state: State;
  /** Milliseconds since boot of the last event (its current state began). */
  since: number;
  /** Tries to start before it was first ready (all tries, if never). */
  attempts: number;
  /** Where each try began (ms since boot): restarts are the later ones. */
  tries: number[];
  /** The states it was in, in order; DOWN is left out (nothing to show). */
  segments: Segment[];
}

/** The whole boot. */
export interface BootTimeline {
  /** Milliseconds since boot at which open segments end. */
  end: number;
  /** SYS/setup, when it ran in this boot. */
  sys: Timeline | null;
  /** Services the boot started, by first start (then by name). */
  services: Timeline[];
  /**
   * Milliseconds since boot when the last service the boot started became
   * ready: the moment all were up. Null when one of them never was.
   */
  allUp: number | null;
  /**
   * Milliseconds since boot when every service the boot started was up or
   * had given up (FATAL, DOWN): how long the boot took. Null while one is
   * still trying (STARTING, SETUP, a DELAY loop), or when none started.
   */
  settled: number | null;
  /** Services first started after the boot settled (by hand), by start. */
  later: Timeline[];
}

/** States in which a service is trying to come up. */
const STARTING_STATES: ReadonlySet<State> = new Set(["SETUP", "STARTING"]);
/** States that count as ready. */
const READY_STATES: ReadonlySet<State> = new Set(["UP", "ONESHOT"]);
/** States in which a service that never got ready has given up. */
const GAVE_UP_STATES: ReadonlySet<State> = new Set(["FATAL", "DOWN"]);
/** States that do not mean a service started (taken down, or untouched). */
const IDLE_STATES: ReadonlySet<State> = new Set([
  "DOWN",
  "SHUTDOWN",
  "RESTART",
]);

/**
 * Timelines of every service that started at or after `boot`.
 *
 * @param events nitro's history, chronological (as `events --replay`).
 * @param boot when the boot began, on the events' clock (ms).
 * @param until where open states end, on the events' clock; default: the
 *   last event's time (or `boot`).
 *
 * @example
 * ```ts
 * import { bootTimeline } from "./boot_timeline.ts";
 * const t = bootTimeline([
 *   { name: "web", state: "STARTING", pid: 7, time: 110 },
 *   { name: "web", state: "UP", pid: 7, time: 2110 },
 * ], 100);
 * console.assert(t.services[0].began === 10 && t.services[0].ready === 2010);
 * ```
 */
export function bootTimeline(
  events: readonly ServiceEvent[],
  boot: number,
  until?: number,
): BootTimeline {
  const since = events.filter((e) => e.time >= boot);
  const lastTime = since.length > 0 ? since[since.length - 1].time : boot;
  const end = Math.max(until ?? lastTime, lastTime) - boot;
  const byName = new Map<string, ServiceEvent[]>();
  for (const e of since) {
    const list = byName.get(e.name);
    if (list) list.push(e);
    else byName.set(e.name, [e]);
  }

  let sys: Timeline | null = null;
  const services: Timeline[] = [];
  const later: Timeline[] = [];
  const { settled, startedLater } = settle(since, boot);
  for (const [name, list] of byName) {
    if (name === SYS) sys = sysSetup(list, boot, end);
    else {
      const t = serviceTimeline(name, list, boot, end);
      if (t !== null) (startedLater.has(name) ? later : services).push(t);
    }
  }
  const byStart = (a: Timeline, b: Timeline) =>
    a.began - b.began || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  services.sort(byStart);
  later.sort(byStart);
  const allUp = services.length === 0 ||
      services.some((t) => t.ready === null)
    ? null
    : Math.max(...services.map((t) => t.ready!));
  // A boot that started no service is over when SYS/setup is.
  const over = services.length > 0 ? settled : sys?.ready ?? null;
  return { end, sys, services, allUp, settled: over, later };
}

/** At most this many names in a headline; the rest are counted. */
const NAMES_SHOWN = 5;

/**
 * What the boot took, for the first line of `blame` and `plot`: only what
 * the boot started counts, not later starts by hand.
 *
 * @example
 * ```ts
 * import { bootHeadline, bootTimeline } from "./boot_timeline.ts";
 * const t = bootTimeline([
 *   { name: "web", state: "STARTING", pid: 7, time: 0 },
 *   { name: "web", state: "UP", pid: 7, time: 2013 },
 * ], 0);
 * console.assert(bootHeadline(t) === "boot took 2.013s (1 service)");
 * ```
 */
export function bootHeadline(t: BootTimeline): string {
  const n = t.services.length;
  const count = `${n} service${n === 1 ? "" : "s"}`;
  if (t.settled !== null) return `boot took ${secs(t.settled)} (${count})`;
  if (n === 0 && t.sys === null) return "no service started since boot";
  const trying = t.services.filter((s) => s.ready === null && isTrying(s.state))
    .map((s) => s.name);
  if (t.sys !== null && t.sys.ready === null && t.sys.state === "SETUP") {
    trying.unshift(SYS_SETUP);
  }
  return `boot not over after ${secs(t.end)} (${count}; still trying: ${
    names(trying)
  })`;
}

/**
 * The services started after the boot, by hand, in one line; null when
 * there are none.
 *
 * @example
 * ```ts
 * import { bootTimeline, laterLine } from "./boot_timeline.ts";
 * const t = bootTimeline([
 *   { name: "web", state: "STARTING", pid: 7, time: 0 },
 *   { name: "web", state: "UP", pid: 7, time: 2000 },
 *   { name: "debug", state: "STARTING", pid: 9, time: 60_000 },
 * ], 0);
 * console.assert(laterLine(t) === "later, not part of the boot: debug");
 * ```
 */
export function laterLine(t: BootTimeline): string | null {
  if (t.later.length === 0) return null;
  return `later, not part of the boot: ${names(t.later.map((s) => s.name))}`;
}

/** Names joined, the first {@link NAMES_SHOWN}, the rest counted. */
function names(list: readonly string[]): string {
  const more = list.length - NAMES_SHOWN;
  return list.slice(0, NAMES_SHOWN).join(", ") +
    (more > 0 ? ` and ${more} more` : "");
}

/** Milliseconds as seconds with three decimals: `2013` → `2.013s`. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

/**
 * When the boot settled (ms since boot), and which services were first
 * started after that: one pass over the events, in order.
 */
function settle(
  events: readonly ServiceEvent[],
  boot: number,
): { settled: number | null; startedLater: Set<string> } {
  /** Services of the boot, and whether each is done (ready or gave up). */
  const done = new Map<string, boolean>();
  const everReady = new Set<string>();
  const startedLater = new Set<string>();
  let settled: number | null = null;
  let trying = 0; // Services of the boot not done, counted as they change.
  // Looked at once all events of a moment are in: a run that fails goes
  // DOWN and into DELAY at the same moment, and that DOWN is no giving up.
  let moment: number | null = null;
  const look = () => {
    if (settled === null && moment !== null && trying === 0) settled = moment;
  };
  for (const e of events) {
    if (e.name === SYS || startedLater.has(e.name)) continue;
    const t = e.time - boot;
    if (t !== moment) look();
    if (!done.has(e.name)) {
      if (IDLE_STATES.has(e.state)) continue; // Not started: not counted.
      if (settled !== null) {
        if (t - settled > SETTLE_GAP_MS) {
          startedLater.add(e.name);
          continue;
        }
        settled = null; // One more batch of the boot.
      }
    }
    if (READY_STATES.has(e.state)) everReady.add(e.name);
    const wasDone = done.get(e.name) ?? true;
    const isDone = everReady.has(e.name) || GAVE_UP_STATES.has(e.state);
    done.set(e.name, isDone);
    trying += Number(wasDone) - Number(isDone);
    moment = t;
  }
  look();
  return { settled, startedLater };
}

/** A service's timeline, or null when it never started since boot. */
function serviceTimeline(
  name: string,
  events: ServiceEvent[],
  boot: number,
  end: number,
): Timeline | null {
  const first = events.findIndex((e) => !IDLE_STATES.has(e.state));
  if (first < 0) return null;
  let ready: number | null = null;
  const tries: number[] = [];
  let attemptsBeforeReady = 0;
  let previous: State | null = null;
  for (const e of events.slice(first)) {
    // SETUP then STARTING is one try; a repeated event is no new try.
    const newTry = (e.state === "SETUP" && previous !== "SETUP") ||
      (e.state === "STARTING" && previous !== "SETUP" &&
        previous !== "STARTING");
    if (newTry) {
      tries.push(e.time - boot);
      if (ready === null) attemptsBeforeReady = tries.length;
    }
    if (ready === null && READY_STATES.has(e.state)) ready = e.time - boot;
    previous = e.state;
  }
  const last = events[events.length - 1];
  return {
    name,
    began: events[first].time - boot,
    ready,
    state: last.state,
    since: last.time - boot,
    attempts: ready === null ? tries.length : attemptsBeforeReady,
    tries,
    segments: segments(events.slice(first), boot, end, new Set(["DOWN"])),
  };
}

/** The SYS/setup phase as a timeline: ready when setup ended (not FATAL). */
function sysSetup(
  events: ServiceEvent[],
  boot: number,
  end: number,
): Timeline | null {
  const first = events.findIndex((e) => e.state === "SETUP");
  if (first < 0) return null;
  const after = events[first + 1];
  const ok = after !== undefined && after.state !== "FATAL";
  return {
    name: SYS_SETUP,
    began: events[first].time - boot,
    ready: ok ? after.time - boot : null,
    state: after?.state ?? "SETUP",
    since: (after ?? events[first]).time - boot,
    attempts: 1,
    tries: [events[first].time - boot],
    // Only the setup phase itself: what SYS does after it (ONESHOT, DOWN,
    // SHUTDOWN at the end) is not part of the boot.
    segments: segments(events.slice(first, first + 2), boot, end, new Set())
      .filter((s) => s.state === "SETUP"),
  };
}

/** Consecutive events as segments; a repeated state extends its segment. */
function segments(
  events: ServiceEvent[],
  boot: number,
  end: number,
  hidden: ReadonlySet<State>,
): Segment[] {
  const out: Segment[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (i > 0 && events[i - 1].state === e.state) continue;
    let j = i + 1;
    while (j < events.length && events[j].state === e.state) j++;
    const next = events[j];
    if (hidden.has(e.state)) continue;
    out.push({
      state: e.state,
      start: e.time - boot,
      end: next ? next.time - boot : end,
      open: next === undefined,
    });
  }
  return out;
}

/** States a service passes through while it is still trying. */
export function isTrying(state: State): boolean {
  return STARTING_STATES.has(state) || state === "DELAY" ||
    state === "RESTART";
}
