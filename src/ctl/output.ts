/**
 * Where nitroctl writes: whole lines, written at once, so `events` output
 * reaches a pipe as each event happens.
 *
 * @module
 */

/** Line sinks for normal output and for messages. */
export interface Output {
  /** Write one line (a newline is added) to standard output. */
  out(line: string): void;
  /** Write one line (a newline is added) to standard error. */
  err(line: string): void;
}

import { escapeLines } from "./escape.ts";

const encoder = new TextEncoder();

/** Write all of `text` to a synchronous writer (writes may be partial). */
function writeAllSync(
  writer: { writeSync(p: Uint8Array): number },
  text: string,
) {
  const bytes = encoder.encode(text);
  for (let off = 0; off < bytes.length;) {
    off += writer.writeSync(bytes.subarray(off));
  }
}

/**
 * The process's stdout and stderr.
 *
 * @example
 * ```ts ignore
 * import { stdio } from "./output.ts";
 * stdio.out("UP web");
 * ```
 */
export const stdio: Output = {
  out: (line) => writeAllSync(Deno.stdout, escapeLines(line) + "\n"),
  err: (line) => writeAllSync(Deno.stderr, escapeLines(line) + "\n"),
};

/**
 * A message with its control characters made visible (`\x1b`): a name a
 * user typed, echoed in an error, must not drive the terminal.
 *
 * @example
 * ```ts
 * import { visible } from "./output.ts";
 * console.assert(visible("a\x1b[2Jb") === "a\\x1b[2Jb");
 * ```
 */
export const visible: (text: string) => string = escapeLines;
