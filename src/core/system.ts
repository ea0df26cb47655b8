/**
 * The system lifecycle as a pure function, beside the per-service one:
 * boot (SYS/setup), running, the end (SYS/finish, services down loggers
 * last, on pid 1 every remaining process killed, SYS/final), and what comes
 * after it: boot again, hand over to SYS/reincarnate, power off or reboot
 * the machine, or exit. A fatal start (SYS/fatal) ends here too. The shell
 * (src/daemon/system_shell.ts) carries out the effects and feeds back when
 * each part is over.
 *
 * @example A boot without SYS/setup starts the services at once
 * ```ts
 * import { newSystem, stepSystem } from "./system.ts";
 *
 * const { system, effects } = stepSystem(newSystem("process"), {
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
import { LOG, SYS } from "../config/names.ts";
import { EXIT_FATAL, exitByte } from "./exit_status.ts";
import { shutdownInput, type StopCandidate, stoppable } from "./logging.ts";

/** How the system ends. */
export type EndMode = "shutdown" | "reboot";

/**
 * What nitro is to the machine: its pid 1 (reboots and powers off the
 * machine at the end), pid 1 of a container (exits), or a plain process
 * (exits, and cannot exec SYS/reincarnate).
 */
export type Role = "machine" | "container" | "process";

/**
 * Limit of SYS/finish and SYS/final, in milliseconds: a hung script must
 * not keep the machine from going down.
 */
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
  | "ended"
  /** nitro cannot run at all: SYS/fatal runs, then nitro exits. */
  | "fatal";

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
  "fatal",
];

/** The system, as the core sees it. */
export interface System {
  phase: Phase;
  /** How the current end will end (meaningful from `finish` on). */
  mode: EndMode;
  role: Role;
  /**
   * During `services`: null until the first look at the services, then
   * whether "waiting for N services to finish" was printed.
   */
  waiting: boolean | null;
  /** During `services`: how many were left to wait for at the last look. */
  left?: number;
  /** The control socket was closed already (before SYS/reincarnate). */
  controlClosed?: boolean;
}

/** A service as the end sees it. */
export interface ServiceAtEnd extends StopCandidate {
  /** Told to stop already (SHUTDOWN): not told again. */
  stopping: boolean;
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
  /**
   * The services as they are now (after `stop-services`, and whenever one
   * of them stopped during the end), and who logs into whom.
   */
  | {
    type: "services";
    services: readonly ServiceAtEnd[];
    loggers: ReadonlySet<string>;
  }
  /**
   * Every remaining process was killed (or there was nothing to do);
   * whether SYS/reincarnate exists.
   */
  | { type: "killed"; hasReincarnate: boolean }
  /** SYS/final ended (or there was none). */
  | { type: "final-ended" }
  /** nitro cannot run (`problem` says why); whether SYS/fatal exists. */
  | { type: "fatal"; problem: string; hasFatal: boolean }
  /** SYS/fatal ended. */
  | { type: "fatal-ended" };

/** The SYS scripts nitro runs to their end. */
export type SysScript = "setup" | "finish" | "final" | "fatal";

/** Effects the system core asks its shell for, to be carried out in order. */
export type SystemEffect =
  /** Run a SYS script, killing its process group after `limitMs` if set. */
  | {
    type: "run";
    script: SysScript;
    args: string[];
    limitMs: number | null;
  }
  /** SIGTERM to a SYS/setup still running (the end came during boot). */
  | { type: "stop-setup" }
  /**
   * Forget every service and read the service directory afresh: after
   * `booting`, so that what the scan says follows it, as in C nitro.
   */
  | { type: "scan" }
  /** Bring up every service that has no `down` file and was not asked down. */
  | { type: "start-services" }
  /** Stop wanting anything up; answer with the `services` input. */
  | { type: "stop-services" }
  /** Bring one service down: its down signal, or a logger's drain. */
  | { type: "stop"; name: string; input: "down" | "drain" }
  /** As pid 1: SIGTERM, SIGCONT, 7 s, SIGKILL to everything else. */
  | { type: "kill-all" }
  /** SYS entered a state: publish it as an event. */
  | { type: "event"; state: State }
  /** Announce a state of SYS on the wire, where C nitro does. */
  | { type: "announce"; state: State }
  /** One console line for the operator, after `- nitro: `. */
  | { type: "say"; text: string }
  /** Console text as it is (a line printed in two parts). */
  | { type: "write"; text: string }
  /** The end is complete: let go of the services' pipes and timers. */
  | { type: "ended"; mode: EndMode }
  /** Exec SYS/reincarnate (after the last words); returns only if it failed. */
  | { type: "reincarnate" }
  /** Boot again from scratch (a reboot without a machine to reboot). */
  | { type: "boot" }
  /** Stop serving the control socket and remove it. */
  | { type: "close-control" }
  /** As a machine's pid 1: sync, remount, power off or reboot. */
  | { type: "power"; mode: EndMode }
  /** Exit with `code` (after the last words). */
  | { type: "exit"; code: number };

/** The result of one step. */
export interface SystemStepResult {
  system: System;
  effects: SystemEffect[];
}

/** A system before its first boot. */
export function newSystem(role: Role): System {
  return { phase: "idle", mode: "shutdown", role, waiting: null };
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
 * service's default logger; the rest by name.
 */
export function bootOrder(names: Iterable<string>): string[] {
  return [...names].sort((a, b) =>
    a === LOG ? -1 : b === LOG ? 1 : a < b ? -1 : a > b ? 1 : 0
  );
}

/** The effect that runs SYS/`script`, without a time limit unless given. */
function run(
  script: SysScript,
  args: string[] = [],
  limitMs: number | null = null,
): SystemEffect {
  return { type: "run", script, args, limitMs };
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
      effects.push({ type: "scan" });
      s.waiting = null;
      if (input.hasSetup) {
        s.phase = "setup";
        effects.push(
          { type: "event", state: "SETUP" },
          { type: "announce", state: "SETUP" },
          run("setup"),
        );
      } else {
        s.phase = "running";
        effects.push({ type: "start-services" });
      }
      break;
    case "setup-ended":
      // After an early end, the stopped setup's exit changes nothing.
      if (s.phase !== "setup") break;
      // The raw wait status, as C nitro prints it.
      say(`${SYS}/setup finished with status ${input.wstatus}`);
      s.phase = "running";
      effects.push(...setupEndedNotices(input.wstatus));
      effects.push({ type: "event", state: "DOWN" }, {
        type: "start-services",
      });
      break;
    case "end":
      if (isEnding(s)) break;
      if (s.phase === "setup") effects.push({ type: "stop-setup" });
      s.mode = input.mode;
      say(input.mode === "reboot" ? "rebooting" : "shutting down");
      if (input.hasFinish) {
        s.phase = "finish";
        // C nitro runs SYS/finish as the finish of a one-shot SYS.
        effects.push(
          { type: "event", state: "SHUTDOWN" },
          { type: "announce", state: "ONESHOT" },
          run("finish", ["0", "0", input.mode], SYSTEM_SCRIPT_LIMIT_MS),
        );
      } else {
        s.phase = "services";
        effects.push({ type: "stop-services" });
      }
      break;
    case "finish-ended":
      if (s.phase !== "finish") break;
      say(`${SYS}/finish finished`);
      s.phase = "services";
      effects.push({ type: "announce", state: "DOWN" }, {
        type: "event",
        state: "DOWN",
      }, {
        type: "stop-services",
      });
      break;
    case "services":
      if (s.phase !== "services") break;
      stopServices(s, input.services, input.loggers, effects);
      break;
    case "killed":
      if (s.phase !== "killing") break;
      s.phase = "final";
      // As C nitro: SYS/reincarnate takes over first; SYS/final runs only
      // where it did not (there is none, or its exec failed).
      handOver(s, input.hasReincarnate, effects);
      effects.push(run("final", [s.mode], SYSTEM_SCRIPT_LIMIT_MS));
      break;
    case "final-ended":
      if (s.phase !== "final") break;
      s.phase = "ended";
      // A machine's last word is "system halt" or "system reboot", as C
      // nitro's (said as it powers off).
      if (s.role !== "machine") say("finished");
      effects.push({ type: "ended", mode: s.mode });
      afterTheEnd(s, effects);
      break;
    case "fatal":
      if (s.phase !== "idle") break;
      s.phase = "fatal";
      say(input.problem);
      if (input.hasFatal) {
        effects.push(run("fatal"));
      } else {
        exitFatal(s, effects);
      }
      break;
    case "fatal-ended":
      if (s.phase !== "fatal") break;
      exitFatal(s, effects);
      break;
    default:
      impossible("system input", input);
  }
  return { system: s, effects };
}

/**
 * How C nitro announces the end of SYS/setup: a one-shot that came up
 * (exit 0) or failed for good (111), or neither (a delay it never
 * announces); then it is gone (DOWN).
 */
function setupEndedNotices(wstatus: number): SystemEffect[] {
  const code = exitByte(wstatus);
  const first: State[] = code === 0
    ? ["ONESHOT"]
    : code === EXIT_FATAL
    ? ["FATAL"]
    : [];
  return [...first, "DOWN" as const].map((state) => ({
    type: "announce",
    state,
  }));
}

/**
 * Stop whatever may stop now, loggers after the services writing into
 * them; once every service has stopped, go on to the last sweep.
 */
function stopServices(
  s: System,
  services: readonly ServiceAtEnd[],
  loggers: ReadonlySet<string>,
  effects: SystemEffect[],
): void {
  const left = services.filter((c) => !c.stopped).length;
  // As C nitro counts them: those that stop at once are not waited for.
  const waitFor = services.filter((c) => !c.stopped && !c.instant).length;
  const first = s.waiting === null;
  if (s.waiting === null) {
    // ... and loggers, which stop after the rest, are not counted.
    const writers = services.filter((c) =>
      !c.stopped && !c.instant && !loggers.has(c.name)
    );
    s.waiting = writers.length > 0;
    if (s.waiting) {
      effects.push({
        type: "write",
        text: `- nitro: waiting for ${writers.length} services to finish`,
      });
    }
  }
  if (left === 0) {
    // C nitro ends the line even when it printed no "waiting" before it.
    effects.push({ type: "write", text: " done.\n" });
    s.waiting = false;
    s.phase = "killing";
    effects.push({ type: "kill-all" });
    return;
  }
  // A dot as C nitro prints one each time it looks and some are left: one
  // at once, then one per service that stopped (and took its time). Those
  // that stop at once are gone before C nitro looks: no dot for them.
  if (waitFor > 0 && (first || waitFor < (s.left ?? Infinity))) {
    effects.push({ type: "write", text: "." });
  }
  s.left = waitFor;
  const stopping = new Set(
    services.filter((c) => c.stopping).map((c) => c.name),
  );
  for (const name of stoppable(services)) {
    if (stopping.has(name)) continue;
    effects.push({ type: "stop", name, input: shutdownInput(name, loggers) });
  }
}

/** Whether this end boots again in the same process (no machine to reboot). */
function bootsAgain(s: System): boolean {
  return s.mode === "reboot" && s.role !== "machine";
}

/**
 * Exec SYS/reincarnate where it exists, once nobody else is left: it takes
 * over from nitro, as pid 1. An end that does not boot again stops serving
 * first, as nitro's exit would.
 */
function handOver(
  s: System,
  hasReincarnate: boolean,
  effects: SystemEffect[],
): void {
  if (!hasReincarnate) return;
  if (s.role === "process") {
    effects.push({
      type: "say",
      text: `${SYS}/reincarnate needs nitro to be pid 1; ignored`,
    });
    return;
  }
  if (!bootsAgain(s)) {
    effects.push({ type: "close-control" });
    s.controlClosed = true;
  }
  effects.push({ type: "reincarnate" });
}

/**
 * After the end: boot again where there is no machine to reboot; else
 * stop serving, and power off or reboot the machine, or exit.
 */
function afterTheEnd(s: System, effects: SystemEffect[]): void {
  if (bootsAgain(s)) {
    effects.push({ type: "boot" });
    return;
  }
  if (!s.controlClosed) effects.push({ type: "close-control" });
  if (s.role === "machine") effects.push({ type: "power", mode: s.mode });
  effects.push({ type: "exit", code: 0 });
}

/** After SYS/fatal: a machine's pid 1 must not exit (a panic): it reboots. */
function exitFatal(s: System, effects: SystemEffect[]): void {
  if (s.role === "machine") effects.push({ type: "power", mode: "reboot" });
  effects.push({ type: "exit", code: EXIT_FATAL });
}
