/**
 * The nitroctl command table: every command word, what it asks of nitro and
 * whether it takes services.
 *
 * @module
 */

import { SIGNAL_WORDS } from "../config/signals.ts";
import type { SignalName, WaitTarget } from "../protocol.ts";

/** Whether a command takes SERVICE arguments. */
export type Arity = "none" | "optional" | "required";

/** What a command does. */
export type Action =
  | { kind: "list" }
  | { kind: "status" }
  | { kind: "metrics" }
  | { kind: "info" }
  | { kind: "change"; op: "up" | "down" | "restart"; wait?: WaitTarget }
  | { kind: "wait"; wait: WaitTarget }
  | { kind: "ready" }
  | { kind: "signal"; signal: SignalName }
  | { kind: "pidof" }
  | { kind: "check" }
  | { kind: "rescan" }
  | { kind: "events" }
  | { kind: "blame" }
  | { kind: "plot" }
  | { kind: "shutdown" }
  | { kind: "reboot" };

/** A command: its action and its arity. */
export interface Command {
  action: Action;
  services: Arity;
}

const none = (action: Action): Command => ({ action, services: "none" });
const some = (action: Action): Command => ({ action, services: "required" });
const change = (op: "up" | "down" | "restart", wait?: WaitTarget) =>
  some(
    wait === undefined ? { kind: "change", op } : { kind: "change", op, wait },
  );
const wait = (target: WaitTarget) => some({ kind: "wait", wait: target });

/** Signal commands; any prefix of these names works ("first letter suffices"). */
const SIGNAL_COMMANDS = SIGNAL_WORDS;

/** Commands matched by their full name (or fixed alias). */
const COMMANDS: Readonly<Record<string, Command>> = {
  list: { action: { kind: "list" }, services: "optional" },
  l: { action: { kind: "list" }, services: "optional" },
  status: { action: { kind: "status" }, services: "optional" },
  metrics: none({ kind: "metrics" }),
  info: none({ kind: "info" }),
  up: change("up"),
  u: change("up"),
  down: change("down"),
  d: change("down"),
  start: change("up", "up"),
  stop: change("down", "down"),
  restart: change("restart", "up"),
  "fast-start": change("up", "starting"),
  "fast-stop": change("down", "shutdown"),
  "fast-restart": change("restart", "restart"),
  r: change("restart", "restart"),
  "wait-up": wait("up"),
  "wait-down": wait("down"),
  "wait-starting": wait("starting"),
  ready: some({ kind: "ready" }),
  pidof: some({ kind: "pidof" }),
  check: some({ kind: "check" }),
  rescan: none({ kind: "rescan" }),
  scan: none({ kind: "rescan" }),
  events: none({ kind: "events" }),
  blame: none({ kind: "blame" }),
  plot: none({ kind: "plot" }),
  Shutdown: none({ kind: "shutdown" }),
  Reboot: none({ kind: "reboot" }),
};

/**
 * The command a word names, or undefined. Full names and fixed aliases are
 * matched first, so `d`, `u`, `r` and `l` keep their meaning; then any
 * prefix of a signal command (`k`, `ter`, `i`, …).
 *
 * @example
 * ```ts
 * import { lookupCommand } from "./commands.ts";
 * console.assert(lookupCommand("k")?.action.kind === "signal");
 * console.assert(lookupCommand("info")?.action.kind === "info");
 * ```
 */
export function lookupCommand(word: string): Command | undefined {
  if (Object.hasOwn(COMMANDS, word)) return COMMANDS[word];
  if (word === "") return undefined;
  for (const [name, signal] of SIGNAL_COMMANDS) {
    if (name.startsWith(word)) return some({ kind: "signal", signal });
  }
  return undefined;
}
