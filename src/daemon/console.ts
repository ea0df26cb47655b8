/**
 * nitro's own messages on its stderr, written without ever blocking the
 * event loop.
 *
 * Every service inherits nitro's stderr. On a terminal (the console of a
 * machine whose pid 1 is nitro, or the tty nitro was started from) any of
 * them may stop its output (`tcflow(TCOOFF)`, or Ctrl-S), and the stop
 * outlives the process that asked for it. A synchronous write would then
 * hold nitro, and with it supervision, control and shutdown, until someone
 * turned output back on. So writes are asynchronous (Deno carries them out
 * on a thread of its own), one at a time and in order, and what waits for
 * them is bounded: past {@link ConsoleWriter.maxBytes} a message is
 * dropped, and counted; when output flows again a line says how many.
 *
 * @example
 * ```ts ignore
 * import { ConsoleWriter } from "./console.ts";
 * const out = new ConsoleWriter(Deno.stderr);
 * out.say("- nitro: booting");
 * await out.flush(1000); // before exiting: until a second without progress
 * ```
 *
 * @module
 */

import { type ByteSink, WriteQueue } from "./write_queue.ts";

/** Where the messages go (`Deno.stderr`, or a test's stand-in). */
export type ConsoleSink = ByteSink;

const encoder = new TextEncoder();

/** nitro's stderr, as a queue that never blocks its caller. */
export class ConsoleWriter {
  /** Most bytes waiting to be written; beyond, messages are dropped. */
  readonly maxBytes: number;
  #queue: WriteQueue;
  #dropped = 0;

  /**
   * A writer to `sink` holding at most `maxBytes` bytes back. The default
   * is a serial console's (115,200 baud) 90 s of output: a boot that prints
   * thousands of lines loses none on a slow console, and a stopped one costs
   * at most a megabyte.
   */
  constructor(sink: ConsoleSink, maxBytes = 1 << 20) {
    this.maxBytes = maxBytes;
    this.#queue = new WriteQueue(sink, {
      maxBytes,
      // stderr is gone (closed, EPIPE): nothing more to say.
      onError: () => {},
      onEmpty: () => this.#reportDropped(),
    });
  }

  /** Messages dropped because the console did not take them, not yet reported. */
  get dropped(): number {
    return this.#dropped;
  }

  /** One line: `text` and a newline. */
  say(text: string): void {
    this.write(`${text}\n`);
  }

  /** `text` as it is (part of a line, as nitro sometimes prints). */
  write(text: string): void {
    if (this.#queue.broken) return;
    if (!this.#queue.push(encoder.encode(text))) this.#dropped++;
  }

  /**
   * Resolves true once everything queued is written, or false once no
   * write has completed for `ms` (the console is stopped): for the last
   * words before exit or exec. A slow console that keeps taking output is
   * waited for.
   */
  flush(ms: number): Promise<boolean> {
    return this.#queue.drained(ms);
  }

  /** Once output flows again: say how much was lost while it did not. */
  #reportDropped(): void {
    if (this.#dropped === 0) return;
    const note = `- nitro: the console held up output; ` +
      `${this.#dropped} messages dropped\n`;
    this.#dropped = 0;
    this.#queue.push(encoder.encode(note));
  }
}
