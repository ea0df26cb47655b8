/**
 * The system lifecycle as a pure function, beside the per-service one:
 * boot (SYS/setup), running, and the end (SYS/finish, services down, on
 * pid 1 every remaining process killed, SYS/final), for a shutdown or a
 * reboot (spec §3). The shell runs the scripts and the services and feeds
 * back when each part is over.
 *
 * @example A boot without SYS/setup starts the services at once
 * ```ts
 * import { newSystem, stepSystem } from "./system.ts";
 *
 * const { system, effects } = stepSystem(newSystem(), {
 *   type: "boot",
 *   hasSetup: false,
 * });
 * // system.phase === "running"; effects include { type: "start-services" }
 * ```
 *
 * @module
 */

import type { State } from "../protocol.ts";
import { impossible } from "./service.ts";

/** How the system ends. */
export type EndMode = "shutdown" | "reboot";

/** Limit of SYS/finish and SYS/final, in milliseconds (spec §3). */
export const SYSTEM_SCRIPT_LIMIT_MS = 30_000;

/** Where the system stands. */
export type Phase =
  /** Not booted yet (or booting again after a reboot). */
  | "idle"
  /** SYS/setup runs; services wait for its end. */
  | "setup"
  /** Services are supervised. */
  | "running"
  /** SYS/finish runs. */
  | "finish"
  /** Services are brought down, loggers last. */
  | "services"
  /** As pid 1: every remaining process is being killed. */
  | "killing"
  /** SYS/final runs. */
  | "final"
  /** Over: the shell exits, reboots, or boots again. */
  | "ended";

/** Every phase, for tables. */
export const PHASES: readonly Phase[] = [
  "idle",
  "setup",
  "running",
  "finish",
  "services",
  "killing",
  "final",
  "ended",
];

/** The system, as the core sees it. */
export interface System {
  phase: Phase;
  /** How the current end will end (meaningful from `finish` on). */
  mode: EndMode;
}

/** What moves the system. */
export type SystemInput =
  /** Begin a boot; whether an executable SYS/setup exists. */
  | { type: "boot"; hasSetup: boolean }
  /** SYS/setup ended (or could not start: status 127 << 8). */
  | { type: "setup-ended"; wstatus: number }
  /** Shutdown or reboot asked for; whether an executable SYS/finish exists. */
  | { type: "end"; mode: EndMode; hasFinish: boolean }
  /** SYS/finish ended (or was killed at its limit, or could not start). */
  | { type: "finish-ended" }
  /** Every service is down (and has no process left). */
  | { type: "services-down" }
  /** Every remaining process was killed (or there was nothing to do). */
  | { type: "killed" }
  /** SYS/final ended (or there was none). */
  | { type: "final-ended" };

/** Effects the system core asks its shell for. */
export type SystemEffect =
  /** Run a SYS script, killing its process group after `limitMs` if set. */
  | {
    type: "run";
    script: "setup" | "finish" | "final";
    args: string[];
    limitMs: number | null;
  }
  /** SIGTERM to a SYS/setup still running (the end came during boot). */
  | { type: "stop-setup" }
  /** Bring up every service that has no `down` file and was not asked down. */
  | { type: "start-services" }
  /** Stop wanting anything up, and bring the services down, loggers last. */
  | { type: "stop-services" }
  /** As pid 1: SIGTERM, SIGCONT, 7 s, SIGKILL to everything else. */
  | { type: "kill-all" }
  /** SYS entered a state: publish it as an event (spec §3). */
  | { type: "event"; state: State }
  /** One console line for the operator, after `- nitro: `. */
  | { type: "say"; text: string }
  /** The end is complete. */
  | { type: "ended"; mode: EndMode };

/** The result of one step. */
export interface SystemStepResult {
  system: System;
  effects: SystemEffect[];
}

/** A system before its first boot. */
export function newSystem(): System {
  return { phase: "idle", mode: "shutdown" };
}

/** Whether requests that start services are refused (the system is ending). */
export function isEnding(system: System): boolean {
  return system.phase !== "idle" && system.phase !== "setup" &&
    system.phase !== "running";
}

/**
 * Whether a service input may be carried out now: once the end began,
 * nothing starts any more (requests to start are refused).
 */
export function admits(system: System, input: { type: string }): boolean {
  const starts = input.type === "up" || input.type === "restart" ||
    input.type === "auto-up";
  return !starts || !isEnding(system);
}

/**
 * Whether services found by a rescan start at once: not while SYS/setup
 * runs (they wait for its end, like the others) nor once the end began.
 */
export function startsNewServices(system: System): boolean {
  return system.phase === "running";
}

/**
 * The order services are brought up in at boot: LOG first, as every other
 * service's default logger (spec §3); the rest by name.
 */
export function bootOrder(names: Iterable<string>): string[] {
  return [...names].sort((a, b) =>
    a === "LOG" ? -1 : b === "LOG" ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
}

/** Advance the system by one input. Inputs that do not apply are ignored. */
export function stepSystem(
  system: System,
  input: SystemInput,
): SystemStepResult {
  const s: System = { ...system };
  const effects: SystemEffect[] = [];
  const say = (text: string) => effects.push({ type: "say", text });
  switch (input.type) {
    case "boot":
      if (s.phase !== "idle" && s.phase !== "ended") break;
      say("booting");
      if (input.hasSetup) {
        s.phase = "setup";
        effects.push({ type: "event", state: "SETUP" }, {
          type: "run",
          script: "setup",
          args: [],
          limitMs: null,
        });
      } else {
        s.phase = "running";
        effects.push({ type: "start-services" });
      }
      break;
    case "setup-ended":
      // After an early end, the stopped setup's exit changes nothing.
      if (s.phase !== "setup") break;
      say(`SYS/setup finished with status ${exitCode(input.wstatus)}`);
      s.phase = "running";
      effects.push({ type: "event", state: "DOWN" }, {
        type: "start-services",
      });
      break;
    case "end":
      if (isEnding(s)) break;
      if (s.phase === "setup") effects.push({ type: "stop-setup" });
      s.mode = input.mode;
      say("shutting down");
      if (input.hasFinish) {
        s.phase = "finish";
        effects.push({ type: "event", state: "SHUTDOWN" }, {
          type: "run",
          script: "finish",
          args: ["0", "0", input.mode],
          limitMs: SYSTEM_SCRIPT_LIMIT_MS,
        });
      } else {
        s.phase = "services";
        effects.push({ type: "stop-services" });
      }
      break;
    case "finish-ended":
      if (s.phase !== "finish") break;
      say("SYS/finish finished");
      s.phase = "services";
      effects.push({ type: "event", state: "DOWN" }, {
        type: "stop-services",
      });
      break;
    case "services-down":
      if (s.phase !== "services") break;
      s.phase = "killing";
      effects.push({ type: "kill-all" });
      break;
    case "killed":
      if (s.phase !== "killing") break;
      s.phase = "final";
      effects.push({
        type: "run",
        script: "final",
        args: [s.mode],
        limitMs: SYSTEM_SCRIPT_LIMIT_MS,
      });
      break;
    case "final-ended":
      if (s.phase !== "final") break;
      s.phase = "ended";
      say("finished");
      effects.push({ type: "ended", mode: s.mode });
      break;
    default:
      impossible("system input", input);
  }
  return { system: s, effects };
}

/** The exit code of a wait status, or 128 + N for a death by signal N. */
function exitCode(wstatus: number): number {
  const signo = wstatus & 0x7f;
  return signo === 0 ? (wstatus >> 8) & 0xff : 128 + signo;
}
