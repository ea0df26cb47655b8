/**
 * nitroctl's command line: options, command word, SERVICE arguments, and
 * the sysvinit-style names (`halt`, `reboot`, `init 6`, …).
 *
 * @module
 */

import { type Command, COMMANDS, lookupCommand, OPTIONS } from "./commands.ts";
import type { Invocation } from "./invocation.ts";

/**
 * The command line is wrong: print the reason and the usage text, exit 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./args.ts";
 * const e = new UsageError("unknown command: frob");
 * console.assert(e.message === "unknown command: frob");
 * ```
 */
export class UsageError extends Error {
  /** Make a usage error with the reason to print above the usage text. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Whether a SERVICE argument is a path rather than a name.
 *
 * @example
 * ```ts
 * import { isPath } from "./args.ts";
 * console.assert(isPath(".") && isPath("../web") && !isPath("agetty@tty1"));
 * ```
 */
export function isPath(arg: string): boolean {
  return arg === "." || arg === ".." || arg.includes("/");
}

/** A parsed, valid command line. */
export interface CommandLine {
  command: Command;
  /** SERVICE arguments, as given. */
  services: string[];
  /** `-t`: give up after this many milliseconds. */
  timeoutMs?: number;
  verbose: boolean;
  json: boolean;
  /** `events --replay`. */
  replay: boolean;
  /**
   * `-h`/`--help`: print the usage (`"usage"`) or, after a command word,
   * that command's help (`"command"`), and do nothing else.
   */
  help: false | "usage" | "command";
  /** `--force`: talk to a socket of another user even as root. */
  force: boolean;
  /** The word a command with an operand took: `completion zsh`. */
  operand?: string;
}

/** What `init N` means; `q` re-reads the configuration as sysvinit's. */
const INIT_LEVELS: Readonly<Record<string, string>> = {
  "0": "Shutdown",
  "6": "Reboot",
  q: "rescan",
  Q: "rescan",
};

/**
 * Parse nitroctl's arguments.
 *
 * @throws {UsageError} on an unknown command or option, a missing or
 *   unexpected SERVICE, or a bad `-t` value.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * const line = await parseCommandLine({
 *   name: "nitroctl",
 *   args: ["-t", "2", "start", "web"],
 * });
 * console.assert(line.timeoutMs === 2000 && line.services[0] === "web");
 * ```
 */
export async function parseCommandLine(
  invocation: Invocation,
): Promise<CommandLine> {
  const { name, args } = invocation;
  // sysvinit names ignore their arguments (`reboot -f` still reboots).
  if (name === "halt" || name === "poweroff") return simple("Shutdown");
  if (name === "reboot") return simple("Reboot");
  if (name === "init") {
    const level = args.length === 1 ? INIT_LEVELS[args[0]] : undefined;
    if (level === undefined) throw new UsageError("usage: init 0|6|q");
    return simple(level);
  }
  return await parseNitroctl(args);
}

/** The ordinary `nitroctl [-t SECONDS] [-v] [--json] COMMAND [SERVICE...]`. */
async function parseNitroctl(args: string[]): Promise<CommandLine> {
  let parsed;
  try {
    parsed = await parseOptions(args);
  } catch (error) {
    throw new UsageError(shortReason(error));
  }
  const { values, positionals } = parsed;
  const [word, ...services] = positionals;
  const command = lookupCommand(word ?? "list");
  if (command === undefined) throw new UsageError(`unknown command: ${word}`);
  const line: CommandLine = {
    command,
    services,
    verbose: values.verbose === true,
    json: values.json === true,
    replay: values.replay === true,
    force: values.force === true,
    help: values.help !== true
      ? false
      : word === undefined
      ? "usage"
      : "command",
  };
  if (typeof values.timeout === "string") {
    line.timeoutMs = parseSeconds(values.timeout) * 1000;
  }
  if (line.help) return line;
  const name = word ?? "list";
  if (command.operand !== undefined) {
    const { name: what, choices } = command.operand;
    if (services.length !== 1 || !choices.includes(services[0])) {
      throw new UsageError(`${name} needs one ${what}: ${choices.join(", ")}`);
    }
    line.operand = services[0];
    line.services = [];
  }
  if (command.services === "required" && services.length === 0) {
    throw new UsageError(`${name} needs at least one SERVICE`);
  }
  if (
    command.services === "none" && command.operand === undefined &&
    services.length > 0
  ) {
    throw new UsageError(`${name} takes no SERVICE`);
  }
  for (const option of OPTIONS) {
    const owners = COMMAND_OPTIONS.get(option.name);
    if (
      values[option.name] !== undefined && owners !== undefined &&
      !command.options.includes(option.name)
    ) {
      throw new UsageError(`--${option.name} goes with ${owners} only`);
    }
  }
  if (line.json && command.textOnly) {
    throw new UsageError(`${name} has no --json: its output is text`);
  }
  return line;
}

/** Options that only some commands take, and the commands that take them. */
const COMMAND_OPTIONS: ReadonlyMap<string, string> = (() => {
  const owners = new Map<string, string[]>();
  for (const c of COMMANDS) {
    for (const o of c.options) owners.set(o, [...owners.get(o) ?? [], c.name]);
  }
  return new Map([...owners].map(([o, names]) => [o, names.join(", ")]));
})();

/**
 * Whether the arguments ask for `--json`, read without parsing them: a
 * command line too wrong to parse still gets its error as JSON.
 *
 * @example
 * ```ts
 * import { asksForJson } from "./args.ts";
 * console.assert(asksForJson(["--json", "--frob"]));
 * console.assert(!asksForJson(["--", "--json"]));
 * ```
 */
export function asksForJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}

/** nitroctl's options, as `node:util` parseArgs takes them. */
const PARSE_OPTIONS = Object.fromEntries(OPTIONS.map((o) => [
  o.name,
  o.short === undefined
    ? { type: o.value ? "string" : "boolean" }
    : { type: o.value ? "string" : "boolean", short: o.short },
])) as Record<string, { type: "string" | "boolean"; short?: string }>;

/** The options and positional arguments of a command line. */
interface ParsedOptions {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parse with `node:util` parseArgs, loaded only when an argument looks like
 * an option: loading it costs a third of nitroctl's start-up, and without
 * one every argument is positional anyway.
 */
async function parseOptions(args: string[]): Promise<ParsedOptions> {
  if (!args.some((arg) => arg.startsWith("-"))) {
    return { values: {}, positionals: args };
  }
  const { parseArgs } = await import("node:util");
  const { values, positionals } = parseArgs({
    args,
    options: PARSE_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  return { values: values as ParsedOptions["values"], positionals };
}

function simple(word: string): CommandLine {
  return {
    command: lookupCommand(word)!,
    services: [],
    verbose: false,
    json: false,
    replay: false,
    help: false,
    force: false,
  };
}

/** A positive number of seconds, possibly fractional (`0.5`, `.5`, `3`). */
function parseSeconds(text: string): number {
  const seconds = /^(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : NaN;
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(`bad -t value: ${text} (want seconds > 0)`);
  }
  return seconds;
}

/** parseArgs' complaint without its advice: "unknown option '--x'". */
function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split(". ")[0];
  return first.charAt(0).toLowerCase() + first.slice(1);
}
