/**
 * A small made-up vocabulary for the tests of the completion generators
 * (src/ctl/completion/*.ts), with what needs care in each shell: a summary
 * with `:`, `[`, `]` and a quote, an option with a value, a command with
 * an alias and an option of its own, an operand, a one-letter shortcut;
 * and a stand-in `nitroctl` that prints `list` lines as nitroctl does.
 * The generators on nitroctl's own vocabulary, installed and loaded in
 * real shells, are tested in tests/ctl/completion_test.ts.
 *
 * @module
 */

import { join } from "node:path";
import type { Vocabulary } from "../../../src/ctl/completion.ts";

export const VOCABULARY: Vocabulary = {
  offered: [
    { word: "start", summary: "start, wait for UP" },
    { word: "stop", summary: "stop: it [now]" },
    { word: "list", summary: "list 'em" },
    { word: "events", summary: "follow changes" },
    { word: "completion", summary: "a shell's completion" },
  ],
  serviceWords: ["start", "stop", "list"],
  operandWords: [{ words: ["completion"], choices: ["bash", "zsh"] }],
  commandOptions: [{
    words: ["events", "ev"],
    options: [{ name: "replay", summary: "replay the history" }],
  }],
  options: [
    { name: "timeout", short: "t", value: "SECONDS", summary: "give up" },
    { name: "verbose", short: "v", summary: "say more" },
    { name: "json", summary: "JSON out" },
    { name: "help", short: "h", summary: "print usage" },
  ],
  shortcuts: [["l", "list"]],
};

/** Services the stand-in nitroctl lists, as `nitroctl list` prints them. */
export const LIST_LINES = [
  "UP web (pid 4) (wstatus 0) 3s",
  "DOWN cron (wstatus 256) 9s",
  "UP agetty@tty1 (pid 5) (wstatus 0) 1s",
];

/**
 * A temporary directory holding `file` (the script, written from `text`)
 * and `bin/nitroctl`, which prints {@link LIST_LINES} for `list`.
 */
export function withScript(
  text: string,
  fn: (paths: { file: string; bin: string; dir: string }) => Promise<void>,
): Promise<void> {
  const dir = Deno.makeTempDirSync({ prefix: "completion_test_" });
  const bin = join(dir, "bin");
  Deno.mkdirSync(bin);
  Deno.writeTextFileSync(
    join(bin, "nitroctl"),
    `#!/bin/sh\nfor a; do [ "$a" = list ] && printf '%s\\n' ${
      LIST_LINES.map((l) => `'${l}'`).join(" ")
    }; done\n`,
    { mode: 0o755 },
  );
  const file = join(dir, "script");
  Deno.writeTextFileSync(file, text);
  return fn({ file, bin, dir }).finally(() =>
    Deno.removeSync(dir, { recursive: true })
  );
}
