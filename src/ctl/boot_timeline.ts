/**
 * The boot as timelines: from nitro's event history (`events --replay`) and
 * the time the boot began, one timeline per service that started since
 * then, with the states it went through. Pure: `blame` and `plot` are views
 * of it.
 *
 * @module
 */

import type { ServiceEvent, State } from "../protocol.ts";

/** The name nitro gives its own boot scripts in events. */
export const SYS = "SYS";
/** How `blame` and `plot` call the SYS/setup phase. */
export const SYS_SETUP = "SYS/setup";

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
  /** Services that started since boot, by first start (then by name). */
  services: Timeline[];
  /**
   * Milliseconds since boot when the last service that started became
   * ready: the moment all were up. Null when one of them never was.
   */
  allUp: number | null;
}

/** States in which a service is trying to come up. */
const STARTING_STATES: ReadonlySet<State> = new Set(["SETUP", "STARTING"]);
/** States that count as ready. */
const READY_STATES: ReadonlySet<State> = new Set(["UP", "ONESHOT"]);
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
  for (const [name, list] of byName) {
    if (name === SYS) sys = sysSetup(list, boot, end);
    else {
      const t = serviceTimeline(name, list, boot, end);
      if (t !== null) services.push(t);
    }
  }
  services.sort((a, b) =>
    a.began - b.began || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  const allUp = services.length === 0 ||
      services.some((t) => t.ready === null)
    ? null
    : Math.max(...services.map((t) => t.ready!));
  return { end, sys, services, allUp };
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
