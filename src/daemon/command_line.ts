/**
 * nitro's command line, `nitro [DIR]`, read without side effects: what to
 * do, or the one line that says what is wrong with it.
 *
 * @module
 */

import { escapeControl } from "../core/text.ts";

/** The usage line. */
export const USAGE = "usage: nitro [DIR]";

/** What the command line asks for. */
export type CommandLine =
  /** `-h`, `--help`. */
  | { kind: "help" }
  /** Supervise DIR; null: none given (the default directory). */
  | { kind: "run"; dir: string | null }
  /** A mistake, said in one line (exit status 2). */
  | { kind: "mistake"; line: string };

/**
 * Read nitro's arguments. An argument starting with `-` is an option (only
 * `-h` and `--help` exist) unless it comes after `--`; a lone `-` is a DIR.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./command_line.ts";
 * console.assert(parseCommandLine(["/etc/nitro"]).kind === "run");
 * const bad = parseCommandLine(["--foo"]);
 * console.assert(bad.kind === "mistake" && bad.line.includes("--foo"));
 * ```
 */
export function parseCommandLine(args: readonly string[]): CommandLine {
  const dirs: string[] = [];
  let optionsEnded = false;
  for (const arg of args) {
    if (optionsEnded || arg === "-" || !arg.startsWith("-")) dirs.push(arg);
    else if (arg === "--") optionsEnded = true;
    else if (arg === "-h" || arg === "--help") return { kind: "help" };
    else {
      return mistake(
        `unknown option ${quoted(arg)} (nitro --help lists what it takes)`,
      );
    }
  }
  if (dirs.length > 1) {
    return mistake(
      `one DIR at most, not ${dirs.length}: ${dirs.map(quoted).join(" ")}`,
    );
  }
  return { kind: "run", dir: dirs[0] ?? null };
}

/**
 * The hint for a user who started `nitro` without DIR and who is not root:
 * the default directory and socket are the system's.
 */
export const USER_HINT = "as a user, name a directory of your own: " +
  'NITRO_SOCK="$XDG_RUNTIME_DIR/nitro/nitro.sock" nitro DIR';

function mistake(what: string): CommandLine {
  return { kind: "mistake", line: `nitro: ${what}; ${USAGE}` };
}

/** An argument as typed, quoted only where the shell would need it. */
function quoted(arg: string): string {
  const printable = escapeControl(arg);
  return /^[\w@%+=:,./-]+$/.test(printable) ? printable : `'${printable}'`;
}
