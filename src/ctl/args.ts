/**
 * nitroctl's command line: options, command word, SERVICE arguments, and
 * the sysvinit-style names (`halt`, `reboot`, `init 6`, …).
 *
 * @module
 */

import { type Command, lookupCommand } from "./commands.ts";
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
  /** `-h`/`--help`: print usage and do nothing else. */
  help: boolean;
  /** `--force`: talk to a socket of another user even as root. */
  force: boolean;
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
  const [word = "list", ...services] = positionals;
  const command = lookupCommand(word);
  if (command === undefined && !values.help) {
    throw new UsageError(`unknown command: ${word}`);
  }
  const line: CommandLine = {
    command: command ?? lookupCommand("list")!,
    services,
    verbose: values.verbose ?? false,
    json: values.json ?? false,
    replay: values.replay ?? false,
    help: values.help ?? false,
    force: values.force ?? false,
  };
  if (values.timeout !== undefined) {
    line.timeoutMs = parseSeconds(values.timeout) * 1000;
  }
  if (line.help) return line;
  if (command!.services === "required" && services.length === 0) {
    throw new UsageError(`${word} needs at least one SERVICE`);
  }
  if (command!.services === "none" && services.length > 0) {
    throw new UsageError(`${word} takes no SERVICE`);
  }
  if (line.replay && command!.action.kind !== "events") {
    throw new UsageError("--replay goes with events only");
  }
  return line;
}

/** A command line for a command that takes nothing. */
/** nitroctl's options, as `node:util` parseArgs takes them. */
const OPTIONS = {
  timeout: { type: "string", short: "t" },
  verbose: { type: "boolean", short: "v" },
  json: { type: "boolean" },
  replay: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  force: { type: "boolean" },
} as const;

/** The options and positional arguments of a command line. */
interface ParsedOptions {
  values: {
    timeout?: string;
    verbose?: boolean;
    json?: boolean;
    replay?: boolean;
    help?: boolean;
    force?: boolean;
  };
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
  return parseArgs({
    args,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
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
