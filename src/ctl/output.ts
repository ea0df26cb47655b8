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
  out: (line) => writeAllSync(Deno.stdout, line + "\n"),
  err: (line) => writeAllSync(Deno.stderr, line + "\n"),
};
