/**
 * The data of the pure core: one service's state, what nitro last saw of its
 * directory, the inputs that move it and the effects it asks for.
 *
 * @module
 */

import type { SignalName, State } from "../protocol.ts";

/** Milliseconds a `run` must live before it counts as UP. */
export const UP_AFTER_MS = 2000;
/** Milliseconds a crashed service waits in DELAY. */
export const DELAY_MS = 2000;
/** Milliseconds between the down signal and SIGKILL, and the finish limit. */
export const KILL_AFTER_MS = 7000;

/** How a service tells nitro it is ready. */
export type Readiness =
  /** No `notification-fd`: UP after {@link UP_AFTER_MS}. */
  | { kind: "timer" }
  /** `notification-fd` = N >= 1: the first newline on fd N. */
  | { kind: "fd"; fd: number }
  /** `notification-fd` = 0, or unreadable as a number: only `nitroctl ready`. */
  | { kind: "manual" };

/**
 * The readiness of a service without `notification-fd`, and of one that
 * can only be told: shared, not made per service (there may be thousands).
 */
export const TIMER_READINESS: Readiness = Object.freeze({ kind: "timer" });
export const MANUAL_READINESS: Readiness = Object.freeze({ kind: "manual" });

/** What nitro found in a service directory when it last looked. */
export interface ServiceFacts {
  /**
   * Why the directory (or the template's, for an instance) cannot be
   * read - "service directory is gone", or the error that denied it - or
   * null when it can.
   */
  unreadable: string | null;
  /**
   * A `setup` exists. Whether it can be executed shows when it is started:
   * the shell answers `spawn-failed` with the reason (FATAL, or DELAY when
   * the system ran short).
   */
  hasSetup: boolean;
  /** A `run` exists; without one the service is a one-shot. */
  hasRun: boolean;
  /** An executable `finish` exists. */
  hasFinish: boolean;
  /** A `down` file: not brought up at boot or when first seen. */
  down: boolean;
  downSignal: SignalName;
  readiness: Readiness;
}

/** Which of a service's scripts its current process is. */
export type Script = "setup" | "run" | "finish";

/** One service, as the core sees it. Plain data: copy, compare, log it. */
export interface Service {
  readonly name: string;
  /** `PARAM` of a `NAME@PARAM` instance, passed to its scripts. */
  readonly param: string | null;
  state: State;
  /** Monotonic time of the last state change. */
  since: number;
  /** The script whose process is running, or null when none is. */
  running: Script | null;
  /** Whether nitro wants this service up. */
  wantUp: boolean;
  /** Whether anyone asked for a state (up, down, restart) since it was seen. */
  requested: boolean;
  /** When `run` was last started. */
  runStarted: number;
  /** Whether the last `run` crashed too soon to restart at once. */
  crashedEarly: boolean;
  /** Raw wait status of the last exit of `run`. */
  wstatus: number;
  /** Whether `run` has exited at least once (`wstatus` means something). */
  exited: boolean;
  /** Restarts nitro made by itself (after a crash or a failed setup). */
  restarts: number;
  /** Why the service is FATAL; null in every other state. */
  reason: string | null;
  /** Shutting down by letting its input run dry (a logger at shutdown). */
  draining: boolean;
  /** Monotonic time at which a timer input is due, or null. */
  deadline: number | null;
  facts: ServiceFacts;
}

/** Inputs that move a service. */
export type Input =
  | { type: "up" }
  | { type: "down" }
  | { type: "restart" }
  /**
   * Bring the service up unless it has a `down` file or somebody already
   * asked for a state (boot, rescan and the end of SYS/setup send this).
   */
  | { type: "auto-up" }
  /**
   * Shutdown of a logger: stop wanting it up and wait, without a signal,
   * for it to exit by itself when its pipe runs dry; signal it when the
   * usual stop limit expires.
   */
  | { type: "drain" }
  /** Readiness: a newline on the notification fd or `nitroctl ready`. */
  | { type: "ready" }
  /** The current process ended with this raw wait status. */
  | { type: "exit"; wstatus: number }
  /** The deadline is due. */
  | { type: "timer" }
  /**
   * The shell could not start the process the core asked for. `transient`:
   * the system ran short (no process slot, memory or file descriptor): the
   * start is retried after a delay, as after a crash.
   */
  | { type: "spawn-failed"; reason: string; transient?: boolean };

/** Effects the core asks its shell to carry out. */
export type Effect =
  /** Start a script with these arguments; answer `spawn-failed` if impossible. */
  | { type: "spawn"; script: Script; args: string[] }
  /**
   * Send a signal to the current process, or to the whole process group of
   * the current (or, when none runs, the last) process.
   */
  | {
    type: "signal";
    signal: SignalName;
    group: boolean;
    /**
     * The service's down signal: the shell reads `down-signal` now and
     * sends what it names (`signal` is what the facts last said).
     */
    down?: true;
  }
  /** Tell the operator something went wrong (printed once per occurrence). */
  | { type: "warn"; message: string };

/** Facts for a service that has a `run` and no options. */
export function defaultFacts(): ServiceFacts {
  return {
    unreadable: null,
    hasSetup: false,
    hasRun: true,
    hasFinish: false,
    down: false,
    downSignal: "SIGTERM",
    readiness: TIMER_READINESS,
  };
}

/** A new service, DOWN, not wanted up yet. */
export function newService(
  name: string,
  param: string | null,
  facts: ServiceFacts,
  now: number,
): Service {
  return {
    name,
    param,
    state: "DOWN",
    since: now,
    running: null,
    wantUp: false,
    requested: false,
    runStarted: now,
    crashedEarly: false,
    wstatus: 0,
    exited: false,
    restarts: 0,
    reason: null,
    draining: false,
    deadline: null,
    facts,
  };
}

/** Fail loudly on a case the types say cannot happen. */
export function impossible(what: string, value: never): never {
  throw new Error(`impossible ${what}: ${JSON.stringify(value)}`);
}
