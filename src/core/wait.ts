/**
 * The wait judgement: whether a service in some state has reached what a
 * waiting request waits for, can no longer reach it, or may still. Pure;
 * the control server asks it after every event of a waited-for service.
 *
 * @module
 */

import type { State, WaitTarget } from "../protocol.ts";

/** Where a wait stands for one service. */
export type Verdict = "ok" | "fail" | "pending";

/**
 * Judge `state` against `target`. `wantUp` says whether the service is
 * still wanted up: a DOWN service nobody wants up will not come up, so a
 * wait for it to start fails (a passive `wait` passes true: it asked for
 * nothing and waits, up to the client's `-t`). DOWN of a service wanted up
 * is the instant it passes between two runs: still pending.
 *
 * @example
 * ```ts
 * import { judge } from "./wait.ts";
 * console.assert(judge("UP", true, "up") === "ok");
 * console.assert(judge("FATAL", true, "up") === "fail");
 * console.assert(judge("DOWN", true, "up") === "pending");
 * ```
 */
export function judge(
  state: State,
  wantUp: boolean,
  target: WaitTarget,
): Verdict {
  switch (target) {
    case "up":
      if (state === "UP" || state === "ONESHOT") return "ok";
      return failedToStart(state, wantUp) ? "fail" : "pending";
    case "starting":
      if (state === "STARTING" || state === "UP" || state === "ONESHOT") {
        return "ok";
      }
      return failedToStart(state, wantUp) ? "fail" : "pending";
    case "down":
      return state === "DOWN" || state === "FATAL" ? "ok" : "pending";
    case "shutdown":
      return state === "SHUTDOWN" || state === "DOWN" || state === "FATAL"
        ? "ok"
        : "pending";
    case "restart":
      // RESTART, or any state after it: it has begun coming back.
      return state === "FATAL" ? "fail" : state === "DOWN" ? "pending" : "ok";
  }
}

/** FATAL, or DOWN with nobody wanting it up: it will not start. */
function failedToStart(state: State, wantUp: boolean): boolean {
  return state === "FATAL" || (state === "DOWN" && !wantUp);
}
