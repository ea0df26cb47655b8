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

import { consoleSink } from "./job_control.ts";

/** Where the messages go (`Deno.stderr`, or a test's stand-in). */
export interface ConsoleSink {
  /** Write some of `bytes`; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

const encoder = new TextEncoder();

/** nitro's stderr, as a queue that never blocks its caller. */
export class ConsoleWriter {
  /** Most bytes waiting to be written; beyond, messages are dropped. */
  readonly maxBytes: number;
  #sink: ConsoleSink;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #dropped = 0;
  #writing = false;
  /** The sink failed (closed, EPIPE): nobody is listening any more. */
  #broken = false;
  /** Called at the next completed write, by {@link flush}. */
  #waiters: (() => void)[] = [];

  /**
   * A writer to `sink` holding at most `maxBytes` bytes back. The default
   * is a serial console's (115,200 baud) 90 s of output: a boot that prints
   * thousands of lines loses none on a slow console, and a stopped one costs
   * at most a megabyte.
   */
  constructor(sink: ConsoleSink, maxBytes = 1 << 20) {
    this.#sink = sink;
    this.maxBytes = maxBytes;
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
    if (this.#broken) return;
    const bytes = encoder.encode(text);
    if (this.#queued + bytes.length > this.maxBytes) {
      this.#dropped++;
      return;
    }
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (!this.#writing) void this.#drain();
  }

  /**
   * Resolves true once everything queued is written, or false once no
   * write has completed for `ms` (the console is stopped): for the last
   * words before exit or exec. A slow console that keeps taking output is
   * waited for.
   */
  async flush(ms: number): Promise<boolean> {
    while (this.#writing) {
      if (!(await this.#progress(ms))) return false;
    }
    return true;
  }

  /** True at the next completed write (or the end), false after `ms`. */
  #progress(ms: number): Promise<boolean> {
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const wait = {
      moved: false,
      timer: undefined as ReturnType<typeof setTimeout> | undefined,
    };
    // Waiting first: under `deno test`, even setTimeout may let the writes
    // run to their end.
    this.#waiters.push(() => {
      wait.moved = true;
      clearTimeout(wait.timer);
      resolve(true);
    });
    wait.timer = setTimeout(() => resolve(false), ms);
    if (wait.moved) clearTimeout(wait.timer);
    return promise;
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#queue.length > 0 && !this.#broken) {
      const chunk = this.#take();
      try {
        for (let off = 0; off < chunk.length;) {
          off += await this.#sink.write(chunk.subarray(off));
          this.#wake(); // it moves: whoever flushes waits on
        }
      } catch {
        this.#broken = true; // stderr is gone: nothing more to say
      }
      this.#queued -= chunk.length;
      if (this.#queue.length === 0 && this.#dropped > 0 && !this.#broken) {
        const note = `- nitro: the console held up output; ` +
          `${this.#dropped} messages dropped\n`;
        this.#dropped = 0;
        const bytes = encoder.encode(note);
        this.#queue.push(bytes);
        this.#queued += bytes.length;
      }
    }
    this.#queue = [];
    this.#queued = 0;
    this.#writing = false;
    this.#wake();
  }

  /** Tell whoever waits in {@link flush} that output moved. */
  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Everything queued, as one buffer: one write for a burst of lines. */
  #take(): Uint8Array {
    const parts = this.#queue.splice(0);
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const part of parts) {
      out.set(part, off);
      off += part.length;
    }
    return out;
  }
}

/** nitro's stderr. */
export const nitroConsole: ConsoleWriter = new ConsoleWriter(consoleSink);
