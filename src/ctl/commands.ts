/**
 * nitroctl's vocabulary: every command word and option, what a command asks
 * of nitro, what it takes and what it does in words. The parser, the usage
 * text, `COMMAND --help` and the shell completions are all made from these
 * tables, so none of them can drift from the others.
 *
 * @module
 */

import type { SignalName, WaitTarget } from "../protocol.ts";
import { SIGNAL_WORDS } from "../config/signals.ts";

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
  | { kind: "reboot" }
  | { kind: "completion" };

/** The shells `nitroctl completion SHELL` writes a completion for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;

/** A shell {@link SHELLS} names. */
export type Shell = typeof SHELLS[number];

/** A command: its words, its action, what it takes, what it does. */
export interface Command {
  /** The command word. */
  name: string;
  /** Other words for the same command (`l` for `list`). */
  aliases: readonly string[];
  /** Whether any prefix of the name works too (`k`, `ter`: signals). */
  prefixes: boolean;
  action: Action;
  /** Whether it takes SERVICE arguments. */
  services: Arity;
  /** One word it takes instead, from a fixed set: `completion SHELL`. */
  operand?: { name: string; choices: readonly string[] };
  /** Options only this command takes (names in {@link OPTIONS}). */
  options: readonly string[];
  /** Its output is text whatever `--json` says, so `--json` is refused. */
  textOnly: boolean;
  /** What it does, in a few words (usage list, completion menus). */
  summary: string;
  /** What it does, in a sentence or two (`nitroctl COMMAND --help`). */
  description: string;
}

/** A command as the table below spells it; the rest takes defaults. */
type Entry =
  & Pick<Command, "name" | "action" | "services" | "summary" | "description">
  & Partial<Command>;

const entry = (e: Entry): Command => ({
  aliases: [],
  prefixes: false,
  options: [],
  textOnly: false,
  ...e,
});

/** A command that changes what services should be, maybe waiting. */
function change(
  name: string,
  aliases: string[],
  op: "up" | "down" | "restart",
  wait: WaitTarget | undefined,
  summary: string,
  description: string,
): Command {
  const action: Action = wait === undefined
    ? { kind: "change", op }
    : { kind: "change", op, wait };
  return entry({
    name,
    aliases,
    action,
    services: "required",
    summary,
    description,
  });
}

function waitFor(name: string, wait: WaitTarget, until: string): Command {
  return entry({
    name,
    action: { kind: "wait", wait },
    services: "required",
    summary: `wait for services to be ${until}`,
    description: `Change nothing; wait until each SERVICE is ${until}.`,
  });
}

function signal(name: string, sig: SignalName): Command {
  return entry({
    name,
    prefixes: true,
    action: { kind: "signal", signal: sig },
    services: "required",
    summary: `send ${sig} to services`,
    description: `Send ${sig} to the process of each SERVICE; ` +
      "any prefix of the word works. Exit 111 if one has no process.",
  });
}

/**
 * Every command, in the order the usage text lists them. Full names and
 * aliases are matched before the prefixes of signal commands, so `d`, `u`,
 * `r` and `l` keep their meaning.
 */
export const COMMANDS: readonly Command[] = [
  entry({
    name: "list",
    aliases: ["l"],
    action: { kind: "list" },
    services: "optional",
    summary: "one line per service",
    description: "One line per service (all of them, or those named), " +
      "sorted by name: STATE name (pid N) (wstatus N) Ns.",
  }),
  entry({
    name: "status",
    action: { kind: "status" },
    services: "optional",
    summary: "what each service does and why",
    description: "One block per service: state and for how long, pid, " +
      "uptime, last exit, restarts, logger, readiness, and why it is FATAL.",
  }),
  entry({
    name: "metrics",
    action: { kind: "metrics" },
    services: "none",
    textOnly: true,
    summary: "figures for Prometheus (text format)",
    description: "nitro's figures in the Prometheus text exposition format.",
  }),
  entry({
    name: "info",
    action: { kind: "info" },
    services: "none",
    summary: "facts about nitro itself",
    description: "Facts about nitro itself as key-value lines, every " +
      "value a number; --json adds version, dir and pid1.",
  }),
  change(
    "up",
    ["u"],
    "up",
    undefined,
    "request services to be UP",
    "Ask for each SERVICE to be up; do not wait. NAME@PARAM makes an " +
      "instance of the template NAME@.",
  ),
  change(
    "down",
    ["d"],
    "down",
    undefined,
    "request services to be DOWN",
    "Ask for each SERVICE to be down; do not wait.",
  ),
  change(
    "start",
    [],
    "up",
    "up",
    "start, wait for services to be UP",
    "Ask for each SERVICE to be up and wait until it is UP (or ONESHOT). " +
      "Exit 1 if one ends FATAL.",
  ),
  change(
    "stop",
    [],
    "down",
    "down",
    "stop, wait for services to be DOWN",
    "Ask for each SERVICE to be down and wait until it is DOWN (or FATAL).",
  ),
  change(
    "restart",
    [],
    "restart",
    "up",
    "restart, wait for services to be UP",
    "Stop each SERVICE and start it again; wait until it is UP again. " +
      "Exit 1 if one ends FATAL.",
  ),
  change(
    "fast-start",
    [],
    "up",
    "starting",
    "start, wait for services to be STARTING",
    "As start, but wait only until STARTING.",
  ),
  change(
    "fast-stop",
    [],
    "down",
    "shutdown",
    "stop, wait for services to be SHUTDOWN",
    "As stop, but wait only until SHUTDOWN.",
  ),
  change(
    "fast-restart",
    ["r"],
    "restart",
    "starting",
    "restart, wait for services to be STARTING",
    "As restart, but wait only until STARTING (or UP, ONESHOT) again. " +
      "Exit 1 if one ends FATAL.",
  ),
  waitFor("wait-up", "up", "UP"),
  waitFor("wait-down", "down", "DOWN"),
  waitFor("wait-starting", "starting", "STARTING"),
  entry({
    name: "ready",
    action: { kind: "ready" },
    services: "required",
    summary: "mark STARTING services UP",
    description: "Mark each STARTING SERVICE UP (readiness by hand, " +
      "notification-fd 0).",
  }),
  ...SIGNAL_WORDS.map(([word, sig]) => signal(word, sig)),
  entry({
    name: "pidof",
    action: { kind: "pidof" },
    services: "required",
    summary: "print the pid of each service",
    description: "Print the pid of each SERVICE that has one. Exit 1 if " +
      "one has none.",
  }),
  entry({
    name: "check",
    action: { kind: "check" },
    services: "required",
    summary: "exit 0 if every service named has a pid",
    description: "Print nothing; exit 0 if every SERVICE has a pid, else 1.",
  }),
  entry({
    name: "rescan",
    aliases: ["scan", "s"],
    action: { kind: "rescan" },
    services: "none",
    summary: "re-read the service directory",
    description: "Re-read the service directory: start services that " +
      "appeared, stop those that disappeared.",
  }),
  entry({
    name: "events",
    action: { kind: "events" },
    services: "none",
    options: ["replay"],
    summary: "print the states nitro announces as they happen",
    description: "Print STATE name for every state nitro announces (what " +
      "C nitroctl's events prints), as it happens, until interrupted; " +
      "--json gives every event; with --replay, the kept history first.",
  }),
  entry({
    name: "blame",
    action: { kind: "blame" },
    services: "none",
    summary: "services by time from start to UP since boot",
    description: "Since the current boot, one line per service that " +
      "started, slowest first.",
  }),
  entry({
    name: "plot",
    action: { kind: "plot" },
    services: "none",
    summary: "the boot as an SVG picture",
    description: "The current boot as an SVG picture on stdout: " +
      "nitroctl plot > boot.svg. --json gives the timeline it draws.",
  }),
  entry({
    name: "Shutdown",
    action: { kind: "shutdown" },
    services: "none",
    summary: "shut the system down",
    description: "Bring every service down in order and shut the system " +
      "down.",
  }),
  entry({
    name: "Reboot",
    action: { kind: "reboot" },
    services: "none",
    summary: "reboot the system",
    description: "Bring every service down in order and reboot.",
  }),
  entry({
    name: "completion",
    action: { kind: "completion" },
    services: "none",
    operand: { name: "SHELL", choices: SHELLS },
    textOnly: true,
    summary: "print the completion script for a shell",
    description: "Print nitroctl's completion script for bash, zsh or fish. " +
      "It completes commands and options, and service names from " +
      "nitroctl list.",
  }),
];

/** An option of nitroctl. */
export interface OptionSpec {
  /** Long name: `--timeout`. */
  name: string;
  /** One-letter name: `-t`. */
  short?: string;
  /** Name of its value, when it takes one. */
  value?: string;
  /** What it does. */
  summary: string;
}

/** Every option. An option listed in a command's `options` goes only there. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "timeout",
    short: "t",
    value: "SECONDS",
    summary: "give up after SECONDS (exit 3)",
  },
  {
    name: "verbose",
    short: "v",
    summary: "print each state announced while waiting",
  },
  { name: "json", summary: "machine-readable output, errors included" },
  { name: "replay", summary: "with events: start with the retained history" },
  { name: "help", short: "h", summary: "print usage (of COMMAND, if given)" },
  { name: "force", summary: "talk to a socket of another user (as root)" },
];

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
  const exact = COMMANDS.find((c) =>
    c.name === word || c.aliases.includes(word)
  );
  if (exact !== undefined || word === "") return exact;
  return COMMANDS.find((c) => c.prefixes && c.name.startsWith(word));
}

/**
 * What follows a command's word in its usage line: `[SERVICE...]`,
 * `SERVICE...`, `bash|zsh|fish`, `[--replay]`, or nothing.
 *
 * @example
 * ```ts
 * import { lookupCommand, operands } from "./commands.ts";
 * console.assert(operands(lookupCommand("start")!) === "SERVICE...");
 * ```
 */
export function operands(command: Command): string {
  const words = command.options.map((o) => `[--${o}]`);
  if (command.services === "optional") words.push("[SERVICE...]");
  if (command.services === "required") words.push("SERVICE...");
  if (command.operand) words.push(command.operand.choices.join("|"));
  return words.join(" ");
}
