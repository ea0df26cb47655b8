/**
 * The data of the pure core: one service's state, what nitro last saw of its
 * directory, the inputs that move it and the effects it asks for.
 *
 * @module
 */

import type { SignalName, State } from "../protocol.ts";

/** Milliseconds a `run` must live before it counts as UP (spec §2). */
export const UP_AFTER_MS = 2000;
/** Milliseconds a crashed service waits in DELAY. */
export const DELAY_MS = 2000;
/** Milliseconds between the down signal and SIGKILL, and the finish limit. */
export const KILL_AFTER_MS = 7000;

/** How a service tells nitro it is ready (spec §5). */
export type Readiness =
  /** No `notification-fd`: UP after {@link UP_AFTER_MS}. */
  | { kind: "timer" }
  /** `notification-fd` = N ≥ 1: the first newline on fd N. */
  | { kind: "fd"; fd: number }
  /** `notification-fd` = 0, or unreadable as a number: only `nitroctl ready`. */
  | { kind: "manual" };

/** What nitro found in a service directory when it last looked. */
export interface ServiceFacts {
  /** The directory (or the template's, for an instance) is gone. */
  gone: boolean;
  hasSetup: boolean;
  hasRun: boolean;
  hasFinish: boolean;
  downSignal: SignalName;
  readiness: Readiness;
  /** Why the service cannot start (e.g. `run` not executable), if so. */
  problem: string | null;
}

/** Which of a service's scripts its current process is. */
export type Script = "setup" | "run" | "finish";

/** What happens after `finish` (or straight after `run`) of a restart. */
export type AfterStop = "start" | "delay" | "down";

/** One service, as the core sees it. Plain data: copy, compare, log it. */
export interface Service {
  readonly name: string;
  /** `PARAM` of a `NAME@PARAM` instance, passed as first script argument. */
  readonly param: string | null;
  state: State;
  /** Monotonic time of the last state change. */
  since: number;
  /** The script whose process is running, or null when none is. */
  running: Script | null;
  /** Whether nitro wants this service up. */
  wantUp: boolean;
  /** When `run` was last started. */
  runStarted: number;
  /** Whether the last `run` crashed too soon to restart at once. */
  crashedEarly: boolean;
  /** Raw wait status of the last exit of `run`. */
  wstatus: number;
  /** Monotonic time at which a timer input is due, or null. */
  deadline: number | null;
  facts: ServiceFacts;
}

/** Inputs that move a service. */
export type Input =
  | { type: "up" }
  | { type: "down" }
  | { type: "restart" }
  /** Readiness: a newline on the notification fd or `nitroctl ready`. */
  | { type: "ready" }
  /** The current process ended with this raw wait status. */
  | { type: "exit"; wstatus: number }
  /** The deadline is due. */
  | { type: "timer" }
  /** The shell could not start the process the core asked for. */
  | { type: "spawn-failed"; reason: string };

/** Effects the core asks its shell to carry out. */
export type Effect =
  /** Start a script with these arguments; answer `spawn-failed` if impossible. */
  | { type: "spawn"; script: Script; args: string[] }
  /**
   * Send a signal to the current process, or to the whole process group of
   * the current (or, when none runs, the last) process.
   */
  | { type: "signal"; signal: SignalName; group: boolean }
  /** Tell the operator something went wrong (printed once per occurrence). */
  | { type: "warn"; message: string };

/** Facts for a service that has every script and no options. */
export function defaultFacts(): ServiceFacts {
  return {
    gone: false,
    hasSetup: false,
    hasRun: true,
    hasFinish: false,
    downSignal: "SIGTERM",
    readiness: { kind: "timer" },
    problem: null,
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
    runStarted: now,
    crashedEarly: false,
    wstatus: 0,
    deadline: null,
    facts,
  };
}

/** Encode an exit code as a raw wait status (as waitpid reports it). */
export function exitedStatus(code: number): number {
  return (code & 0xff) << 8;
}

/** Encode death by a signal number as a raw wait status. */
export function signaledStatus(signo: number): number {
  return signo & 0x7f;
}

/** Decode a raw wait status: exit code, or -1 with the killing signal. */
export function decodeStatus(wstatus: number): { code: number; signo: number } {
  const signo = wstatus & 0x7f;
  if (signo === 0) return { code: (wstatus >> 8) & 0xff, signo: 0 };
  return { code: -1, signo };
}
