/**
 * A bounded queue of outgoing bytes drained by a single writer: what nitro
 * says on its console and what it answers on a control connection go out
 * through one of these, so that no writer ever holds the event loop.
 *
 * Writes are asynchronous and one at a time, in order. Whatever is queued
 * when a write completes goes out as the next write, joined into one
 * buffer (a burst of lines costs one write). The queue is bounded in bytes:
 * {@link WriteQueue.push} refuses what does not fit, and its owner decides
 * what refusal means (the console drops the message, a control connection
 * drops the client). A sink that fails ends the writing for good.
 *
 * @example
 * ```ts ignore
 * import { WriteQueue } from "./write_queue.ts";
 * const queue = new WriteQueue(Deno.stderr, { maxBytes: 1 << 20 });
 * queue.push(new TextEncoder().encode("hello\n"));
 * await queue.drained(1000); // true once written, false if stuck for 1 s
 * ```
 *
 * @module
 */

/** Where the bytes go (a connection, `Deno.stderr`, a test's stand-in). */
export interface ByteSink {
  /** Write some of `bytes`; resolves with how many were written. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Options of a {@link WriteQueue}. */
export interface WriteQueueOptions {
  /**
   * Most bytes held (queued and in the write in progress). One chunk always
   * fits an empty queue, however long: the bound is on what piles up.
   */
  maxBytes: number;
  /** The sink failed; nothing more is written. */
  onError?: (err: unknown) => void;
  /** The queue ran empty after a write; what this pushes goes out next. */
  onEmpty?: () => void;
}

/** Bytes waiting for a sink, written one chunk at a time. */
export class WriteQueue {
  /** Most bytes held; see {@link WriteQueueOptions.maxBytes}. */
  readonly maxBytes: number;
  #sink: ByteSink;
  #onError: (err: unknown) => void;
  #onEmpty: () => void;
  #parts: Uint8Array[] = [];
  #held = 0;
  #writing = false;
  #broken = false;
  /** Called at the next completed write, or when writing stops. */
  #waiters: (() => void)[] = [];

  /** A queue in front of `sink`. */
  constructor(sink: ByteSink, options: WriteQueueOptions) {
    this.#sink = sink;
    this.maxBytes = options.maxBytes;
    this.#onError = options.onError ?? (() => {});
    this.#onEmpty = options.onEmpty ?? (() => {});
  }

  /** Bytes held: queued, and not yet written of the write in progress. */
  get queued(): number {
    return this.#held;
  }

  /** Whether a write is in progress (or about to be). */
  get writing(): boolean {
    return this.#writing;
  }

  /** Whether the sink failed: everything pushed since is discarded. */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Queue `bytes`. False, and nothing queued, when they do not fit: the
   * queue is not empty and would hold more than {@link maxBytes}.
   */
  push(bytes: Uint8Array): boolean {
    if (this.#broken) return true; // Nobody listens: gone as if written.
    if (this.#held > 0 && this.#held + bytes.length > this.maxBytes) {
      return false;
    }
    this.#parts.push(bytes);
    this.#held += bytes.length;
    if (!this.#writing) void this.#pump();
    return true;
  }

  /** Forget what is queued; the write in progress goes on. */
  clear(): void {
    for (const part of this.#parts) this.#held -= part.length;
    this.#parts = [];
  }

  /**
   * True at the next completed write, or at once when nothing is being
   * written; false when no write completes for `ms`.
   */
  moved(ms: number): Promise<boolean> {
    if (!this.#writing) return Promise.resolve(true);
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const wait = {
      moved: false,
      timer: undefined as ReturnType<typeof setTimeout> | undefined,
    };
    // Waiting first: under `deno test`, setTimeout itself may let the
    // writes run to their end.
    this.#waiters.push(() => {
      wait.moved = true;
      clearTimeout(wait.timer);
      resolve(true);
    });
    wait.timer = setTimeout(() => resolve(false), ms);
    if (wait.moved) clearTimeout(wait.timer);
    return promise;
  }

  /**
   * True once everything queued is written, false once no write has
   * completed for `ms`: a slow sink that keeps taking bytes is waited for,
   * a stopped one is not.
   */
  async drained(ms: number): Promise<boolean> {
    while (this.#writing) {
      if (!(await this.moved(ms))) return false;
    }
    return true;
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    while (this.#parts.length > 0 && !this.#broken) {
      const chunk = this.#take();
      try {
        for (let off = 0; off < chunk.length;) {
          const n = await this.#sink.write(chunk.subarray(off));
          off += n;
          this.#held -= n;
          this.#wake();
        }
      } catch (err) {
        this.#broken = true;
        this.#parts = [];
        this.#held = 0;
        this.#onError(err);
        break;
      }
      if (this.#parts.length === 0) this.#onEmpty();
    }
    this.#writing = false;
    this.#wake();
  }

  /** Tell whoever waits in {@link moved} that output moved. */
  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Everything queued, as one buffer. */
  #take(): Uint8Array {
    const parts = this.#parts;
    this.#parts = [];
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
