/**
 * nitroctl's command line: options, command word, SERVICE arguments, and
 * the sysvinit-style names (`halt`, `reboot`, `init 6`, …).
 *
 * @module
 */

import { type Command, COMMANDS, lookupCommand, OPTIONS } from "./commands.ts";
import type { Invocation } from "./invocation.ts";

/** C nitroctl's usage line: the words of every usage error but two. */
export const C_USAGE = "usage: nitroctl COMMAND [SERVICE ...]";

/** C's words for a `-t` value it cannot read. */
export const C_INVALID_TIMEOUT = "nitroctl: invalid timeout";

/** C's words when `init` is called with a level it does not know. */
export const C_INIT_USAGE = "usage: init [0|6|q]";

/**
 * The command line is wrong: one line on stderr, exit 2. The line is C
 * nitroctl's words for the situation, then in parentheses why (where this
 * nitroctl says more) and the pointer to `--help` - never the whole usage.
 *
 * @example
 * ```ts
 * import { UsageError } from "./args.ts";
 * const e = new UsageError("unknown command: frob");
 * console.assert(e.message === "usage: nitroctl COMMAND [SERVICE ...] (unknown command: frob; see nitroctl --help)");
 * ```
 */
export class UsageError extends Error {
  /** Why, in this nitroctl's words (or undefined: C's words say it). */
  readonly reason?: string;

  /** A usage error: C's `words` (by default its usage line) and `reason`. */
  constructor(reason?: string, words: string = C_USAGE) {
    const why = reason === undefined ? "" : `${reason}; `;
    super(`${words} (${why}see nitroctl --help)`);
    this.name = "UsageError";
    if (reason !== undefined) this.reason = reason;
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
export function parseCommandLine(
  invocation: Invocation,
): Promise<CommandLine> {
  try {
    return Promise.resolve(parseInvocation(invocation));
  } catch (error) {
    return Promise.reject(error);
  }
}

function parseInvocation({ name, args }: Invocation): CommandLine {
  // sysvinit names ignore their arguments (`reboot -f` still reboots).
  if (name === "halt" || name === "poweroff") return simple("Shutdown");
  if (name === "reboot") return simple("Reboot");
  if (name === "init") {
    const level = args.length === 1 ? INIT_LEVELS[args[0]] : undefined;
    if (level === undefined) throw new UsageError(undefined, C_INIT_USAGE);
    return simple(level);
  }
  return parseNitroctl(args);
}

/** The ordinary `nitroctl [-t SECONDS] [-v] [--json] COMMAND [SERVICE...]`. */
function parseNitroctl(args: string[]): CommandLine {
  const { values, positionals } = parseOptions(args);
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
    const ms = parseTimeout(values.timeout);
    if (ms !== undefined) line.timeoutMs = ms;
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
    throw new UsageError(`${name} needs a SERVICE`);
  }
  if (
    command.services === "none" && command.operand === undefined &&
    services.length > 0
  ) {
    throw new UsageError(`${name} takes no SERVICE`);
  }
  // C nitroctl's `l` is `list` without SERVICE only (`list a` names a).
  if (word === "l" && services.length > 0) {
    throw new UsageError("l takes no SERVICE, list does");
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

/** The options and positional arguments of a command line. */
interface ParsedOptions {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Read options as glibc's getopt_long reads them (C nitroctl uses getopt):
 * short options bundled (`-vt1`), a value joined or in the next argument,
 * `--name=value`, options anywhere among the words, `--` ending them. A
 * wrong option is a {@link UsageError} with getopt's own words.
 */
function parseOptions(args: readonly string[]): ParsedOptions {
  const values: ParsedOptions["values"] = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq === -1 ? undefined : eq);
      const option = OPTIONS.find((o) => o.name === name);
      if (option === undefined) {
        throw new UsageError(`unrecognized option '${arg}'`);
      }
      if (!option.value) {
        if (eq !== -1) {
          throw new UsageError(`option '--${name}' doesn't allow an argument`);
        }
        values[name] = true;
      } else if (eq !== -1) values[name] = arg.slice(eq + 1);
      else if (i + 1 < args.length) values[name] = args[++i];
      else throw new UsageError(`option '--${name}' requires an argument`);
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    for (let k = 1; k < arg.length; k++) {
      const letter = arg[k];
      const option = OPTIONS.find((o) => o.short === letter);
      if (option === undefined) {
        throw new UsageError(`invalid option -- '${letter}'`);
      }
      if (!option.value) {
        values[option.name] = true;
        continue;
      }
      if (k + 1 < arg.length) values[option.name] = arg.slice(k + 1);
      else if (i + 1 < args.length) values[option.name] = args[++i];
      else throw new UsageError(`option requires an argument -- '${letter}'`);
      break;
    }
  }
  return { values, positionals };
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

/**
 * A `-t` value as C nitroctl reads it, with strtod(3): decimal or hex,
 * an exponent, leading blanks, `inf` and `nan` (no limit at all: undefined
 * milliseconds). Negative, trailing garbage, or out of range (overflow,
 * underflow) is {@link C_INVALID_TIMEOUT}.
 *
 * @example
 * ```ts
 * import { parseTimeout } from "./args.ts";
 * console.assert(parseTimeout("1.5") === 1500 && parseTimeout("0") === 0);
 * console.assert(parseTimeout("1e1") === 10_000 && parseTimeout("inf") === undefined);
 * ```
 */
export function parseTimeout(text: string): number | undefined {
  const seconds = strtod(text);
  if (seconds === null || seconds < 0) {
    throw new UsageError(
      `not a number of seconds: '${text}'`,
      C_INVALID_TIMEOUT,
    );
  }
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/**
 * strtod(3) of all of `text`, or null where C nitroctl's check refuses it
 * (text left over, or ERANGE). An empty text is 0, as strtod leaves it.
 */
function strtod(text: string): number | null {
  const t = text.replace(/^[ \t\n\v\f\r]+/, "");
  if (t === "") return text === "" ? 0 : null;
  const special = /^([+-]?)(inf|infinity|nan(\([0-9a-z_]*\))?)$/i.exec(t);
  if (special !== null) {
    if (special[2].toLowerCase().startsWith("nan")) return NaN;
    return special[1] === "-" ? -Infinity : Infinity;
  }
  let value: number;
  let digits: string;
  const hex = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i
    .exec(t);
  if (hex !== null) {
    const [, sign, whole, frac = "", exp = "0"] = hex;
    digits = whole + frac;
    if (digits === "") return null;
    value = parseInt(digits, 16) * 2 ** (Number(exp) - 4 * frac.length);
    if (sign === "-") value = -value;
  } else {
    const dec = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.exec(t);
    if (dec === null) return null;
    digits = dec[1];
    value = Number(t);
  }
  if (!Number.isFinite(value)) return null; // overflow
  if (value === 0 && /[1-9a-f]/i.test(digits)) return null; // underflow
  return value;
}
