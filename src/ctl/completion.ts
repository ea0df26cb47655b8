/**
 * `nitroctl completion SHELL`: shell completion scripts made from the
 * command table, so they offer exactly the commands and options nitroctl
 * parses. Service names come from `nitroctl list` when the user presses
 * Tab. Loaded only for `completion` (and by `deno task install`).
 *
 * @module
 */

import {
  type Command,
  COMMANDS,
  lookupCommand,
  OPTIONS,
  type OptionSpec,
  type Shell,
} from "./commands.ts";
import { bashCompletion } from "./completion/bash.ts";
import { fishCompletion } from "./completion/fish.ts";
import { zshCompletion } from "./completion/zsh.ts";

/** What every generator needs to know, taken from the command table. */
export interface Vocabulary {
  /** The words offered for the command: names, and aliases of 2+ letters. */
  offered: { word: string; summary: string }[];
  /** Every word that names a command taking SERVICE arguments. */
  serviceWords: string[];
  /** Every word of a command with an operand, and the operand's choices. */
  operandWords: { words: string[]; choices: readonly string[] }[];
  /** Command-specific options, by every word of their command. */
  commandOptions: { words: string[]; options: OptionSpec[] }[];
  /** Options that go before the command. */
  options: OptionSpec[];
  /**
   * One-character words that already name a command (`r`, `k`, `p`): Tab
   * completes them to that command, as nitro's own zsh completion does.
   */
  shortcuts: [string, string][];
}

/**
 * Every word `lookupCommand` maps to this command: its name, its aliases
 * and, for a signal command, each prefix not claimed by another command.
 */
export function wordsOf(command: Command): string[] {
  const words = new Set([command.name, ...command.aliases]);
  if (command.prefixes) {
    for (let i = 1; i < command.name.length; i++) {
      const prefix = command.name.slice(0, i);
      if (lookupCommand(prefix) === command) words.add(prefix);
    }
  }
  return [...words];
}

/**
 * The vocabulary of the completions.
 *
 * @example
 * ```ts
 * import { vocabulary } from "./completion.ts";
 * const v = vocabulary();
 * console.assert(v.serviceWords.includes("k") && !v.serviceWords.includes("info"));
 * console.assert(v.shortcuts.some(([k, name]) => k === "r" && name === "fast-restart"));
 * ```
 */
export function vocabulary(): Vocabulary {
  const offered = COMMANDS.flatMap((c) =>
    [c.name, ...c.aliases.filter((a) => a.length > 1)]
      .map((word) => ({ word, summary: c.summary }))
  );
  const shortcuts: [string, string][] = [];
  const letters = new Set(
    COMMANDS.flatMap((c) => [c.name, ...c.aliases]).map(
      (w) => w[0],
    ),
  );
  for (const letter of letters) {
    const command = lookupCommand(letter);
    if (command !== undefined) shortcuts.push([letter, command.name]);
  }
  const commandOwnOptions = new Set(COMMANDS.flatMap((c) => c.options));
  return {
    offered,
    serviceWords: COMMANDS.filter((c) => c.services !== "none")
      .flatMap(wordsOf),
    operandWords: COMMANDS.filter((c) => c.operand !== undefined).map((c) => ({
      words: wordsOf(c),
      choices: c.operand!.choices,
    })),
    commandOptions: COMMANDS.filter((c) => c.options.length > 0).map((c) => ({
      words: wordsOf(c),
      options: OPTIONS.filter((o) => c.options.includes(o.name)),
    })),
    options: OPTIONS.filter((o) => !commandOwnOptions.has(o.name)),
    shortcuts,
  };
}

/**
 * The completion script for `shell`.
 *
 * @example
 * ```ts
 * import { completionScript } from "./completion.ts";
 * console.assert(completionScript("zsh").startsWith("#compdef nitroctl"));
 * ```
 */
export function completionScript(shell: Shell): string {
  const v = vocabulary();
  switch (shell) {
    case "bash":
      return bashCompletion(v);
    case "zsh":
      return zshCompletion(v);
    case "fish":
      return fishCompletion(v);
  }
}

/**
 * Where each shell looks for completions, under an install root
 * (`/usr/local`, `~/.deno`), and the file name it wants.
 */
export const COMPLETION_PATHS: Readonly<Record<Shell, string>> = {
  bash: "share/bash-completion/completions/nitroctl",
  zsh: "share/zsh/site-functions/_nitroctl",
  fish: "share/fish/vendor_completions.d/nitroctl.fish",
};

/**
 * A word in single quotes for sh, bash, zsh (and fish, whose single quotes
 * also take `\\`).
 */
export function quote(word: string, fish = false): string {
  const inner = fish
    ? word.replaceAll("\\", "\\\\").replaceAll("'", "\\'")
    : word.replaceAll("'", `'\\''`);
  return `'${inner}'`;
}
