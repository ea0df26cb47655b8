/**
 * nitroctl's usage text and each command's `--help`, made from the command
 * table. Loaded only when shown (a usage error, `--help`): Deno pays a fixed
 * cost for each module it loads, and most of nitroctl's start-up beyond
 * Deno's own is module loading.
 *
 * @module
 */

import { type Command, COMMANDS, operands, OPTIONS } from "./commands.ts";

/** The synopsis every usage line starts with. */
const SYNOPSIS = "nitroctl [-t SECONDS] [-v] [--json]";

/** Width of the left column of the command and option lists. */
const COLUMN = 30;

/** `left` padded to the column, then `right`; `right` below when too long. */
function row(left: string, right: string): string {
  const pad = COLUMN - 2;
  return left.length < pad
    ? `  ${left.padEnd(pad)}${right}`
    : `  ${left}\n${" ".repeat(COLUMN)}${right}`;
}

/** A command's words and operands: `fast-restart, r SERVICE...`. */
function commandColumn(c: Command): string {
  const words = [c.name, ...c.aliases].join(", ");
  const rest = operands(c);
  return rest === "" ? words : `${words} ${rest}`;
}

/** An option's column: `-t, --timeout SECONDS`. */
function optionColumn(o: typeof OPTIONS[number]): string {
  const names = o.short ? `-${o.short}, --${o.name}` : `--${o.name}`;
  return o.value ? `${names} ${o.value}` : names;
}

/** The text printed on a usage error (to stderr) or for `--help`. */
export const USAGE = [
  `usage: ${SYNOPSIS} COMMAND [SERVICE...]`,
  "       nitroctl COMMAND --help",
  "",
  "commands (no command: list; a signal command's first letter suffices):",
  ...COMMANDS.map((c) => row(commandColumn(c), c.summary)),
  "",
  "SERVICE may be a path to a service directory, such as '.'.",
  "",
  "options:",
  ...OPTIONS.map((o) => row(optionColumn(o), o.summary)),
  "",
  "exit status: 0 ok, 1 ended FATAL or no pid, 2 usage, 3 timeout,",
  "111 no such service (the others are still served), bad name, no process",
  "to signal, nitro unreachable or busy",
  "",
].join("\n");

/**
 * `nitroctl COMMAND --help`: the command's usage line(s), then what it
 * does.
 *
 * @example
 * ```ts
 * import { lookupCommand } from "./commands.ts";
 * import { commandHelp } from "./usage.ts";
 * const text = commandHelp(lookupCommand("r")!);
 * console.assert(text.startsWith("usage: nitroctl [-t SECONDS] [-v] [--json] fast-restart SERVICE..."));
 * ```
 */
export function commandHelp(c: Command): string {
  const rest = operands(c);
  const line = (word: string) =>
    `${SYNOPSIS} ${word}${rest === "" ? "" : ` ${rest}`}`;
  const lines = [`usage: ${line(c.name)}`];
  for (const alias of c.aliases) lines.push(`   or: ${line(alias)}`);
  lines.push("", wrap(c.description, 76));
  const own = OPTIONS.filter((o) => c.options.includes(o.name));
  if (own.length > 0) {
    lines.push(
      "",
      "options:",
      ...own.map((o) => row(optionColumn(o), o.summary)),
    );
  }
  return lines.join("\n");
}

/** `text` broken into lines of at most `width` characters, at blanks. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let current = "";
  for (const word of text.split(" ")) {
    if (current !== "" && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === "" ? word : `${current} ${word}`;
  }
  if (current !== "") lines.push(current);
  return lines.join("\n");
}
